// TEMPORARY debugging harness; deleted before hand-off.
use haven_risk::scanner::*;
#[test]
fn dbg() {
    let s = Scanner::new(ScannerConfig {
        brand: "Haven".into(),
        own_domains: vec!["haven-market.com".into()],
        carrier_domains: default_carrier_domains(),
    });
    let input = std::fs::read_to_string("/tmp/dbg/in.txt").unwrap();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let mut p = line.splitn(3, '|');
        let stage: Stage = serde_json::from_str(&format!("\"{}\"", p.next().unwrap())).unwrap();
        let from: Sender = serde_json::from_str(&format!("\"{}\"", p.next().unwrap())).unwrap();
        let text = p.next().unwrap();
        let r = s.scan(text, stage, from);
        println!(
            "{:?} {:?} {:?}\n   {}\n   {:?}",
            from, stage, r.categories, text, r.reasons
        );
    }
}
