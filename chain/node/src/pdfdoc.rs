//! Printable multi-page A4 PDF documents: title, headings, paragraphs, key/value blocks,
//! tables and check/cross lines (a lender's evidence pack of a financed invoice).
//!
//! The layout is done here, in points (1/72 inch) on an A4 portrait page: text is wrapped
//! by an estimate of its width (per-character advances of DejaVu Sans Bold, the face every
//! Latin line is drawn with, and one em for everything wider, such as Chinese), never
//! wider than its page or column. Each page is written as an SVG (see [`layout`]), parsed
//! by usvg with the caller's font database and converted by svg2pdf into a form XObject;
//! [`render`] puts the pages, one XObject each, into one PDF. Text stays text (embedded,
//! subset fonts), so it can be selected and searched.
//!
//! Rules the layout keeps:
//! - page 1 carries the title and subtitle; pages 2 and on a running head (the title);
//!   every page a footer with the document's footer text and "page N / M";
//! - a heading is never the last thing on a page;
//! - a table row never splits across pages, and a table that goes on to another page
//!   repeats its header there; a row taller than a whole page is cut, with "…";
//! - a table column whose every cell is a number (amounts, quantities) is right-aligned;
//!   a cell that is exactly "✓" or "✗" (or "✔", "✘") is drawn as a green check or a red
//!   cross; a cell or value that is one long hexadecimal id (16 digits or more, such as a
//!   64-digit handoff id) is set in the monospace face and broken into even pieces;
//!   a column of marks is centred; a one-word cell or column title a little too wide for
//!   its column (a long number) is set smaller (down to 5.5 pt) rather than broken;
//! - every table cell is also clipped to its column, so even a column narrower than one
//!   character cannot draw over its neighbour;
//! - rows with fewer cells than the header are padded, rows with more get extra,
//!   untitled columns (nothing is dropped); column widths that are missing, zero,
//!   negative or not finite count as 1.
//!
//! Fonts: every text asks for "DejaVu Sans, WenQuanYi Micro Hei" (ids: "DejaVu Sans
//! Mono" first). usvg's fallback draws a whole line in WenQuanYi Micro Hei as soon as it
//! holds a character DejaVu Sans lacks (Chinese), as the labels do.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
use resvg::usvg;

/// A document to print: a title and subtitle on page 1, blocks in order, and a footer
/// line on every page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PdfDoc {
    /// Large title at the top of page 1, repeated small at the top of later pages.
    pub title: String,
    /// One or more lines under the title (e.g. who exported it, when).
    pub subtitle: String,
    /// Footer text of every page, left of "page N / M".
    pub footer: String,
    /// The content, top to bottom.
    pub blocks: Vec<PdfBlock>,
}

/// One piece of a [`PdfDoc`].
#[derive(Clone, Debug, PartialEq)]
pub enum PdfBlock {
    /// A section heading, with a thin rule under it.
    Heading(String),
    /// Body text, wrapped; a `\n` starts a new line.
    Paragraph(String),
    /// Label/value pairs, labels in a column on the left.
    KeyValues(Vec<(String, String)>),
    /// A table with a gray header row and zebra rows.
    Table {
        /// Column titles (may be empty: then no header row).
        head: Vec<String>,
        /// Cells, row by row; rows may be shorter or longer than `head`.
        rows: Vec<Vec<String>>,
        /// Relative column widths (missing, zero or non-finite ones count as 1).
        widths: Vec<f32>,
    },
    /// A line of text after a drawn mark: a green check when `ok`, else a red cross.
    Flag {
        /// Whether the mark is a check (true) or a cross (false).
        ok: bool,
        /// The text after the mark, wrapped.
        text: String,
    },
}

// ---------------------------------------------------------------------------------------
// Page geometry (points, y downwards as in SVG).

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const RIGHT: f32 = PAGE_W - MARGIN_X;
/// Top of the body on page 1 (the title starts here).
const FIRST_TOP: f32 = 46.0;
/// Top of the body on later pages (under the running head).
const CONT_TOP: f32 = 62.0;
/// Nothing of the body goes below this line.
const BODY_BOTTOM: f32 = PAGE_H - 62.0;
const HEAD_BASE: f32 = 34.0;
const HEAD_RULE: f32 = 41.0;
const FOOT_RULE: f32 = PAGE_H - 48.0;
const FOOT_BASE: f32 = PAGE_H - 35.0;

const SANS: &str = "DejaVu Sans, WenQuanYi Micro Hei";
const MONO: &str = "DejaVu Sans Mono, DejaVu Sans, WenQuanYi Micro Hei";

const INK: &str = "#1d2430";
const MUTED: &str = "#5c6775";
const ACCENT: &str = "#1f3a5f";
const RULE: &str = "#c3cad2";
const HAIR: &str = "#e3e7eb";
const HEAD_BG: &str = "#e2e6eb";
const ZEBRA: &str = "#f3f5f7";
const OK_INK: &str = "#1a7f37";
const OK_BG: &str = "#e2f2e6";
const BAD_INK: &str = "#c62828";
const BAD_BG: &str = "#fae5e5";

const TITLE_SIZE: f32 = 17.0;
const SUBTITLE_SIZE: f32 = 9.5;
const HEADING_SIZE: f32 = 12.0;
const BODY_SIZE: f32 = 8.5;
const TABLE_SIZE: f32 = 7.0;
const SMALL_SIZE: f32 = 7.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.45;
/// Baseline below the top of a line box, as a multiple of the font size.
const BASELINE: f32 = 1.08;
/// Smallest font size of a table's column title.
const MIN_HEAD_SIZE: f32 = 5.5;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
/// Lines of a title or subtitle at most (longer ones are cut with "…").
const MAX_TITLE_LINES: usize = 4;
const MAX_HEADING_LINES: usize = 4;

// ---------------------------------------------------------------------------------------
// Text measuring and wrapping.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Face {
    Sans,
    Mono,
}

/// Advances (em) of DejaVu Sans Bold for U+0020..=U+007E.
const SANS_ASCII: [f32; 95] = [
    0.348, 0.456, 0.521, 0.838, 0.696, 1.002, 0.872, 0.306, 0.457, 0.457, 0.523, 0.838, 0.380,
    0.415, 0.380, 0.365, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696,
    0.400, 0.400, 0.838, 0.838, 0.838, 0.580, 1.000, 0.774, 0.762, 0.734, 0.830, 0.683, 0.683,
    0.821, 0.837, 0.372, 0.372, 0.775, 0.637, 0.995, 0.837, 0.850, 0.733, 0.850, 0.770, 0.720,
    0.682, 0.812, 0.774, 1.103, 0.771, 0.724, 0.725, 0.457, 0.365, 0.457, 0.838, 0.500, 0.500,
    0.675, 0.716, 0.593, 0.716, 0.678, 0.435, 0.716, 0.712, 0.343, 0.343, 0.665, 0.343, 1.042,
    0.712, 0.687, 0.716, 0.716, 0.493, 0.595, 0.478, 0.712, 0.652, 0.924, 0.645, 0.652, 0.582,
    0.712, 0.365, 0.712, 0.838,
];
/// DejaVu Sans Mono's advance (its subset covers ASCII).
const MONO_EM: f32 = 0.602;
/// Estimates are multiplied by this before comparing with the room there is.
const SAFETY: f32 = 1.02;

/// Estimated advance of a character, in em: exact for ASCII, an upper bound of the faces'
/// advances for the other ranges they cover (Latin, Greek, Cyrillic, punctuation, CJK),
/// one em for anything else (a missing glyph's box is narrower).
fn char_em(c: char, face: Face) -> f32 {
    let u = u32::from(c);
    if (0x20..0x7f).contains(&u) {
        return match face {
            Face::Mono => MONO_EM,
            Face::Sans => SANS_ASCII.get((u - 0x20) as usize).copied().unwrap_or(1.0),
        };
    }
    match u {
        0xbc..=0xbe | 0xc6 | 0xe6 | 0x152 | 0x153 | 0x174 => 1.2,
        0xa0..=0x24f => 0.9,
        0x370..=0x3ff => 1.1,
        0x409 | 0x40a | 0x416 | 0x428 | 0x429 | 0x42e => 1.35,
        0x400..=0x45f => 0.95,
        0x460..=0x52f => 1.45,
        0x2030 => 1.45,
        0x2031 => 1.9,
        0x20a7 | 0x20af => 1.55,
        0x20a8 | 0x20a9 => 1.25,
        0x2000..=0x20cf => 1.05,
        0x2100..=0x214f => 1.4,
        _ => 1.0,
    }
}

fn text_width(s: &str, size: f32, face: Face) -> f32 {
    s.chars().map(|c| char_em(c, face)).sum::<f32>() * size * SAFETY
}

/// Makes text safe for one line of SVG: control characters become spaces and characters
/// XML forbids are dropped.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\u{fffe}' | '\u{ffff}'))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes text for SVG character data and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Wraps text into lines no wider than `max` (estimated): words go whole onto a line when
/// they fit, a word wider than a line is broken between characters (every line holds at
/// least one character, however narrow `max`). Runs of whitespace count as one space.
fn wrap(s: &str, max: f32, size: f32, face: Face) -> Vec<String> {
    let space = char_em(' ', face) * size * SAFETY;
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0.0f32;
    for word in s.split_whitespace() {
        let word = clean(word);
        let w = text_width(&word, size, face);
        if !cur.is_empty() && cur_w + space + w <= max {
            cur.push(' ');
            cur.push_str(&word);
            cur_w += space + w;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            cur_w = 0.0;
        }
        if w <= max {
            cur = word;
            cur_w = w;
            continue;
        }
        // A word wider than a line: break it between characters, into pieces of about
        // the same length (a 64-digit id in two halves rather than 60 + 4).
        let pieces = (w / max.max(f32::MIN_POSITIVE)).ceil().max(1.0) as usize;
        let per = word.chars().count().div_ceil(pieces.max(1)).max(1);
        let mut n = 0;
        for c in word.chars() {
            let cw = char_em(c, face) * size * SAFETY;
            if !cur.is_empty() && (cur_w + cw > max || n >= per) {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0.0;
                n = 0;
            }
            n += 1;
            cur.push(c);
            cur_w += cw;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Cuts one line to `max` (estimated), ending it with "…" when it was cut.
fn fit_line(s: &str, max: f32, size: f32, face: Face) -> String {
    let s = clean(s.trim());
    if text_width(&s, size, face) <= max {
        return s;
    }
    let ell = char_em('…', face) * size * SAFETY;
    let mut out = String::new();
    let mut w = 0.0f32;
    for c in s.chars() {
        let cw = char_em(c, face) * size * SAFETY;
        if w + cw + ell > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Keeps at most `n` lines, marking the last kept one with "…" when some were dropped.
fn cap_lines(mut lines: Vec<String>, n: usize, max: f32, size: f32, face: Face) -> Vec<String> {
    if lines.len() > n {
        lines.truncate(n.max(1));
        if let Some(last) = lines.last_mut() {
            let mut t = std::mem::take(last);
            t.push_str(" …");
            // Cutting always ends with "…", and fits.
            *last = fit_line(&t, max, size, face);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    lines
}

/// A whole cell or value that is one long hexadecimal id.
fn is_hex_id(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    t.len() >= 16 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A cell that is exactly a check or cross mark: which one.
fn mark_of(s: &str) -> Option<bool> {
    match s.trim() {
        "✓" | "✔" | "☑" => Some(true),
        "✗" | "✘" | "✕" | "☒" => Some(false),
        _ => None,
    }
}

/// A cell that reads as a number: digits with separators, a sign, a percent sign or a
/// currency symbol, optionally with a three-letter currency code before or after.
fn is_numeric(s: &str) -> bool {
    let t = s.trim();
    let code = |w: &str| w.len() == 3 && w.bytes().all(|b| b.is_ascii_uppercase());
    let t = match t.split_once(' ') {
        Some((a, b)) if code(a) => b.trim(),
        _ => match t.rsplit_once(' ') {
            Some((a, b)) if code(b) => a.trim(),
            _ => t,
        },
    };
    t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || ".,-+%  '$€£¥−".contains(c))
}

fn face_of(s: &str) -> Face {
    if is_hex_id(s) { Face::Mono } else { Face::Sans }
}

fn family(face: Face) -> &'static str {
    match face {
        Face::Sans => SANS,
        Face::Mono => MONO,
    }
}

fn line_h(size: f32) -> f32 {
    size * LEADING
}

// ---------------------------------------------------------------------------------------
// Layout.

/// How text sits on its x.
#[derive(Clone, Copy, PartialEq)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// One text line to draw.
struct Line<'a> {
    x: f32,
    baseline: f32,
    size: f32,
    fill: &'a str,
    face: Face,
    anchor: Anchor,
    clip: Option<&'a str>,
}

/// A table's columns, as laid out.
struct Columns {
    id: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    pad: Vec<f32>,
    numeric: Vec<bool>,
    marks: Vec<bool>,
    /// Header lines of each column, and their font size.
    head: Vec<(Vec<String>, f32)>,
    head_h: f32,
}

struct Layout {
    pages: Vec<String>,
    cur: String,
    y: f32,
    tables: usize,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: Vec::new(),
            cur: String::new(),
            y: FIRST_TOP,
            tables: 0,
        }
    }

    fn top(&self) -> f32 {
        if self.pages.is_empty() {
            FIRST_TOP
        } else {
            CONT_TOP
        }
    }

    fn at_top(&self) -> bool {
        self.y <= self.top() + 0.01
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.cur));
        self.y = CONT_TOP;
    }

    /// Starts a new page unless `h` more fits on this one (or this one is still empty).
    fn ensure(&mut self, h: f32) {
        if self.y + h > BODY_BOTTOM && !self.at_top() {
            self.new_page();
        }
    }

    /// Vertical space before a block, none at the top of a page.
    fn gap(&mut self, g: f32) {
        if !self.at_top() {
            self.y += g;
        }
    }

    fn text(&mut self, l: &Line, s: &str) {
        if s.is_empty() {
            return;
        }
        let anchor = match l.anchor {
            Anchor::Start => "",
            Anchor::Middle => r#" text-anchor="middle""#,
            Anchor::End => r#" text-anchor="end""#,
        };
        let clip = l
            .clip
            .map(|c| format!(r#" clip-path="url(#{c})""#))
            .unwrap_or_default();
        let _ = write!(
            self.cur,
            r#"<text x="{:.2}" y="{:.2}" font-family="{}" font-size="{:.2}" fill="{}"{anchor}{clip}>{}</text>"#,
            l.x,
            l.baseline,
            family(l.face),
            l.size,
            l.fill,
            esc(s)
        );
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: &str) {
        let _ = write!(
            self.cur,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" fill="{fill}"/>"#,
            w.max(0.0),
            h.max(0.0)
        );
    }

    fn hline(&mut self, y: f32, width: f32, color: &str) {
        let _ = write!(
            self.cur,
            r#"<path d="M{MARGIN_X:.2} {y:.2}H{RIGHT:.2}" stroke="{color}" stroke-width="{width:.2}" fill="none"/>"#
        );
    }

    /// A check (ok) or cross mark of height about `s`, centred on (cx, cy).
    fn mark(&mut self, cx: f32, cy: f32, s: f32, ok: bool) {
        let h = s / 2.0;
        let d = if ok {
            format!(
                "M{:.2} {:.2}L{:.2} {:.2}L{:.2} {:.2}",
                cx - h,
                cy + 0.05 * s,
                cx - 0.15 * s,
                cy + 0.4 * s,
                cx + h,
                cy - 0.4 * s
            )
        } else {
            let r = 0.36 * s;
            format!(
                "M{:.2} {:.2}L{:.2} {:.2}M{:.2} {:.2}L{:.2} {:.2}",
                cx - r,
                cy - r,
                cx + r,
                cy + r,
                cx - r,
                cy + r,
                cx + r,
                cy - r
            )
        };
        let color = if ok { OK_INK } else { BAD_INK };
        let _ = write!(
            self.cur,
            r#"<path d="{d}" stroke="{color}" stroke-width="{:.2}" stroke-linecap="round" stroke-linejoin="round" fill="none"/>"#,
            0.2 * s
        );
    }

    fn title(&mut self, title: &str, subtitle: &str) {
        let mut any = false;
        let lines = wrap(title, CONTENT_W, TITLE_SIZE, Face::Sans);
        let lines = cap_lines(lines, MAX_TITLE_LINES, CONTENT_W, TITLE_SIZE, Face::Sans);
        for l in &lines {
            let line = Line {
                x: MARGIN_X,
                baseline: self.y + BASELINE * TITLE_SIZE,
                size: TITLE_SIZE,
                fill: ACCENT,
                face: Face::Sans,
                anchor: Anchor::Start,
                clip: None,
            };
            self.text(&line, l);
            self.y += line_h(TITLE_SIZE);
            any = true;
        }
        let mut sub = Vec::new();
        for part in subtitle.split('\n') {
            sub.extend(wrap(part, CONTENT_W, SUBTITLE_SIZE, Face::Sans));
        }
        let sub = cap_lines(sub, MAX_TITLE_LINES, CONTENT_W, SUBTITLE_SIZE, Face::Sans);
        if any && !sub.is_empty() {
            self.y += 2.0;
        }
        for l in &sub {
            let line = Line {
                x: MARGIN_X,
                baseline: self.y + BASELINE * SUBTITLE_SIZE,
                size: SUBTITLE_SIZE,
                fill: MUTED,
                face: Face::Sans,
                anchor: Anchor::Start,
                clip: None,
            };
            self.text(&line, l);
            self.y += line_h(SUBTITLE_SIZE);
            any = true;
        }
        if any {
            self.y += 6.0;
            self.hline(self.y, 1.2, ACCENT);
            self.y += 6.0;
        }
    }

    fn heading(&mut self, s: &str) {
        let lines = wrap(s, CONTENT_W, HEADING_SIZE, Face::Sans);
        let lines = cap_lines(
            lines,
            MAX_HEADING_LINES,
            CONTENT_W,
            HEADING_SIZE,
            Face::Sans,
        );
        let lh = line_h(HEADING_SIZE);
        let h = lines.len().max(1) as f32 * lh + 8.0;
        self.gap(14.0);
        // Keep the heading with at least a few lines of what follows.
        self.ensure(h + 4.0 * line_h(BODY_SIZE));
        for l in &lines {
            let line = Line {
                x: MARGIN_X,
                baseline: self.y + BASELINE * HEADING_SIZE,
                size: HEADING_SIZE,
                fill: INK,
                face: Face::Sans,
                anchor: Anchor::Start,
                clip: None,
            };
            self.text(&line, l);
            self.y += lh;
        }
        if lines.is_empty() {
            self.y += lh;
        }
        self.y += 2.0;
        self.hline(self.y, 0.6, RULE);
        self.y += 6.0;
    }

    fn paragraph(&mut self, s: &str) {
        let lh = line_h(BODY_SIZE);
        self.gap(5.0);
        for part in s.split('\n') {
            let lines = wrap(part, CONTENT_W, BODY_SIZE, Face::Sans);
            if lines.is_empty() {
                self.y += lh / 2.0;
                continue;
            }
            // No single first line at the foot of a page.
            self.ensure(lh * lines.len().min(2) as f32);
            for l in &lines {
                self.ensure(lh);
                let line = Line {
                    x: MARGIN_X,
                    baseline: self.y + BASELINE * BODY_SIZE,
                    size: BODY_SIZE,
                    fill: INK,
                    face: Face::Sans,
                    anchor: Anchor::Start,
                    clip: None,
                };
                self.text(&line, l);
                self.y += lh;
            }
        }
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        if pairs.is_empty() {
            return;
        }
        let size = BODY_SIZE;
        let lh = line_h(size);
        let widest = pairs
            .iter()
            .map(|(k, _)| text_width(k.trim(), size, Face::Sans))
            .fold(0.0f32, f32::max);
        let key_w = (widest + 14.0).clamp(90.0, CONTENT_W * 0.36);
        let val_x = MARGIN_X + key_w;
        let val_w = CONTENT_W - key_w;
        self.gap(5.0);
        let page_room = BODY_BOTTOM - CONT_TOP;
        for (k, v) in pairs {
            let keys = wrap(k, key_w - 14.0, size, Face::Sans);
            let mut vals = Vec::new();
            for part in v.split('\n') {
                vals.extend(wrap(part, val_w, size, face_of(part)));
            }
            let n = keys.len().max(vals.len()).max(1);
            let h = n as f32 * lh + 3.0;
            if h <= page_room {
                self.ensure(h);
            }
            for i in 0..n {
                self.ensure(lh);
                let base = self.y + BASELINE * size;
                if let Some(key) = keys.get(i) {
                    let line = Line {
                        x: MARGIN_X,
                        baseline: base,
                        size,
                        fill: MUTED,
                        face: Face::Sans,
                        anchor: Anchor::Start,
                        clip: None,
                    };
                    self.text(&line, key);
                }
                if let Some(val) = vals.get(i) {
                    let line = Line {
                        x: val_x,
                        baseline: base,
                        size,
                        fill: INK,
                        face: face_of(val),
                        anchor: Anchor::Start,
                        clip: None,
                    };
                    self.text(&line, val);
                }
                self.y += lh;
            }
            self.y += 1.5;
            self.hline(self.y, 0.4, HAIR);
            self.y += 1.5;
        }
    }

    fn flag(&mut self, ok: bool, s: &str) {
        let size = BODY_SIZE;
        let lh = line_h(size);
        let indent = 17.0;
        let mut lines = Vec::new();
        for part in s.split('\n') {
            lines.extend(wrap(part, CONTENT_W - indent, size, Face::Sans));
        }
        let n = lines.len().max(1);
        let h = n as f32 * lh + 3.0;
        self.gap(3.0);
        if h <= BODY_BOTTOM - CONT_TOP {
            self.ensure(h);
        } else {
            self.ensure(lh);
        }
        let cy = self.y + lh / 2.0;
        let _ = write!(
            self.cur,
            r#"<circle cx="{:.2}" cy="{cy:.2}" r="6" fill="{}"/>"#,
            MARGIN_X + 6.0,
            if ok { OK_BG } else { BAD_BG }
        );
        self.mark(MARGIN_X + 6.0, cy, 7.0, ok);
        for l in &lines {
            self.ensure(lh);
            let line = Line {
                x: MARGIN_X + indent,
                baseline: self.y + BASELINE * size,
                size,
                fill: INK,
                face: Face::Sans,
                anchor: Anchor::Start,
                clip: None,
            };
            self.text(&line, l);
            self.y += lh;
        }
        if lines.is_empty() {
            self.y += lh;
        }
    }

    /// Clip paths of a table's columns and its header row, at the top of the table or
    /// of a page it goes on to.
    fn table_start(&mut self, cols: &Columns) {
        for (i, (x, w)) in cols.x.iter().zip(&cols.w).enumerate() {
            let inset = cols.pad.get(i).copied().unwrap_or(0.0) / 2.0;
            let _ = write!(
                self.cur,
                r#"<clipPath id="t{}c{i}"><rect x="{:.2}" y="0" width="{:.2}" height="{PAGE_H:.2}"/></clipPath>"#,
                cols.id,
                x + inset,
                (w - 2.0 * inset).max(0.1)
            );
        }
        if cols.head_h <= 0.0 {
            return;
        }
        let top = self.y;
        self.rect(MARGIN_X, top, CONTENT_W, cols.head_h, HEAD_BG);
        for (i, (lines, size)) in cols.head.iter().enumerate() {
            let clip = format!("t{}c{i}", cols.id);
            let (x, anchor) = cell_x(cols, i);
            for (j, l) in lines.iter().enumerate() {
                let line = Line {
                    x,
                    baseline: top
                        + CELL_PAD_Y
                        + j as f32 * line_h(TABLE_SIZE)
                        + BASELINE * TABLE_SIZE,
                    size: *size,
                    fill: INK,
                    face: Face::Sans,
                    anchor,
                    clip: Some(&clip),
                };
                self.text(&line, l);
            }
        }
        self.y += cols.head_h;
        self.hline(self.y, 0.6, MUTED);
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>], widths: &[f32]) {
        let ncols = rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(head.len()))
            .max()
            .unwrap_or(0);
        if ncols == 0 {
            return;
        }
        // Column widths: invalid ones count as 1, none narrower than a quarter of the mean.
        let mut fr: Vec<f32> = (0..ncols)
            .map(|i| match widths.get(i) {
                Some(w) if w.is_finite() && *w > 0.0 => *w,
                _ => 1.0,
            })
            .collect();
        let total: f32 = fr.iter().sum();
        let mean = total / ncols as f32;
        for w in &mut fr {
            *w = w.max(mean / 4.0);
        }
        let total: f32 = fr.iter().sum();
        let mut x = Vec::with_capacity(ncols);
        let mut w = Vec::with_capacity(ncols);
        let mut at = MARGIN_X;
        for f in &fr {
            let cw = CONTENT_W * f / total;
            x.push(at);
            w.push(cw);
            at += cw;
        }
        let pad: Vec<f32> = w.iter().map(|cw| CELL_PAD_X.min(cw * 0.15)).collect();
        let numeric: Vec<bool> = (0..ncols)
            .map(|i| {
                let mut any = false;
                for r in rows {
                    let c = cell(r, i).trim();
                    if c.is_empty() || mark_of(c).is_some() {
                        continue;
                    }
                    if !is_numeric(c) {
                        return false;
                    }
                    any = true;
                }
                any
            })
            .collect();
        let marks: Vec<bool> = (0..ncols)
            .map(|i| {
                let mut cells = rows
                    .iter()
                    .map(|r| cell(r, i).trim())
                    .filter(|c| !c.is_empty());
                let first = cells.next();
                first.is_some() && first.into_iter().chain(cells).all(|c| mark_of(c).is_some())
            })
            .collect();
        let lh = line_h(TABLE_SIZE);
        let has_head = head.iter().any(|h| !h.trim().is_empty());
        // A title word that does not fit its column is set smaller (down to
        // MIN_HEAD_SIZE) before it is broken.
        let head_lines: Vec<(Vec<String>, f32)> = (0..ncols)
            .map(|i| {
                let room = w[i] - 2.0 * pad[i];
                let title = cell(head, i);
                let widest = title
                    .split_whitespace()
                    .map(|word| text_width(word, 1.0, Face::Sans))
                    .fold(0.0f32, f32::max);
                let size = if widest * TABLE_SIZE > room && widest > 0.0 {
                    (room / widest).clamp(MIN_HEAD_SIZE, TABLE_SIZE)
                } else {
                    TABLE_SIZE
                };
                let lines = wrap(title, room, size, Face::Sans);
                (cap_lines(lines, 3, room, size, Face::Sans), size)
            })
            .collect();
        let head_h = if has_head {
            head_lines
                .iter()
                .map(|(l, _)| l.len())
                .max()
                .unwrap_or(1)
                .max(1) as f32
                * lh
                + 2.0 * CELL_PAD_Y
        } else {
            0.0
        };
        self.tables += 1;
        let cols = Columns {
            id: self.tables,
            x,
            w,
            pad,
            numeric,
            marks,
            head: head_lines,
            head_h,
        };
        // Rows taller than an empty page (under the header) are cut.
        let max_lines =
            (((BODY_BOTTOM - CONT_TOP - head_h - 2.0 * CELL_PAD_Y) / lh).floor() as usize).max(1);

        let laid: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                (0..ncols)
                    .map(|i| {
                        let c = cell(r, i);
                        if let Some(ok) = mark_of(c) {
                            return Cell::Mark(ok);
                        }
                        let face = face_of(c);
                        let room = cols.w[i] - 2.0 * cols.pad[i];
                        let size = fit_size(c, room, face);
                        let lines = wrap(c, room, size, face);
                        Cell::Text(cap_lines(lines, max_lines, room, size, face), face, size)
                    })
                    .collect()
            })
            .collect();
        let row_h = |r: &[Cell]| {
            r.iter()
                .map(|c| match c {
                    Cell::Mark(_) => 1,
                    Cell::Text(l, _, _) => l.len(),
                })
                .max()
                .unwrap_or(1)
                .max(1) as f32
                * lh
                + 2.0 * CELL_PAD_Y
        };

        self.gap(6.0);
        let first = laid
            .first()
            .map(|r| row_h(r))
            .unwrap_or(lh + 2.0 * CELL_PAD_Y);
        self.ensure(head_h + first);
        self.table_start(&cols);
        if laid.is_empty() {
            let line = Line {
                x: MARGIN_X + CELL_PAD_X,
                baseline: self.y + CELL_PAD_Y + BASELINE * TABLE_SIZE,
                size: TABLE_SIZE,
                fill: MUTED,
                face: Face::Sans,
                anchor: Anchor::Start,
                clip: None,
            };
            self.text(&line, "No entries.");
            self.y += lh + 2.0 * CELL_PAD_Y;
        }
        for (n, r) in laid.iter().enumerate() {
            let h = row_h(r);
            if self.y + h > BODY_BOTTOM {
                self.hline(self.y, 0.6, RULE);
                self.new_page();
                self.table_start(&cols);
            }
            let top = self.y;
            if n % 2 == 1 {
                self.rect(MARGIN_X, top, CONTENT_W, h, ZEBRA);
            }
            for (i, c) in r.iter().enumerate() {
                match c {
                    Cell::Mark(ok) => {
                        let cx = cols.x[i] + cols.w[i] / 2.0;
                        let s = (TABLE_SIZE).min(cols.w[i] - 2.0);
                        self.mark(cx, top + CELL_PAD_Y + lh / 2.0, s.max(1.0), *ok);
                    }
                    Cell::Text(lines, face, size) => {
                        let clip = format!("t{}c{i}", cols.id);
                        let (x, anchor) = cell_x(&cols, i);
                        for (j, l) in lines.iter().enumerate() {
                            let line = Line {
                                x,
                                baseline: top + CELL_PAD_Y + j as f32 * lh + BASELINE * TABLE_SIZE,
                                size: *size,
                                fill: INK,
                                face: *face,
                                anchor,
                                clip: Some(&clip),
                            };
                            self.text(&line, l);
                        }
                    }
                }
            }
            self.y += h;
        }
        self.hline(self.y, 0.6, RULE);
        self.y += 2.0;
    }
}

/// Cell `i` of a row, empty when the row is shorter.
fn cell(r: &[String], i: usize) -> &str {
    r.get(i).map(String::as_str).unwrap_or("")
}

/// Font size of a table cell: a single word (not a hex id, which is broken instead) that
/// is a little too wide for its column, such as a long number, is set smaller, down to
/// MIN_HEAD_SIZE, rather than broken.
fn fit_size(c: &str, room: f32, face: Face) -> f32 {
    let mut words = c.split_whitespace();
    let (Some(word), None) = (words.next(), words.next()) else {
        return TABLE_SIZE;
    };
    if face == Face::Mono {
        return TABLE_SIZE;
    }
    let w = text_width(word, 1.0, face);
    if w * TABLE_SIZE <= room || w * MIN_HEAD_SIZE > room {
        TABLE_SIZE
    } else {
        room / w
    }
}

/// A laid-out table cell.
enum Cell {
    Mark(bool),
    /// Lines, face and font size.
    Text(Vec<String>, Face, f32),
}

/// Where a cell's text starts (or ends, right-aligned) in column `i`.
fn cell_x(cols: &Columns, i: usize) -> (f32, Anchor) {
    let x = cols.x.get(i).copied().unwrap_or(MARGIN_X);
    let w = cols.w.get(i).copied().unwrap_or(0.0);
    let pad = cols.pad.get(i).copied().unwrap_or(0.0);
    if cols.marks.get(i).copied().unwrap_or(false) {
        (x + w / 2.0, Anchor::Middle)
    } else if cols.numeric.get(i).copied().unwrap_or(false) {
        (x + w - pad, Anchor::End)
    } else {
        (x + pad, Anchor::Start)
    }
}

/// Lays the document out: one complete SVG document per page, A4 portrait in points
/// (595.28 × 841.89), in order. [`render`] converts exactly these pages.
pub fn layout(doc: &PdfDoc) -> Vec<String> {
    let mut l = Layout::new();
    l.title(&doc.title, &doc.subtitle);
    for b in &doc.blocks {
        match b {
            PdfBlock::Heading(s) => l.heading(s),
            PdfBlock::Paragraph(s) => l.paragraph(s),
            PdfBlock::KeyValues(kv) => l.key_values(kv),
            PdfBlock::Table { head, rows, widths } => l.table(head, rows, widths),
            PdfBlock::Flag { ok, text } => l.flag(*ok, text),
        }
    }
    l.pages.push(std::mem::take(&mut l.cur));

    let total = l.pages.len();
    let bodies = std::mem::take(&mut l.pages);
    let head_title = fit_line(&doc.title, CONTENT_W, SMALL_SIZE, Face::Sans);
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut p = Layout::new();
            p.cur.reserve(body.len() + 1024);
            let _ = write!(
                p.cur,
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}" height="{PAGE_H}" viewBox="0 0 {PAGE_W} {PAGE_H}">"#
            );
            if i > 0 && !head_title.is_empty() {
                let line = Line {
                    x: MARGIN_X,
                    baseline: HEAD_BASE,
                    size: SMALL_SIZE,
                    fill: MUTED,
                    face: Face::Sans,
                    anchor: Anchor::Start,
                    clip: None,
                };
                p.text(&line, &head_title);
                p.hline(HEAD_RULE, 0.4, RULE);
            }
            p.cur.push_str(&body);
            let num = format!("page {} / {}", i + 1, total);
            let num_w = text_width(&num, SMALL_SIZE, Face::Sans);
            let foot = fit_line(
                &doc.footer,
                CONTENT_W - num_w - 16.0,
                SMALL_SIZE,
                Face::Sans,
            );
            p.hline(FOOT_RULE, 0.4, RULE);
            let mut line = Line {
                x: MARGIN_X,
                baseline: FOOT_BASE,
                size: SMALL_SIZE,
                fill: MUTED,
                face: Face::Sans,
                anchor: Anchor::Start,
                clip: None,
            };
            p.text(&line, &foot);
            line.x = RIGHT;
            line.anchor = Anchor::End;
            p.text(&line, &num);
            p.cur.push_str("</svg>");
            p.cur
        })
        .collect()
}

/// Renders the document as one PDF, one A4 page per page of [`layout`], drawing its text
/// with the faces in `fonts` (the families "DejaVu Sans", "DejaVu Sans Mono" and
/// "WenQuanYi Micro Hei" are asked for; text stays selectable text).
pub fn render(doc: &PdfDoc, fonts: Arc<usvg::fontdb::Database>) -> Result<Vec<u8>, String> {
    let pages = layout(doc);
    let opts = usvg::Options {
        fontdb: fonts.clone(),
        ..Default::default()
    };
    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let info_id = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::with_capacity(pages.len());
    let xobj_name = Name(b"P");
    for (n, svg) in pages.iter().enumerate() {
        let tree =
            usvg::Tree::from_str(svg, &opts).map_err(|e| format!("page {}: SVG: {e}", n + 1))?;
        let (chunk, svg_ref) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| format!("page {}: PDF conversion: {e}", n + 1))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let xobj = map
            .get(&svg_ref)
            .copied()
            .ok_or_else(|| format!("page {}: PDF conversion lost its form", n + 1))?;
        pdf.extend(&chunk);

        let page_id = alloc.bump();
        let content_id = alloc.bump();
        let mut content = Content::new();
        content.save_state();
        content.transform([PAGE_W, 0.0, 0.0, PAGE_H, 0.0, 0.0]);
        content.x_object(xobj_name);
        content.restore_state();
        pdf.stream(content_id, &content.finish());

        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(xobj_name, xobj);
        page.finish();
        page_ids.push(page_id);
    }
    pdf.catalog(catalog_id).pages(tree_id);
    let count = i32::try_from(page_ids.len()).map_err(|_| "too many pages".to_string())?;
    pdf.pages(tree_id).kids(page_ids).count(count);
    let mut info = pdf.document_info(info_id);
    let title = clean(doc.title.trim());
    if !title.is_empty() {
        info.title(TextStr(&title));
    }
    info.producer(TextStr("Handoff"));
    info.finish();
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The label fonts: `assets/fonts` of the repository (two levels above this crate in
    /// the app, or the main checkout).
    fn fonts() -> Arc<usvg::fontdb::Database> {
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/fonts"),
            "/work/main/assets/fonts",
        ];
        let names = [
            "DejaVuSans-Bold.label.ttf",
            "DejaVuSansMono.label.ttf",
            "WenQuanYiMicroHei.label.ttf",
        ];
        let mut db = usvg::fontdb::Database::new();
        for name in names {
            let bytes = dirs
                .iter()
                .find_map(|d| std::fs::read(format!("{d}/{name}")).ok())
                .unwrap_or_else(|| panic!("font {name} not found in {dirs:?}"));
            db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(bytes)));
        }
        db.set_sans_serif_family("DejaVu Sans");
        db.set_monospace_family("DejaVu Sans Mono");
        Arc::new(db)
    }

    /// Page objects in a PDF (`/Type /Page`, not `/Pages`).
    fn pdf_pages(pdf: &[u8]) -> usize {
        let pat = b"/Type /Page";
        pdf.windows(pat.len() + 1)
            .filter(|w| w.starts_with(pat) && w[pat.len()] != b's')
            .count()
    }

    fn hex(i: usize) -> String {
        (0..64)
            .map(|j| char::from(b"0123456789abcdef"[(i * 7 + j * 13) % 16]))
            .collect()
    }

    /// An evidence-pack-like document with `n` invoice lines.
    fn sample(n: usize) -> PdfDoc {
        let rows = (0..n)
            .map(|i| {
                vec![
                    format!("{}", i + 1),
                    hex(i),
                    format!("Frozen shrimp, 20 kg carton, lot L-{:04}", 100 + i),
                    format!("{}", 10 + i % 7),
                    format!("{}.{:02}", 1200 + i * 37, i % 100),
                    format!("2025-03-{:02} 14:{:02} UTC", 1 + i % 28, i % 60),
                    if i % 9 == 4 { "✗" } else { "✓" }.to_string(),
                ]
            })
            .collect();
        PdfDoc {
            title: "Evidence pack — invoice INV-2041".into(),
            subtitle: "Exported by Harbour Trade Finance Ltd on 2025-03-31 09:12 UTC\nChain: handoff-main · block 18 204".into(),
            footer: "Handoff evidence pack · INV-2041 · generated from chain state at block 18 204".into(),
            blocks: vec![
                PdfBlock::Heading("Invoice".into()),
                PdfBlock::KeyValues(vec![
                    ("Seller".into(), "Ningbo Ocean Foods Co., Ltd. (宁波海洋食品有限公司)".into()),
                    ("Buyer".into(), "Nordic Seafood Distribution AB".into()),
                    ("Lender".into(), "Harbour Trade Finance Ltd".into()),
                    ("Face value".into(), "EUR 48,250.00".into()),
                    ("Outstanding".into(), "EUR 31,400.00".into()),
                    ("Status".into(), "Financed — partially repaid".into()),
                    ("Asset id".into(), hex(99)),
                ]),
                PdfBlock::Heading("Invoice lines and their handoffs".into()),
                PdfBlock::Table {
                    head: ["#", "Handoff id", "Item", "Qty", "Amount (EUR)", "Accepted", "Matched"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    rows,
                    widths: vec![0.45, 2.8, 1.9, 0.45, 1.0, 2.0, 0.8],
                },
                PdfBlock::Heading("Checks".into()),
                PdfBlock::Flag { ok: true, text: "Every invoice line is backed by an accepted handoff on the chain.".into() },
                PdfBlock::Flag { ok: false, text: "3 lines were accepted after the invoice date: the quantities shipped after invoicing should be confirmed with the buyer before the next drawdown.".into() },
                PdfBlock::Heading("Notes".into()),
                PdfBlock::Paragraph("This evidence pack lists the trade evidence the lender relied on when financing the invoice: for each invoice line, the custody handoff that moved the goods from the seller to the carrier and on to the buyer, as recorded and signed on the chain. Amounts are in the invoice currency. A line is matched when the handoff's item, quantity and counterparty agree with the invoice line; a mismatch is not necessarily an error (partial shipments are common), but it is flagged for review. Ids: asset ".to_string() + &hex(5) + " — port logistics partner 港口物流 (宁波) handled customs clearance. Special characters survive: <tag> & \"quotes\" 'apostrophes'."),
            ],
        }
    }

    #[test]
    fn small_doc_is_one_page_pdf() {
        let doc = PdfDoc {
            title: "Small".into(),
            subtitle: "sub".into(),
            footer: "foot".into(),
            blocks: vec![
                PdfBlock::Heading("H".into()),
                PdfBlock::Paragraph("Hello world.".into()),
                PdfBlock::KeyValues(vec![("a".into(), "b".into())]),
                PdfBlock::Table {
                    head: vec!["x".into(), "y".into()],
                    rows: vec![vec!["1".into(), "2".into()]],
                    widths: vec![1.0, 1.0],
                },
                PdfBlock::Flag {
                    ok: true,
                    text: "fine".into(),
                },
            ],
        };
        assert_eq!(layout(&doc).len(), 1);
        let pdf = render(&doc, fonts()).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf_pages(&pdf), 1);
        // Text is embedded as text (a font), not drawn as paths.
        assert!(pdf.windows(10).any(|w| w == b"/Type /Fon"));
    }

    #[test]
    fn many_rows_give_many_pages() {
        let doc = sample(500);
        let pages = layout(&doc);
        assert!(pages.len() > 10, "{} pages", pages.len());
        let pdf = render(&doc, fonts()).expect("renders");
        assert_eq!(pdf_pages(&pdf), pages.len());
        // The header is repeated on every page the table goes on to, and every page
        // says which of how many it is.
        let n = pages.len();
        for (i, p) in pages.iter().enumerate() {
            assert!(p.contains(&format!("page {} / {n}", i + 1)));
            if i > 0 && i + 1 < n {
                assert!(p.contains(">Handoff id</text>"), "page {}", i + 1);
            }
        }
        // Every row is there, once.
        let all = pages.concat();
        for i in 0..500 {
            assert_eq!(
                all.matches(&format!("L-{:04}</text>", 100 + i)).count(),
                1,
                "row {i}"
            );
        }
    }

    #[test]
    fn escapes_and_chinese() {
        let doc = PdfDoc {
            title: "<&> \"'".into(),
            subtitle: "港口物流".into(),
            footer: "a & b < c".into(),
            blocks: vec![
                PdfBlock::Heading("港口物流 <heading>".into()),
                PdfBlock::Paragraph("x < y && y > z; \"q\" 'a' 港口物流".into()),
                PdfBlock::KeyValues(vec![("<k>".into(), "&v;".into())]),
                PdfBlock::Table {
                    head: vec!["<h>".into()],
                    rows: vec![vec!["&amp;".into()], vec!["港口物流".repeat(40)]],
                    widths: vec![],
                },
                PdfBlock::Flag {
                    ok: false,
                    text: "</text>".into(),
                },
            ],
        };
        let pages = layout(&doc);
        assert!(pages[0].contains("&lt;&amp;&gt; &quot;&apos;"));
        assert!(pages[0].contains("&amp;amp;"));
        let pdf = render(&doc, fonts()).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        // The Chinese face is used (subset and embedded).
        assert!(pdf.windows(10).any(|w| w == b"WenQuanYiM"));
    }

    /// Everything odd at once: empty and huge strings, control characters, ragged rows,
    /// bad widths, 80 columns.
    fn odd_doc() -> PdfDoc {
        let huge = "x".repeat(20_000);
        PdfDoc {
            title: huge.clone(),
            subtitle: huge.clone(),
            footer: huge.clone(),
            blocks: vec![
                PdfBlock::Heading(String::new()),
                PdfBlock::Heading(huge.clone()),
                PdfBlock::Paragraph(String::new()),
                PdfBlock::Paragraph("\n\n\t\u{0}\u{7}\u{feff}\u{ffff} \r".into()),
                PdfBlock::KeyValues(vec![]),
                PdfBlock::KeyValues(vec![
                    (String::new(), String::new()),
                    (huge.clone(), huge.clone()),
                ]),
                PdfBlock::Table {
                    head: vec![],
                    rows: vec![],
                    widths: vec![],
                },
                PdfBlock::Table {
                    head: vec!["a".into()],
                    rows: vec![],
                    widths: vec![f32::NAN],
                },
                PdfBlock::Table {
                    head: vec![],
                    rows: vec![vec![], vec!["only".into()]],
                    widths: vec![],
                },
                PdfBlock::Table {
                    head: vec!["a".into(), "b".into(), "c".into()],
                    rows: vec![
                        vec![],
                        vec!["1".into()],
                        vec!["1".into(), "2".into(), "3".into(), "4".into(), "5".into()],
                        vec![huge.clone(), String::new(), "✓".into()],
                    ],
                    widths: vec![-1.0, f32::INFINITY, 0.0, 1e30],
                },
                PdfBlock::Table {
                    head: (0..80).map(|i| format!("col {i}")).collect(),
                    rows: vec![(0..80).map(|i| format!("value {i}")).collect()],
                    widths: vec![1e-30],
                },
                PdfBlock::Flag {
                    ok: true,
                    text: String::new(),
                },
                PdfBlock::Flag {
                    ok: false,
                    text: huge,
                },
            ],
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        let empty = PdfDoc::default();
        assert_eq!(layout(&empty).len(), 1);
        assert_eq!(pdf_pages(&render(&empty, fonts()).expect("empty")), 1);

        let doc = odd_doc();
        let pages = layout(&doc);
        let pdf = render(&doc, fonts()).expect("odd input");
        assert_eq!(pdf_pages(&pdf), pages.len());
    }

    #[test]
    fn wrap_respects_width() {
        let texts = [
            "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
            "ŒŒŒŒŒ ææææ ЖЖЖЖ ‱‱‱ 港口物流港口物流港口物流",
            "a b c d e f g h i j k l m n o p q r s t u v w x y z",
            "",
            "   ",
        ];
        for t in texts {
            for max in [0.0, 1.0, 20.0, 55.5, 300.0] {
                for face in [Face::Sans, Face::Mono] {
                    let lines = wrap(t, max, 9.0, face);
                    let joined: String = lines.concat().split_whitespace().collect();
                    let want: String = t.split_whitespace().collect();
                    assert_eq!(joined, want, "nothing lost");
                    for l in &lines {
                        assert!(!l.is_empty());
                        assert!(
                            text_width(l, 9.0, face) <= max || l.chars().count() == 1,
                            "{l:?} wider than {max}"
                        );
                    }
                }
            }
        }
        assert_eq!(fit_line("abc", 1000.0, 9.0, Face::Sans), "abc");
        assert!(fit_line(&"abc ".repeat(100), 50.0, 9.0, Face::Sans).ends_with('…'));
    }

    /// Walks a parsed page: each text's box, with the clip box around it if any.
    fn texts(
        g: &usvg::Group,
        clip: Option<usvg::Rect>,
        out: &mut Vec<(usvg::Rect, Option<usvg::Rect>)>,
    ) {
        let clip = g.clip_path().map(|c| c.root().abs_bounding_box()).or(clip);
        for n in g.children() {
            match n {
                usvg::Node::Group(g) => texts(g, clip, out),
                usvg::Node::Text(t) => out.push((t.abs_bounding_box(), clip)),
                _ => {}
            }
        }
    }

    /// With the real fonts, no text goes beyond the margins, nor out of its table column.
    #[test]
    fn text_stays_inside_page_and_columns() {
        let mut doc = sample(40);
        doc.blocks.push(PdfBlock::Paragraph(
            "WWWW ŒŒŒŒ ЖЖЖЖ 港口物流 ".repeat(30) + &hex(1).repeat(3),
        ));
        doc.blocks.push(PdfBlock::Table {
            head: vec!["W".repeat(50), "港".repeat(50), "m".into()],
            rows: vec![vec!["W".repeat(200), "港口物流".repeat(30), hex(3)]],
            widths: vec![1.0, 1.0, 0.2],
        });
        assert!(text_boxes_ok(&doc, true) > 300);
        // Odd input: what shows (inside its column's clip) stays inside the margins.
        assert!(text_boxes_ok(&odd_doc(), false) > 100);
    }

    /// Parses each page with the real fonts and checks every text's box: inside the
    /// margins and, when `strict`, inside its table column; else only the part its column
    /// clip lets show must be inside the margins. The number of texts checked.
    fn text_boxes_ok(doc: &PdfDoc, strict: bool) -> usize {
        let opts = usvg::Options {
            fontdb: fonts(),
            ..Default::default()
        };
        let mut checked = 0;
        for (n, svg) in layout(doc).iter().enumerate() {
            let tree = usvg::Tree::from_str(svg, &opts).expect("parses");
            let mut found = Vec::new();
            texts(tree.root(), None, &mut found);
            for (b, clip) in found {
                let (left, right) = match clip {
                    Some(c) if !strict => (b.left().max(c.left()), b.right().min(c.right())),
                    _ => (b.left(), b.right()),
                };
                assert!(
                    left >= MARGIN_X - 0.5 && right <= RIGHT + 0.5,
                    "page {}: {b:?} {clip:?}",
                    n + 1
                );
                assert!(
                    b.top() >= 0.0 && b.bottom() <= PAGE_H,
                    "page {}: {b:?}",
                    n + 1
                );
                if let (Some(c), true) = (clip, strict) {
                    assert!(
                        b.left() >= c.left() - 0.5 && b.right() <= c.right() + 0.5,
                        "page {}: {b:?} out of column {c:?}",
                        n + 1
                    );
                }
                checked += 1;
            }
        }
        checked
    }

    /// Renders the sample; with `PDFDOC_SAMPLE` set, writes it (and the 500-row and odd
    /// documents) beside Cargo.toml as sample.pdf, sample500.pdf and odd.pdf, to look at.
    #[test]
    fn sample_pdf() {
        let pdf = render(&sample(30), fonts()).expect("renders");
        assert!(pdf_pages(&pdf) >= 2);
        if std::env::var_os("PDFDOC_SAMPLE").is_some() {
            let dir = env!("CARGO_MANIFEST_DIR");
            std::fs::write(format!("{dir}/sample.pdf"), &pdf).expect("writes sample");
            let long = render(&sample(500), fonts()).expect("renders");
            std::fs::write(format!("{dir}/sample500.pdf"), &long).expect("writes");
            let odd = render(&odd_doc(), fonts()).expect("renders");
            std::fs::write(format!("{dir}/odd.pdf"), &odd).expect("writes");
        }
    }
}
