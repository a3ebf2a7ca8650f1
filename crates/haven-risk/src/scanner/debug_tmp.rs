// TEMPORARY: prints hits for texts in /tmp/dbg/in.txt; removed before hand-off.
use super::*;
#[test]
fn dbg_hits() {
    let s = Scanner::new(ScannerConfig {
        brand: "Haven".into(),
        own_domains: vec!["haven-market.com".into()],
        carrier_domains: default_carrier_domains(),
    });
    let Ok(input) = std::fs::read_to_string("/tmp/dbg/in.txt") else {
        return;
    };
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let text = line.splitn(3, '|').nth(2).unwrap();
        let a = s.analyse(text);
        println!("== {text}");
        let b = normalize::base(text);
        println!("   letters: {}", normalize::letters(&b).spaced.text);
        for h in &a.hits {
            println!(
                "   {:?} w{}-{} {:?}",
                h.fam,
                h.w0,
                h.w1,
                &text[h.orig.clone()]
            );
        }
        for x in &a.arts {
            println!("   ART {:?} {:?}", x.kind, &text[x.orig.clone()]);
        }
        for l in &a.links {
            println!("   LINK {:?} {:?}", l.found.kind, l.verdict);
        }
    }
}
