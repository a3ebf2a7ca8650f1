//! The rules' behaviour: one or more tests per evasion, the benign
//! look-alikes that must stay allowed, and contact masking. No timing
//! assertions. These run the rules alone; the learned model on top of them
//! is measured on whole corpora (`tests/scanner_corpus.rs`).

use std::sync::OnceLock;

use super::*;

use Category::*;
use Sender::{Buyer, Seller};
use Stage::{AfterDelivery, AfterOrder, InDispute, PreOrder};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        Scanner::new(ScannerConfig {
            brand: "Haven".into(),
            own_domains: vec!["haven-market.com".into()],
            carrier_domains: default_carrier_domains(),
        })
    })
}

fn scan(text: &str, stage: Stage, from: Sender) -> ScanResult {
    scanner().scan_rules_only(text, stage, from)
}

#[track_caller]
fn flags(text: &str, stage: Stage, from: Sender, cat: Category) -> ScanResult {
    let r = scan(text, stage, from);
    assert!(
        r.categories.contains(&cat),
        "{text:?}: expected {cat:?}, got {r:?}"
    );
    assert_eq!(
        r.verdict,
        r.categories.iter().map(|c| c.verdict()).max().unwrap()
    );
    r
}

#[track_caller]
fn allows(text: &str, stage: Stage, from: Sender) {
    let r = scan(text, stage, from);
    assert_eq!(
        r.verdict,
        Verdict::Allow,
        "{text:?}: expected allow, got {r:?}"
    );
    assert!(r.categories.is_empty() && r.reasons.is_empty());
}

// ---- sanity -------------------------------------------------------------

#[test]
fn sanity_mixed_batch() {
    let benign = [
        "Hi! Is the jacket still available? Can you ship to Lyon?",
        "Shipped today, tracking SP123456785HV, should arrive in 3-5 days.",
        "Thanks, received it, everything is perfect!",
        "The table is 120 x 60 cm and 75 cm high, price 149.99 EUR.",
    ];
    for t in benign {
        allows(t, AfterOrder, Seller);
    }
    let r = scan("add me on whatsapp +44 7911 123456", PreOrder, Seller);
    assert_eq!(r.verdict, Verdict::Warn);
    assert_eq!(r.categories, vec![OffPlatformContact]);
    let r = scan(
        "pay me by bank transfer to DE89 3704 0044 0532 0130 00",
        PreOrder,
        Seller,
    );
    assert_eq!(r.verdict, Verdict::Block);
    assert!(r.reasons.iter().any(|x| x == "IBAN DE89…"), "{r:?}");
}

#[test]
fn categories_sorted_and_deduped() {
    let r = scan(
        "Telegram @seller_x or WhatsApp +49 151 23456789, IBAN DE89370400440532013000, pay by transfer",
        PreOrder,
        Seller,
    );
    let mut sorted = r.categories.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(r.categories, sorted);
    assert_eq!(r.verdict, Verdict::Block);
}

// ---- normalisation evasions ----------------------------------------------

#[test]
fn spaced_dotted_and_dashed_letters() {
    let r = flags(
        "add me on w h a t s a p p",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    assert!(
        r.reasons
            .contains(&"mentions WhatsApp (written \"w h a t s a p p\")".to_string()),
        "{r:?}"
    );
    flags("W.h.a.t.s.A.p.p me", PreOrder, Buyer, OffPlatformContact);
    flags(
        "write me on t-e-l-e-g-r-a-m",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

#[test]
fn zero_width_and_fullwidth() {
    flags(
        "Whats\u{200B}App me please",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    flags(
        "ｔｅｌｅｇｒａｍ: sellerbest",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

#[test]
fn leetspeak() {
    flags(
        "message me on wh4ts4pp",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    flags("my te1egr4m is open", PreOrder, Seller, OffPlatformContact);
    flags(
        "s1gn4l me, my number is in bio",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

#[test]
fn mixed_script_homoglyph_words() {
    // Cyrillic а inside a Latin word.
    flags("add me on whаtsapp", PreOrder, Seller, OffPlatformContact);
}

#[test]
fn split_names() {
    flags(
        "contact me on whats.app",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    flags("tele gram me", PreOrder, Seller, OffPlatformContact);
}

// ---- messengers in several languages --------------------------------------

#[test]
fn messenger_names_multilingual() {
    let cases = [
        ("напишите мне в ватсап", "WhatsApp"),
        ("пиши в вотсап", "WhatsApp"),
        ("давай в уатсап", "WhatsApp"),
        ("me chama no zap", "WhatsApp"),
        ("manda no zapzap", "WhatsApp"),
        ("what's app me", "WhatsApp"),
        ("пишите в телеграм", "Telegram"),
        ("пиши в тг", "Telegram"),
        ("add me on WeChat", "WeChat"),
        ("escríbeme por Viber", "Viber"),
        ("message me on Signal", "Signal"),
        ("add me on Line, my id is kk22", "Line"),
        ("follow my instagram and dm me there", "Instagram"),
        ("contact me on facebook messenger", "Facebook Messenger"),
        ("add me on snapchat", "Snapchat"),
        ("my skype is live:seller", "Skype"),
        ("send it to my gmail", "Gmail"),
        ("écris-moi sur mon hotmail", "Outlook"),
        ("escribe a mi yahoo", "Yahoo"),
        ("напиши на mail.ru", "Mail.ru"),
    ];
    for (text, label) in cases {
        let r = flags(text, PreOrder, Seller, OffPlatformContact);
        assert!(r.reasons.iter().any(|x| x.contains(label)), "{text}: {r:?}");
    }
}

#[test]
fn messenger_links() {
    let r = flags(
        "chat here: wa.me/34612345678",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    assert!(r.reasons.iter().any(|x| x.contains("WhatsApp")), "{r:?}");
    flags(
        "t.me/cheap_phones_seller",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    flags(
        "https://m.me/john.smith.77",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

#[test]
fn written_out_email() {
    flags(
        "email me: john.doe (at) gmail (dot) com",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    flags(
        "my mail is johndoe at gmail dot com",
        PreOrder,
        Buyer,
        OffPlatformContact,
    );
    flags(
        "john.doe[at]outlook[.]com",
        PreOrder,
        Buyer,
        OffPlatformContact,
    );
    flags(
        "write to seller@proton.me",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

// ---- phone numbers ---------------------------------------------------------

#[test]
fn phone_formats() {
    let phones = [
        "call me +44 7911 123456",
        "0049 151 2345 6789",
        "my number is (555) 123-4567",
        "ligue 11 98765-4321",
        "appelle-moi au 06 12 34 56 78",
        "мой телефон 8 (916) 123-45-67",
        "Handy: 0151/23456789",
        "número 612 345 678",
        "555-123-4567",
        "+7.916.123.45.67",
    ];
    for p in phones {
        flags(p, PreOrder, Seller, OffPlatformContact);
    }
}

#[test]
fn numbers_that_are_not_phones() {
    let benign = [
        "Your order 100234567 has shipped.",
        "Tracking number: SP123456785HV",
        "UPS tracking 1Z999AA10123456784",
        "USPS: 9400111899223197428490",
        "The desk is 120 x 60 x 75 cm",
        "Price is 1 250 000 RUB, or 12500 €",
        "Delivered on 12.05.2024 at 14:30",
        "Order placed 2024-05-12, model SM-G991B/DS",
        "Bought it in 2019, used until 2023",
        "Invoice 2024-000123456 attached in the order page",
        "It weighs 2.5 kg and has 128 GB storage",
        "Pedido número 123456789 enviado",
    ];
    for t in benign {
        allows(t, AfterOrder, Seller);
    }
}

// ---- payment details ---------------------------------------------------------

#[test]
fn iban_validated_by_mod97() {
    let r = flags(
        "IBAN: DE89 3704 0044 0532 0130 00",
        AfterOrder,
        Seller,
        OffPlatformPayment,
    );
    assert!(r.reasons.contains(&"IBAN DE89…".to_string()));
    flags(
        "virement sur FR1420041010050500013M02606",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    // Wrong checksum: not an IBAN.
    allows("Reference DE89 3704 0044 0532 0130 01", AfterOrder, Buyer);
}

#[test]
fn crypto_wallets() {
    flags(
        "send BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    flags(
        "ETH 0x52908400098527886E0F7030069857D2E4169EE7",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    flags(
        "usdt trc20: TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    flags(
        "wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    flags(
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
}

#[test]
fn payment_handles() {
    flags(
        "just send it to $QuickSeller22",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    flags("paypal.me/cheapdeals", PreOrder, Seller, OffPlatformPayment);
    flags(
        "my venmo is @jane-doe-12",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    flags(
        "zelle me at 555-123-4567",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
}

#[test]
fn payment_vocabulary_multilingual() {
    let cases = [
        "pay by bank transfer and I'll give you 20% off",
        "Western Union only, send the money to my name",
        "can you pay with an Amazon gift card?",
        "hazme una transferencia y te hago descuento",
        "me paga no pix que fica mais barato",
        "faites-moi un virement, c'est plus simple",
        "оплата переводом на карту, скину реквизиты",
        "переведите мне на карту сбербанка",
        "bitte per Überweisung zahlen, dann spare ich die Gebühren",
        "pay me via PayPal friends and family",
        "send it through PayPal F&F please",
        "let's do the payment outside the platform, cheaper for both",
        "págame directamente por Bizum",
    ];
    for t in cases {
        flags(t, PreOrder, Seller, OffPlatformPayment);
    }
}

#[test]
fn paid_with_paypal_at_checkout_is_benign() {
    allows("I paid with PayPal at checkout, thanks!", AfterOrder, Buyer);
    allows("Can I pay with PayPal at checkout?", PreOrder, Buyer);
    allows(
        "Please only pay through Haven checkout, never by bank transfer.",
        PreOrder,
        Seller,
    );
    allows(
        "No acepto transferencias, solo el pago de la plataforma.",
        PreOrder,
        Seller,
    );
}

// ---- links -------------------------------------------------------------------

#[test]
fn homoglyph_and_punycode_domains() {
    let r = flags(
        "log in at https://hаven-market.com/login",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    assert!(
        r.reasons.contains(
            &"link to hаven-market.com imitates haven-market.com (homoglyphs)".to_string()
        ),
        "{r:?}"
    );
    let r = flags(
        "see xn--hven-market-yij.com/confirm",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    assert!(r.reasons.iter().any(|x| x.contains("homoglyphs")), "{r:?}");
    flags(
        "visit haven-rnarket.com/pay",
        AfterOrder,
        Seller,
        PhishingLink,
    );
}

#[test]
fn brand_in_subdomain_or_path() {
    let r = flags(
        "haven-market.com.secure.top/verify",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    assert!(
        r.reasons.iter().any(|x| x.contains("brand in subdomain")),
        "{r:?}"
    );
    flags(
        "https://sites.google.com/view/haven-market-refund",
        InDispute,
        Seller,
        PhishingLink,
    );
    flags(
        "hxxps://haven-support.help/claim",
        AfterOrder,
        Seller,
        PhishingLink,
    );
}

#[test]
fn typosquats() {
    flags(
        "go to havenmarket.com to pay",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    flags("go to haevn-market.com", AfterOrder, Seller, PhishingLink);
    flags(
        "haven-market-support.com/ticket",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    flags("www.havn-market.net", AfterOrder, Seller, PhishingLink);
}

#[test]
fn userinfo_ip_and_shorteners() {
    let r = flags(
        "https://haven-market.com@1.2.3.4/login",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    assert!(r.reasons.iter().any(|x| x.contains("behind")), "{r:?}");
    flags("http://185.23.44.10/pay", AfterOrder, Seller, PhishingLink);
    let r = flags(
        "details here bit.ly/3xYz12",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    assert!(
        r.reasons
            .contains(&"shortened link hides its target".to_string())
    );
    flags(
        "https://tinyurl.com/haven-pay",
        AfterOrder,
        Seller,
        PhishingLink,
    );
}

#[test]
fn obfuscated_links() {
    flags(
        "haven-market[.]com[.]verify-now[.]top",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    flags(
        "hxxp://haven-market-pay.com",
        AfterOrder,
        Seller,
        PhishingLink,
    );
    flags(
        "haven-market dot com dot secure dot top",
        AfterOrder,
        Seller,
        PhishingLink,
    );
}

#[test]
fn benign_links() {
    allows(
        "Track it here: https://www.ups.com/track?tracknum=1Z999AA10123456784",
        AfterOrder,
        Seller,
    );
    allows(
        "https://www.dhl.de/de/privatkunden.html?piececode=00340434161094042557",
        AfterOrder,
        Seller,
    );
    allows(
        "Your order page: https://haven-market.com/orders/8812",
        AfterOrder,
        Seller,
    );
    allows(
        "help.haven-market.com/articles/returns explains returns",
        AfterDelivery,
        Buyer,
    );
    allows(
        "The manual is at https://www.bosch-home.com/manuals/wtx87.pdf",
        AfterDelivery,
        Seller,
    );
    allows(
        "Write to support@haven-market.com if the parcel is late",
        AfterOrder,
        Seller,
    );
}

// ---- scam phrasing by category --------------------------------------------------

#[test]
fn extra_fee_requests() {
    let cases = [
        "You must pay the customs fee of 45€ to me before I can ship.",
        "DHL is holding the parcel, please pay the 30 USD release fee by bank transfer.",
        "Hay que pagar la tasa de aduana, envíame 20 euros por Bizum.",
        "Você precisa pagar a taxa de liberação de R$ 80 para mim.",
        "Il faut payer les frais de douane, envoyez-moi 35 euros.",
        "Нужно оплатить таможенную пошлину, переведите мне 2000 рублей.",
        "Sie müssen die Zollgebühr von 25 Euro an mich überweisen.",
        "Please pay an extra insurance fee of $15 via PayPal to my email.",
    ];
    for t in cases {
        flags(t, AfterOrder, Seller, ExtraFee);
    }
}

#[test]
fn honest_customs_explanations_are_benign() {
    let cases = [
        "Import VAT may be charged by customs when the parcel arrives.",
        "Customs duties are not included; the courier may ask you to pay them on delivery.",
        "Puede que la aduana cobre IVA al recibir el paquete.",
        "Les frais de douane peuvent être demandés par le transporteur à la livraison.",
        "Возможно, таможенную пошлину придется оплатить при получении на почте.",
        "Eventuell fällt Einfuhrumsatzsteuer an, die der Zusteller bei Lieferung kassiert.",
    ];
    for t in cases {
        allows(t, AfterOrder, Seller);
    }
    // A buyer describing what they paid is not a fee demand.
    allows(
        "I had to pay 20€ customs fee to DHL, just so you know",
        AfterDelivery,
        Buyer,
    );
}

#[test]
fn dispute_pressure() {
    let cases = [
        "Please close the dispute and I'll refund you directly.",
        "Cancel the claim, I will send the money back by PayPal.",
        "Cierra la disputa y te devuelvo el dinero por transferencia.",
        "Feche a reclamação que eu devolvo o dinheiro no pix.",
        "Fermez le litige, je vous rembourse directement.",
        "Закройте спор, я верну деньги на карту.",
        "Bitte schließen Sie den Streitfall, ich erstatte Ihnen das Geld direkt.",
        "If you withdraw the complaint I will pay you back.",
    ];
    for t in cases {
        flags(t, InDispute, Seller, DisputePressure);
    }
    // Open dispute referenced outside the dispute stage.
    flags(
        "Don't open a dispute, I'll refund you via bank transfer",
        AfterOrder,
        Seller,
        DisputePressure,
    );
}

#[test]
fn dispute_context_rules() {
    // A buyer saying it is fine; a seller giving evidence; a seller outside a dispute.
    allows(
        "I will close the dispute once the refund arrives",
        InDispute,
        Buyer,
    );
    allows(
        "I uploaded the tracking proof to the dispute, the Haven team will decide.",
        InDispute,
        Seller,
    );
    allows(
        "Sorry for the trouble, I'll refund you through Haven.",
        InDispute,
        Seller,
    );
    allows("I'll cancel the order and refund you.", AfterOrder, Seller);
}

#[test]
fn confirm_receipt_pressure() {
    let cases = [
        "Please confirm receipt now, it's almost there.",
        "Can you mark the order as received today so I get paid?",
        "Confirma la recepción ya, el paquete está en camino.",
        "Confirme o recebimento agora por favor.",
        "Confirmez la réception maintenant, le colis arrive demain.",
        "Подтвердите получение заказа сейчас, посылка уже в пути.",
        "Bitte bestätigen Sie jetzt den Erhalt, das Paket ist unterwegs.",
        "Please complete the order before it arrives.",
    ];
    for t in cases {
        flags(t, AfterOrder, Seller, ConfirmReceiptPressure);
    }
}

#[test]
fn confirm_receipt_context_rules() {
    allows(
        "Once you receive it, please confirm receipt. Thanks!",
        AfterOrder,
        Seller,
    );
    allows(
        "Cuando lo recibas, confirma la recepción por favor.",
        AfterOrder,
        Seller,
    );
    allows(
        "Please confirm receipt, glad you like it!",
        AfterDelivery,
        Seller,
    );
    allows("Can you confirm your delivery address?", AfterOrder, Seller);
    allows("I confirm receipt, thanks!", AfterOrder, Buyer);
}

// ---- mask_contacts ---------------------------------------------------------------

#[test]
fn mask_contacts_hides_details() {
    let s = scanner();
    assert_eq!(
        s.mask_contacts("call me +44 7911 123456 or mail john.doe@gmail.com"),
        "call me [contact hidden] or mail [contact hidden]"
    );
    assert_eq!(
        s.mask_contacts("telegram: @best_seller, wa.me/34612345678"),
        "telegram: [contact hidden], [contact hidden]"
    );
    assert_eq!(
        s.mask_contacts(
            "IBAN DE89 3704 0044 0532 0130 00 or BTC bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        ),
        "IBAN [contact hidden] or BTC [contact hidden]"
    );
    assert_eq!(
        s.mask_contacts("whatsapp: john_doe77"),
        "whatsapp: [contact hidden]"
    );
}

#[test]
fn mask_contacts_keeps_benign_text() {
    let s = scanner();
    let t =
        "Order 100234567 shipped, tracking SP123456785HV, see https://haven-market.com/orders/1";
    assert_eq!(s.mask_contacts(t), t);
    assert_eq!(
        s.mask_contacts("support@haven-market.com"),
        "support@haven-market.com"
    );
}

// ---- mechanisms added while evaluating ------------------------------------------

#[test]
fn spelled_out_phone_numbers() {
    let cases = [
        "ring me: seven seven zero zero, nine zero zero, one two three",
        "llámame al seis uno dos, tres cuatro cinco, seis siete ocho",
        "mon numéro : zéro sept, douze, trente-quatre, cinquante-six, soixante-dix-huit",
        "ruf an: null eins sieben sechs, vier drei zwei eins, null neun",
        "звони: восемь девятьсот шестнадцать, сто двадцать три, сорок пять, шестьдесят семь",
    ];
    for t in cases {
        flags(t, PreOrder, Buyer, OffPlatformContact);
    }
    allows(
        "I'd take two or three, maybe four if the price is right",
        PreOrder,
        Buyer,
    );
}

#[test]
fn digits_spaced_one_by_one() {
    flags(
        "text me 0 7 7 0 0 9 0 0 1 2 3",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

#[test]
fn cjk_text_is_segmented() {
    flags(
        "请加我微信 shop_2024 详聊",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    allows("请问还有蓝色的吗？", PreOrder, Buyer);
}

#[test]
fn handles_with_a_contact_cue() {
    flags(
        "пишите мне @sale_master_77",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
    flags(
        "find me there: @kicks.vault",
        PreOrder,
        Seller,
        OffPlatformContact,
    );
}

#[test]
fn phone_given_as_payment_key_is_payment() {
    let r = flags(
        "Bizum al 612 345 678 y lo reservo",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    assert!(!r.categories.contains(&OffPlatformContact), "{r:?}");
    let r = flags(
        "Zelle to 415-555-0134 and it ships",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    assert!(!r.categories.contains(&OffPlatformContact), "{r:?}");
}

#[test]
fn reported_attempts_and_scam_warnings_are_benign() {
    allows(
        "Another seller asked me to pay with gift cards, so I'm glad you only use checkout.",
        PreOrder,
        Buyer,
    );
    allows(
        "Haven will never ask you to pay customs by bank transfer.",
        AfterOrder,
        Seller,
    );
    allows(
        "Please report anyone asking for WhatsApp, that's a scam.",
        PreOrder,
        Seller,
    );
}

#[test]
fn failed_platform_payment_excuse() {
    flags(
        "The Haven payment failed on my side, please send it by bank transfer instead",
        AfterOrder,
        Seller,
        OffPlatformPayment,
    );
}

#[test]
fn payment_requests_after_the_order() {
    // Checkout is done; any further PayPal request goes around it.
    flags(
        "please send the rest via PayPal",
        AfterOrder,
        Seller,
        OffPlatformPayment,
    );
    allows("I paid via PayPal when I ordered", AfterOrder, Buyer);
}

#[test]
fn portuguese_no_is_not_a_negation() {
    flags(
        "paga no pix que fica mais barato",
        PreOrder,
        Seller,
        OffPlatformPayment,
    );
    allows(
        "No acepto bizum, solo el pago de la plataforma.",
        PreOrder,
        Seller,
    );
}

#[test]
fn fee_demands_in_other_shapes() {
    flags(
        "I forgot to add the VAT, I need 12€ more from you",
        AfterOrder,
        Seller,
        ExtraFee,
    );
    flags(
        "Die Transportversicherung fehlt noch, bitte 9 € an mich",
        AfterOrder,
        Seller,
        ExtraFee,
    );
    flags(
        "Нужно доплатить 300 руб за страховку",
        AfterOrder,
        Seller,
        ExtraFee,
    );
    allows(
        "There's no extra fee to pay me, everything was paid at checkout.",
        AfterOrder,
        Seller,
    );
    allows(
        "If customs asks for import tax, you pay it to the courier, not to me.",
        AfterOrder,
        Seller,
    );
}

#[test]
fn dispute_threats_and_pleas() {
    flags(
        "Close the case or I'll leave you a negative review",
        InDispute,
        Seller,
        DisputePressure,
    );
    flags(
        "Si no cierras la disputa me bloquean la cuenta",
        InDispute,
        Seller,
        DisputePressure,
    );
    flags(
        "Don't open a claim, I'll fix it myself via PayPal",
        AfterOrder,
        Seller,
        DisputePressure,
    );
    allows(
        "If nothing arrives by Monday, open a dispute on Haven.",
        AfterOrder,
        Seller,
    );
}

#[test]
fn confirm_receipt_button_and_incentives() {
    flags(
        "can you click 'received' in the app? it's nearly there",
        AfterOrder,
        Seller,
        ConfirmReceiptPressure,
    );
    flags(
        "Confirm delivery today and I'll add a free gift",
        AfterOrder,
        Seller,
        ConfirmReceiptPressure,
    );
    allows(
        "No rush — confirm receipt whenever you've checked it.",
        AfterOrder,
        Seller,
    );
}

#[test]
fn negation_carries_over_lists() {
    allows(
        "I don't have WhatsApp or Telegram, let's stay here.",
        PreOrder,
        Buyer,
    );
}

#[test]
fn part_and_model_codes_are_not_phones() {
    allows(
        "Replacement part 4411-2093-B fits the 2019 model",
        PreOrder,
        Seller,
    );
}

#[test]
fn mask_contacts_leaves_prices() {
    let s = scanner();
    assert_eq!(
        s.mask_contacts("Price 1250 EUR, call +34 612 345 678"),
        "Price 1250 EUR, call [contact hidden]"
    );
}
