//! Development probe: compares hash ids with the expected ones.
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_default();
    let verbose = std::env::args().nth(2).is_some();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if ext != "jsonld" && ext != "xml" {
            continue;
        }
        let hp = p.with_extension("hashes");
        let Ok(want) = std::fs::read_to_string(&hp) else {
            println!("NOHASH {}", p.display());
            continue;
        };
        let want: Vec<&str> = want.lines().filter(|l| !l.trim().is_empty()).collect();
        let pre = std::fs::read_to_string(p.with_extension("prehashes")).unwrap_or_default();
        let pre: Vec<&str> = pre.lines().filter(|l| !l.trim().is_empty()).collect();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        match handoff_epcis::parse(&text) {
            Ok(d) => {
                let got = handoff_epcis::hash_ids(&d);
                let ok = got.iter().zip(&want).filter(|(a, b)| a == b).count();
                println!(
                    "{} {ok}/{} (got {}) {}",
                    if ok == want.len() && got.len() == want.len() {
                        "MATCH"
                    } else {
                        "DIFF"
                    },
                    want.len(),
                    got.len(),
                    p.display()
                );
                if verbose {
                    for (i, e) in d.events.iter().enumerate() {
                        if got.get(i).map(|s| s.as_str()) != want.get(i).copied() {
                            println!(
                                "  mine: {}\n  want: {}",
                                handoff_epcis::pre_hash(&d, e),
                                pre.get(i).unwrap_or(&"")
                            );
                        }
                    }
                }
            }
            Err(e) => println!("ERR {} {e}", p.display()),
        }
    }
}
