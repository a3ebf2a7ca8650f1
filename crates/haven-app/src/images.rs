//! Product pictures drawn locally as SVG, so the demo needs no downloads.
//! Each category has its own simple drawing; colours come from the title so
//! every listing looks different.

fn palette(seed: &str) -> (String, String) {
    let hash = seed.bytes().fold(2_166_136_261_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    });
    let hue = hash % 360;
    let accent = (hue + 150) % 360;
    (
        format!("hsl({hue},55%,55%)"),
        format!("hsl({accent},45%,88%)"),
    )
}

fn drawing(category: &str, color: &str) -> String {
    match category {
        "electronics" => format!(
            r##"<rect x="90" y="70" width="220" height="150" rx="14" fill="{color}"/><rect x="106" y="86" width="188" height="110" rx="6" fill="#1d2433"/><rect x="170" y="228" width="60" height="14" rx="4" fill="{color}"/><rect x="140" y="242" width="120" height="10" rx="5" fill="#55606f"/>"##
        ),
        "home" => format!(
            r##"<path d="M150 90 L250 90 L280 170 L120 170 Z" fill="{color}"/><rect x="193" y="170" width="14" height="80" fill="#6b4f3a"/><ellipse cx="200" cy="258" rx="60" ry="12" fill="#6b4f3a"/>"##
        ),
        "fashion" => format!(
            r##"<path d="M140 80 L175 70 Q200 95 225 70 L260 80 L300 125 L270 145 L255 130 L255 255 L145 255 L145 130 L130 145 L100 125 Z" fill="{color}"/>"##
        ),
        "toys" => format!(
            r##"<rect x="110" y="170" width="80" height="80" rx="8" fill="{color}"/><rect x="210" y="170" width="80" height="80" rx="8" fill="#f2b84b"/><rect x="160" y="90" width="80" height="80" rx="8" fill="#4b9bf2"/><text x="150" y="222" font-size="40" font-family="sans-serif" fill="#fff" text-anchor="middle">H</text>"##
        ),
        "sports" => format!(
            r##"<circle cx="200" cy="165" r="85" fill="{color}"/><path d="M115 165 Q200 120 285 165 M115 165 Q200 210 285 165 M200 80 Q170 165 200 250" stroke="#fff" stroke-width="6" fill="none"/>"##
        ),
        "beauty" => format!(
            r##"<rect x="165" y="70" width="70" height="40" rx="6" fill="#3b3b48"/><rect x="140" y="110" width="120" height="150" rx="24" fill="{color}"/><rect x="160" y="160" width="80" height="40" rx="6" fill="#fff" opacity="0.7"/>"##
        ),
        "books" => format!(
            r##"<rect x="120" y="70" width="160" height="190" rx="6" fill="{color}"/><rect x="120" y="70" width="22" height="190" fill="#000" opacity="0.2"/><rect x="160" y="110" width="100" height="12" rx="3" fill="#fff" opacity="0.8"/><rect x="160" y="132" width="70" height="10" rx="3" fill="#fff" opacity="0.6"/>"##
        ),
        _ => format!(
            r##"<path d="M200 250 L200 150" stroke="#3d7a3d" stroke-width="8"/><ellipse cx="160" cy="150" rx="45" ry="22" fill="{color}" transform="rotate(-30 160 150)"/><ellipse cx="240" cy="130" rx="45" ry="22" fill="{color}" transform="rotate(30 240 130)"/><path d="M150 240 L250 240 L235 290 L165 290 Z" fill="#b5651d"/>"##
        ),
    }
}

/// Drawings of particular products, found by a word in the title: a belt
/// must not look like a T-shirt just because both are fashion.
const PRODUCTS: &[(&[&str], &str)] = &[
    (
        &["belt"],
        r##"<rect x="60" y="140" width="280" height="36" rx="8" fill="{c}"/><rect x="250" y="128" width="56" height="60" rx="6" fill="none" stroke="#c9a227" stroke-width="8"/><rect x="270" y="150" width="30" height="8" fill="#c9a227"/><circle cx="110" cy="158" r="5" fill="#333"/><circle cx="140" cy="158" r="5" fill="#333"/><circle cx="170" cy="158" r="5" fill="#333"/>"##,
    ),
    (
        &["beanie", "hat"],
        r##"<path d="M110 210 Q110 90 200 90 Q290 90 290 210 Z" fill="{c}"/><rect x="100" y="200" width="200" height="44" rx="10" fill="{c}" stroke="#000" stroke-opacity="0.15" stroke-width="6"/><circle cx="200" cy="82" r="20" fill="{c}"/>"##,
    ),
    (
        &["tote", "bag"],
        r##"<path d="M155 120 Q155 70 200 70 Q245 70 245 120" stroke="#7a5a3a" stroke-width="10" fill="none"/><path d="M120 120 L280 120 L265 260 L135 260 Z" fill="{c}"/>"##,
    ),
    (
        &["sock"],
        r##"<path d="M170 70 L230 70 L230 190 Q230 215 255 220 L285 228 Q310 236 300 262 Q292 282 260 276 L180 255 Q160 250 165 225 L170 190 Z" fill="{c}"/><rect x="170" y="70" width="60" height="22" fill="#fff" opacity="0.6"/>"##,
    ),
    (
        &["jacket", "coat"],
        r##"<path d="M150 70 L250 70 L300 110 L310 250 L270 250 L265 140 L262 260 L138 260 L135 140 L130 250 L90 250 L100 110 Z" fill="{c}"/><path d="M200 80 L200 260" stroke="#333" stroke-width="4"/><path d="M170 70 Q200 100 230 70" fill="#000" opacity="0.2"/>"##,
    ),
    (
        &["dumbbell"],
        r##"<rect x="110" y="155" width="180" height="20" rx="6" fill="#666"/><rect x="80" y="110" width="40" height="110" rx="8" fill="{c}"/><rect x="280" y="110" width="40" height="110" rx="8" fill="{c}"/><rect x="60" y="125" width="24" height="80" rx="6" fill="{c}"/><rect x="316" y="125" width="24" height="80" rx="6" fill="{c}"/>"##,
    ),
    (
        &["yoga", "mat"],
        r##"<rect x="80" y="170" width="200" height="70" rx="10" fill="{c}"/><circle cx="280" cy="190" r="50" fill="{c}"/><circle cx="280" cy="190" r="32" fill="none" stroke="#000" stroke-opacity="0.2" stroke-width="6"/><circle cx="280" cy="190" r="14" fill="none" stroke="#000" stroke-opacity="0.2" stroke-width="5"/>"##,
    ),
    (
        &["candle"],
        r##"<rect x="130" y="130" width="55" height="130" rx="6" fill="{c}"/><rect x="215" y="150" width="55" height="110" rx="6" fill="{c}"/><path d="M157 100 Q170 118 157 128 Q144 118 157 100 Z" fill="#f5a623"/><path d="M242 120 Q255 138 242 148 Q229 138 242 120 Z" fill="#f5a623"/>"##,
    ),
    (
        &["basket"],
        r##"<path d="M100 140 L300 140 L275 260 L125 260 Z" fill="{c}"/><path d="M110 170 L290 170 M115 200 L285 200 M120 230 L280 230" stroke="#000" stroke-opacity="0.2" stroke-width="6"/><path d="M150 140 Q200 70 250 140" stroke="{c}" stroke-width="10" fill="none"/>"##,
    ),
    (
        &["cushion", "pillow"],
        r##"<path d="M100 90 Q200 110 300 90 Q285 170 300 250 Q200 230 100 250 Q115 170 100 90 Z" fill="{c}"/><circle cx="200" cy="170" r="8" fill="#000" opacity="0.2"/>"##,
    ),
    (
        &["shelf"],
        r##"<rect x="70" y="170" width="260" height="26" rx="4" fill="{c}"/><rect x="100" y="110" width="40" height="60" rx="4" fill="#4b9bf2"/><rect x="150" y="125" width="26" height="45" rx="4" fill="#f2b84b"/><path d="M240 170 L260 120 L280 170 Z" fill="#3d7a3d"/>"##,
    ),
    (
        &["pour-over", "coffee", "mug"],
        r##"<path d="M140 80 L260 80 L220 150 L180 150 Z" fill="{c}"/><rect x="150" y="160" width="100" height="100" rx="12" fill="#fff" stroke="{c}" stroke-width="8"/><path d="M250 185 Q290 190 285 220 Q280 245 250 240" stroke="{c}" stroke-width="8" fill="none"/>"##,
    ),
    (
        &["watering"],
        r##"<path d="M130 140 L250 140 L245 250 L135 250 Z" fill="{c}"/><path d="M250 200 L320 120" stroke="{c}" stroke-width="14"/><rect x="305" y="100" width="30" height="24" rx="4" fill="{c}" transform="rotate(40 320 112)"/><path d="M150 140 Q190 90 230 140" stroke="{c}" stroke-width="10" fill="none"/>"##,
    ),
    (
        &["shears", "pruning", "scissors"],
        r##"<path d="M200 160 L300 70" stroke="#8a8f98" stroke-width="16" stroke-linecap="round"/><path d="M200 160 L290 95" stroke="#b0b5bd" stroke-width="12" stroke-linecap="round"/><path d="M200 160 L120 250" stroke="{c}" stroke-width="22" stroke-linecap="round"/><path d="M200 160 L150 262" stroke="{c}" stroke-width="22" stroke-linecap="round"/><circle cx="200" cy="160" r="10" fill="#333"/>"##,
    ),
    (
        &["light"],
        r##"<g fill="{c}"><rect x="90" y="150" width="30" height="100"/><rect x="185" y="150" width="30" height="100"/><rect x="280" y="150" width="30" height="100"/></g><g fill="#f5d76e"><circle cx="105" cy="140" r="22"/><circle cx="200" cy="140" r="22"/><circle cx="295" cy="140" r="22"/></g><rect x="70" y="245" width="260" height="10" fill="#3d7a3d"/>"##,
    ),
    (
        &["earbud"],
        r##"<rect x="120" y="150" width="160" height="100" rx="50" fill="#f4f4f4" stroke="{c}" stroke-width="8"/><circle cx="165" cy="120" r="30" fill="{c}"/><rect x="157" y="120" width="16" height="60" rx="8" fill="{c}"/><circle cx="235" cy="120" r="30" fill="{c}"/><rect x="227" y="120" width="16" height="60" rx="8" fill="{c}"/>"##,
    ),
    (
        &["charger", "charging"],
        r##"<rect x="130" y="110" width="140" height="120" rx="18" fill="{c}"/><rect x="170" y="80" width="14" height="34" fill="#8a8f98"/><rect x="216" y="80" width="14" height="34" fill="#8a8f98"/><path d="M200 135 L180 175 L205 175 L192 210 L225 160 L200 160 Z" fill="#fff"/><path d="M200 230 Q200 270 250 270 L320 270" stroke="#333" stroke-width="8" fill="none"/>"##,
    ),
    (
        &["keyboard"],
        r##"<rect x="60" y="110" width="280" height="120" rx="12" fill="{c}"/><g fill="#fff" opacity="0.85"><rect x="78" y="128" width="26" height="24" rx="4"/><rect x="112" y="128" width="26" height="24" rx="4"/><rect x="146" y="128" width="26" height="24" rx="4"/><rect x="180" y="128" width="26" height="24" rx="4"/><rect x="214" y="128" width="26" height="24" rx="4"/><rect x="248" y="128" width="26" height="24" rx="4"/><rect x="282" y="128" width="40" height="24" rx="4"/><rect x="78" y="160" width="40" height="24" rx="4"/><rect x="126" y="160" width="26" height="24" rx="4"/><rect x="160" y="160" width="26" height="24" rx="4"/><rect x="194" y="160" width="26" height="24" rx="4"/><rect x="228" y="160" width="26" height="24" rx="4"/><rect x="262" y="160" width="60" height="24" rx="4"/><rect x="120" y="192" width="160" height="24" rx="4"/></g>"##,
    ),
    (
        &["speaker"],
        r##"<rect x="140" y="70" width="120" height="190" rx="40" fill="{c}"/><circle cx="200" cy="185" r="42" fill="#1d2433"/><circle cx="200" cy="185" r="16" fill="#55606f"/><circle cx="200" cy="110" r="16" fill="#1d2433"/>"##,
    ),
    (
        &["train"],
        r##"<rect x="90" y="120" width="110" height="90" rx="8" fill="{c}"/><rect x="200" y="150" width="110" height="60" rx="8" fill="#f2b84b"/><rect x="110" y="95" width="40" height="30" fill="{c}"/><g fill="#333"><circle cx="120" cy="222" r="18"/><circle cx="175" cy="222" r="18"/><circle cx="230" cy="222" r="18"/><circle cx="285" cy="222" r="18"/></g>"##,
    ),
    (
        &["fox"],
        r##"<path d="M120 90 L165 140 L235 140 L280 90 L275 180 Q200 280 125 180 Z" fill="{c}"/><path d="M160 200 Q200 250 240 200 Q200 215 160 200 Z" fill="#fff"/><circle cx="170" cy="170" r="8" fill="#222"/><circle cx="230" cy="170" r="8" fill="#222"/><circle cx="200" cy="215" r="8" fill="#222"/>"##,
    ),
    (
        &["puzzle"],
        r##"<path d="M110 100 L180 100 Q180 75 200 75 Q220 75 220 100 L290 100 L290 170 Q315 170 315 190 Q315 210 290 210 L290 260 L110 260 L110 210 Q135 210 135 190 Q135 170 110 170 Z" fill="{c}"/>"##,
    ),
    (
        &["console", "handheld"],
        r##"<rect x="130" y="70" width="140" height="200" rx="18" fill="{c}"/><rect x="150" y="90" width="100" height="80" rx="6" fill="#1d2433"/><path d="M165 205 h30 M180 190 v30" stroke="#333" stroke-width="10"/><circle cx="235" cy="200" r="10" fill="#a12828"/><circle cx="222" cy="222" r="10" fill="#a12828"/>"##,
    ),
    (
        &["walkie"],
        r##"<rect x="110" y="110" width="80" height="150" rx="14" fill="{c}"/><rect x="130" y="60" width="12" height="55" fill="#333"/><rect x="210" y="110" width="80" height="150" rx="14" fill="{c}"/><rect x="230" y="60" width="12" height="55" fill="#333"/><rect x="125" y="130" width="50" height="40" rx="4" fill="#1d2433"/><rect x="225" y="130" width="50" height="40" rx="4" fill="#1d2433"/>"##,
    ),
    (
        &["serum"],
        r##"<rect x="160" y="130" width="80" height="130" rx="14" fill="{c}"/><rect x="180" y="100" width="40" height="34" fill="#3b3b48"/><ellipse cx="200" cy="88" rx="18" ry="22" fill="#3b3b48"/><rect x="172" y="170" width="56" height="40" rx="4" fill="#fff" opacity="0.7"/>"##,
    ),
    (
        &["cream"],
        r##"<path d="M130 110 L270 110 L250 250 L150 250 Z" fill="{c}"/><rect x="170" y="250" width="60" height="26" rx="4" fill="#3b3b48"/><path d="M130 110 L270 110 L260 96 L140 96 Z" fill="#000" opacity="0.15"/><rect x="165" y="160" width="70" height="36" rx="4" fill="#fff" opacity="0.7"/>"##,
    ),
];

/// The drawing for a listing: its product's, else its category's.
fn drawing_for(title: &str, category: &str, color: &str) -> String {
    let words = title.to_lowercase();
    PRODUCTS
        .iter()
        .find(|(keys, _)| keys.iter().any(|key| words.contains(key)))
        .map_or_else(
            || drawing(category, color),
            |(_, svg)| svg.replace("{c}", color),
        )
}

/// A 400×300 SVG picture for a listing.
pub fn product_svg(title: &str, category: &str) -> Vec<u8> {
    let (color, background) = palette(title);
    let label: String = title
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .take(28)
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300"><rect width="400" height="300" fill="{background}"/>{}<text x="200" y="290" font-size="14" font-family="sans-serif" fill="#333" text-anchor="middle" opacity="0.6">{label}</text></svg>"##,
        drawing_for(title, category, &color)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_differ_and_are_svg() {
        let a = super::product_svg("Lamp", "home");
        let b = super::product_svg("Chair", "home");
        assert_ne!(a, b);
        assert!(String::from_utf8(a).unwrap().starts_with("<svg"));
    }

    #[test]
    fn a_belt_is_not_drawn_as_a_t_shirt() {
        let belt = super::drawing_for("Classic leather belt", "fashion", "red");
        let jacket = super::drawing_for("Rain jacket", "fashion", "red");
        let shirt = super::drawing("fashion", "red");
        assert_ne!(belt, shirt);
        assert_ne!(belt, jacket);
        assert_ne!(jacket, shirt);
        assert!(!belt.contains("{c}"), "the colour is filled in");
        // No keyword: the category's drawing.
        assert_eq!(super::drawing_for("Linen shirt", "fashion", "red"), shirt);
    }
}
