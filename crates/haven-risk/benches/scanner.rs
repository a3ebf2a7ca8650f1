//! Scanner throughput on a realistic chat mix: ~1,000 synthetic messages,
//! mostly benign, multilingual, with the usual scams and evasions mixed in.
//!
//! Run with `cargo bench -p haven-risk --bench scanner`; the reported
//! element throughput is messages per second on one core.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use haven_risk::scanner::{Scanner, ScannerConfig, Sender, Stage, default_carrier_domains};

/// Benign templates; `{n}` becomes a varying number, `{p}` a product.
const BENIGN: &[&str] = &[
    "Hi! Is the {p} still available? I could pick it up this weekend or you can ship it.",
    "Thanks for the quick reply. Does the {p} come with the original box and charger?",
    "Shipped today with DHL, tracking SP{n}5HV. It should arrive within 3-5 working days.",
    "Your order {n} is packed, I'll drop it at the post office tomorrow morning.",
    "The {p} measures 120 x 60 x 75 cm and weighs about 18 kg. Price is 149 EUR.",
    "Received it today, everything works perfectly. Thank you very much!",
    "Could you send a photo of the back side of the {p}? I want to check for scratches.",
    "I paid with PayPal at checkout, let me know when it ships :)",
    "Import VAT may be charged by customs when the parcel arrives, just so you know.",
    "Track it here: https://www.ups.com/track?tracknum=1Z999AA1{n}",
    "You can see the order on https://haven-market.com/orders/{n}",
    "¿Sigue disponible el {p}? Me interesa mucho, ¿cuánto sería el envío a Sevilla?",
    "Ya lo envié por Correos, el número de seguimiento es PK{n}0ES.",
    "Olá! O {p} ainda está disponível? Posso pagar hoje pelo site.",
    "Chegou certinho, muito obrigado pela atenção!",
    "Bonjour, le {p} est-il toujours disponible ? Je peux payer sur la plateforme.",
    "Colis bien reçu, merci beaucoup, tout est parfait.",
    "Здравствуйте! {p} еще продается? Могу оформить заказ сегодня.",
    "Посылку получил, все отлично, спасибо!",
    "Hallo, ist der {p} noch da? Versand nach Berlin wäre super.",
    "Paket ist angekommen, alles bestens. Vielen Dank!",
    "The manual is here: https://www.example-maker.com/manuals/{n}.pdf",
    "Sorry for the delay, I was traveling. I'll ship on Monday, {n} is the order number.",
    "Can you do 130 instead of 150? I'd buy two if so.",
    "Once you receive it, please confirm receipt on the order page. Thanks!",
];

/// Scam templates covering every category and the common evasions.
const SCAMS: &[(&str, Stage, Sender)] = &[
    (
        "Add me on w h a t s a p p +44 7911 {n}, easier to talk there",
        Stage::PreOrder,
        Sender::Seller,
    ),
    (
        "Pay by bank transfer and I give you 20% off: DE89 3704 0044 0532 0130 00",
        Stage::PreOrder,
        Sender::Seller,
    ),
    (
        "Customs is holding your {p}, you must pay the 45€ release fee to me by PayPal",
        Stage::AfterOrder,
        Sender::Seller,
    ),
    (
        "Please close the dispute and I'll refund you directly, promise",
        Stage::InDispute,
        Sender::Seller,
    ),
    (
        "Confirm receipt now please, the parcel is almost there",
        Stage::AfterOrder,
        Sender::Seller,
    ),
    (
        "Verify your payment at https://hаven-market.com/verify/{n}",
        Stage::AfterOrder,
        Sender::Seller,
    ),
    (
        "Log in at haven-market.com.secure-login.top to release the {p}",
        Stage::AfterOrder,
        Sender::Seller,
    ),
    ("Details here: bit.ly/{n}", Stage::PreOrder, Sender::Seller),
    (
        "Напишите мне в ватсап, там скину реквизиты для оплаты на карту",
        Stage::PreOrder,
        Sender::Seller,
    ),
    (
        "Me chama no zap que te passo o pix com desconto",
        Stage::PreOrder,
        Sender::Seller,
    ),
    (
        "Faites-moi un virement, je vous fais une remise de 10%",
        Stage::PreOrder,
        Sender::Seller,
    ),
    (
        "Cierra la disputa y te devuelvo el dinero por Bizum",
        Stage::InDispute,
        Sender::Seller,
    ),
    (
        "Bitte bestätigen Sie jetzt den Erhalt, das Paket ist unterwegs",
        Stage::AfterOrder,
        Sender::Seller,
    ),
    (
        "send USDT TRC20 to TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
        Stage::PreOrder,
        Sender::Seller,
    ),
    ("my te1egr4m is @deals_{n}", Stage::PreOrder, Sender::Buyer),
];

const PRODUCTS: &[&str] = &[
    "jacket", "lamp", "bike", "camera", "sofa", "phone", "desk", "guitar",
];

fn messages() -> Vec<(String, Stage, Sender)> {
    let mut out = Vec::with_capacity(1000);
    let mut n: u64 = 10_234_567;
    for i in 0..1000 {
        n = n
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407)
            % 100_000_000;
        let p = PRODUCTS[i % PRODUCTS.len()];
        let fill = |t: &str| t.replace("{n}", &format!("{n:08}")).replace("{p}", p);
        // Roughly one message in five is a scam, as in a busy moderation queue.
        if i % 5 == 4 {
            let (t, stage, from) = SCAMS[(i / 5) % SCAMS.len()];
            out.push((fill(t), stage, from));
        } else {
            let stage = [Stage::PreOrder, Stage::AfterOrder, Stage::AfterDelivery][i % 3];
            let from = if i % 2 == 0 {
                Sender::Buyer
            } else {
                Sender::Seller
            };
            out.push((fill(BENIGN[i % BENIGN.len()]), stage, from));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let scanner = Scanner::new(ScannerConfig {
        brand: "Haven".into(),
        own_domains: vec!["haven-market.com".into()],
        carrier_domains: default_carrier_domains(),
    });
    let msgs = messages();
    let mut g = c.benchmark_group("scanner");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("scan_1000_mixed", |b| {
        b.iter(|| {
            for (t, stage, from) in &msgs {
                black_box(scanner.scan(black_box(t), *stage, *from));
            }
        })
    });
    g.bench_function("mask_contacts_1000_mixed", |b| {
        b.iter(|| {
            for (t, _, _) in &msgs {
                black_box(scanner.mask_contacts(black_box(t)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
