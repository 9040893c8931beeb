#!/usr/bin/env python3
"""Makes the label fonts in assets/fonts from Debian's font packages, reproducibly.

Labels (chain/node/src/label.rs) embed these three faces and no others:

  DejaVuSans-Bold.label.ttf      product names: Latin, Greek, Cyrillic
  DejaVuSansMono.label.ttf       the human-readable GS1 lines: ASCII
  WenQuanYiMicroHei.label.ttf    product names in Chinese: all of GB2312 (levels 1 and 2,
                                 its punctuation, kana, Greek and Cyrillic), kana, Latin

Sources: fonts-dejavu-core 2.37-6 and fonts-wqy-microhei 0.2.0-beta-3.1 (their SHA-256
are checked below, so a different source is an error, not a silently different font).
Tool: fontTools 4.68.0 (`pip install fonttools==4.68.0`). Run from anywhere:

    python3 assets/fonts/subset.py

It also writes gb2312.txt, the characters the Chinese face must cover; the label tests
check the embedded face against it.
"""
import hashlib
import pathlib

from fontTools import subset, version

HERE = pathlib.Path(__file__).resolve().parent
FONTS = pathlib.Path("/usr/share/fonts/truetype")
SOURCES = {
    "dejavu/DejaVuSans-Bold.ttf": "0d977336a6d5fba34eab8e3199eb218327161b5143749f802982c2bc34df0c96",
    "dejavu/DejaVuSansMono.ttf": "0f5db4f1749979d961019838b160bec74abdf7f9eca69553fe1aa856bbff49a4",
    "wqy/wqy-microhei.ttc": "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3",
}
FONTTOOLS = "4.68.0"


def gb2312():
    """Every character GB2312 encodes: rows 1-9 (symbols, kana, Greek, Cyrillic, box
    drawing), 16-55 (level 1 hanzi) and 56-87 (level 2 hanzi)."""
    chars = []
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                c = bytes([row, cell]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            chars.append(c)
    return chars


# Printable ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic, general punctuation
# (… – — ‘ ’ “ ”), currency (€), letterlike symbols (™ ℃ №).
LATIN = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x180))
    + list(range(0x370, 0x400))
    + list(range(0x400, 0x530))
    + list(range(0x2000, 0x2070))
    + list(range(0x20A0, 0x20C1))
    + list(range(0x2100, 0x2150))
)
ASCII = list(range(0x20, 0x7F))


def make(source, out, unicodes, font_number=0):
    opts = subset.Options()
    opts.font_number = font_number
    # The default shaping features (kerning, ligatures, locl…); no vertical forms or
    # stylistic alternates, which labels never use.
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = False  # labels are printed at 300 dpi and up; hints only add bytes
    opts.recalc_timestamp = False  # keep the source's timestamp: same input, same bytes
    font = subset.load_font(str(source), opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    subset.save_font(font, str(out), opts)
    print(f"{out.name}: {out.stat().st_size} bytes")


def main():
    if version != FONTTOOLS:
        raise SystemExit(f"fontTools {version}, expected {FONTTOOLS}: pip install fonttools=={FONTTOOLS}")
    for rel, want in SOURCES.items():
        got = hashlib.sha256((FONTS / rel).read_bytes()).hexdigest()
        if got != want:
            raise SystemExit(f"{FONTS / rel}: sha256 {got}, expected {want}")
    cjk = gb2312()
    (HERE / "gb2312.txt").write_text("".join(cjk) + "\n", encoding="utf-8")
    make(FONTS / "dejavu/DejaVuSans-Bold.ttf", HERE / "DejaVuSans-Bold.label.ttf", LATIN)
    make(FONTS / "dejavu/DejaVuSansMono.ttf", HERE / "DejaVuSansMono.label.ttf", ASCII)
    make(
        FONTS / "wqy/wqy-microhei.ttc",
        HERE / "WenQuanYiMicroHei.label.ttf",
        # Its own Latin too: a name that mixes hanzi and Latin is drawn all in this face.
        # Kana whole (GB2312 lacks the long-vowel mark ー and a few small kana).
        LATIN + [ord(c) for c in cjk] + list(range(0x3040, 0x3100)),
        font_number=0,
    )


if __name__ == "__main__":
    main()
