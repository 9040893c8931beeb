//! Development probe: pre-hash strings before and after a round trip through the other format.
fn main() {
    let p = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&p).unwrap_or_default();
    let Ok(d) = handoff_epcis::parse(&text) else {
        return;
    };
    let (j, d2) = if text.trim_start().starts_with('<') {
        let j = handoff_epcis::write_jsonld(&d);
        (j.clone(), handoff_epcis::parse_jsonld(&j))
    } else {
        let j = handoff_epcis::write_xml(&d);
        (j.clone(), handoff_epcis::parse_xml(&j))
    };
    let Ok(d2) = d2 else {
        println!("reparse failed {j}");
        return;
    };
    for (a, b) in d.events.iter().zip(&d2.events) {
        let (x, y) = (
            handoff_epcis::pre_hash(&d, a),
            handoff_epcis::pre_hash(&d2, b),
        );
        if x != y {
            let i = x.bytes().zip(y.bytes()).take_while(|(p, q)| p == q).count();
            println!(
                "A {}\nB {}",
                &x[i.saturating_sub(150)..],
                &y[i.saturating_sub(150)..]
            );
        }
    }
}
