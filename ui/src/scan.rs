//! What arrives from a scanner, before it goes to the node: the configured FNC1
//! substitute turned back into GS, and a batch that keeps each code once.

use handoff_core::gs1;

/// The GS character (FNC1 inside an element string).
pub const GS: char = '\u{1d}';

/// Replaces the scanner's FNC1 substitute (e.g. `^` or `~`, configured on the scanner
/// because a keyboard cannot type GS) with GS. Digital Link URIs and parenthesised
/// codes are left alone, since `~` may appear in a URI.
pub fn normalize(raw: &str, fnc1_substitute: &str) -> String {
    let s = raw.trim_matches(|c: char| c == '\r' || c == '\n' || c == ' ');
    let looks_like_text = s.contains("://") || s.starts_with('(') || s.starts_with('/');
    if fnc1_substitute.is_empty() || looks_like_text {
        s.to_string()
    } else {
        s.replace(fnc1_substitute, &GS.to_string())
    }
}

/// One entry of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEntry {
    /// What was scanned.
    pub raw: String,
    /// The canonical identifier, or the parse error (`code`, `message`).
    pub parsed: Result<String, (String, String)>,
}

/// What adding a scan to a batch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// A new, valid code.
    New,
    /// The same identifier is already in the batch (in any notation).
    Duplicate,
    /// Not a valid GS1 code: kept in the list, flagged.
    Invalid,
}

/// Scans collected for one action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// In scan order.
    pub entries: Vec<BatchEntry>,
}

impl Batch {
    /// Adds a scan, parsed with the ledger's own GS1 parser. Every scan stays in the list
    /// (so the person scanning sees a duplicate or a bad code flagged where it happened);
    /// only the first of each identifier counts.
    pub fn add(&mut self, raw: &str) -> Added {
        let parsed = gs1::parse_scan(raw)
            .map(|s| s.key.canonical())
            .map_err(|e| (e.code.as_str().to_string(), e.message));
        let added = match &parsed {
            Ok(c) if self.entries.iter().any(|e| e.parsed.as_ref() == Ok(c)) => Added::Duplicate,
            Ok(_) => Added::New,
            Err(_) => Added::Invalid,
        };
        self.entries.push(BatchEntry {
            raw: raw.to_string(),
            parsed,
        });
        added
    }

    /// The valid codes, canonical, each once, in scan order.
    pub fn codes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.entries {
            if let Ok(c) = &e.parsed
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        }
        out
    }

    /// How many valid codes.
    pub fn count(&self) -> usize {
        self.codes().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_substitute_becomes_gs_in_element_strings_only() {
        assert_eq!(
            normalize("]C10109506000134352^10LOT7\r\n", "^"),
            format!("]C10109506000134352{GS}10LOT7")
        );
        assert_eq!(
            normalize("https://id.example.com/01/09506000134352?x=~", "~"),
            "https://id.example.com/01/09506000134352?x=~"
        );
        assert_eq!(normalize(" (01)09506000134352 ", ""), "(01)09506000134352");
    }

    #[test]
    fn a_batch_keeps_each_identifier_once_whatever_the_notation() {
        let mut b = Batch::default();
        assert_eq!(b.add("(01)00614141025015(21)E261000260"), Added::New);
        assert_eq!(
            b.add("https://id.gs1.org/01/00614141025015/21/E261000260"),
            Added::Duplicate
        );
        assert_eq!(b.add("(01)00614141025016(21)X"), Added::Invalid);
        assert_eq!(b.add("(01)00614141025015(21)E261000261"), Added::New);
        assert_eq!(b.count(), 2);
        assert_eq!(
            b.entries.len(),
            4,
            "duplicates and invalid scans stay visible, flagged"
        );
        assert_eq!(
            b.codes(),
            vec![
                "/01/00614141025015/21/E261000260".to_string(),
                "/01/00614141025015/21/E261000261".to_string()
            ]
        );
    }
}
