//! Development probe: parses every fixture and prints what happened.
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_default();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if ext != "jsonld" && ext != "xml" && ext != "json" {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        match handoff_epcis::parse(&text) {
            Ok(d) => println!("OK {} {}", d.events.len(), p.display()),
            Err(e) => println!("ERR {} {e}", p.display()),
        }
    }
}
