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
        drawing(category, &color)
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
}
