//! Vocabularies, grouped by intent and language (en, es, pt, fr, ru, de).
//!
//! Terms are written naturally; they are folded with the same function as
//! message text (lower case, no accents, `l`≡`i`), so "reclamação" also
//! matches "reclamacao". A trailing `*` makes the last word a stem, which
//! covers inflection ("закройте", "закрыть"). Rules combine families by
//! word distance; no family describes one particular sentence.

/// Intent families. Rules in `rules.rs` combine them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Fam {
    /// A messenger / mail provider alias (label and tier carried per term).
    Messenger,
    /// Verbs and phrases asking to be contacted somewhere.
    ContactCue,
    /// "my", "your", … right before a platform name or "number".
    Possessive,
    /// Prepositions right before messenger slang ("no zap", "в тг").
    SlangPrep,
    /// "number" words, contact only right after a possessive.
    NumberWord,
    /// Phrases that are themselves about phone numbers or contact details.
    PhonePhrase,
    /// Words that make a digit run a phone number.
    PhoneCtx,
    /// Words that make a digit run an order/tracking/model number.
    NumberNegCtx,
    /// "outside", "off", "вне", …; with `Platform` means off-platform.
    OutsideWord,
    /// "platform", "site", "app", and the brand.
    Platform,
    /// Checkout words: payment that stays on the platform.
    Checkout,
    /// Prepositions tying a payment to the platform ("through", "via").
    OnPrep,
    /// Payment methods that only exist outside the platform.
    MethodStrong,
    /// Payment methods a checkout may also offer (PayPal, card, cash).
    MethodWeak,
    /// Asking for / offering a payment.
    PayRequest,
    /// The seller as payee ("pay me", "my account").
    ToSeller,
    /// Discounts for paying another way.
    Discount,
    /// PayPal friends-and-family and similar unprotected modes.
    FriendsFamily,
    /// "directly", "direct".
    Direct,
    /// Bank account vocabulary (sort code, routing, BIC, RIB, …).
    BankDetails,
    /// Crypto context for wallet-looking strings.
    CryptoCtx,
    /// Bank card context for card-number-looking digits.
    CardCtx,
    /// Kinds of extra fee (customs, insurance, release, …).
    FeeKind,
    /// Fee nouns (fee, charge, frais, сбор, Gebühr).
    FeeWord,
    /// Terms that are a fee on their own ("customs fee", "пошлина").
    FeeCompound,
    /// Obligation ("must", "need to", "нужно").
    Obligation,
    /// Parcel held/stuck/blocked.
    Hold,
    /// Official payee: courier, customs, on delivery.
    Official,
    /// Hedges ("may", "might", "puede").
    Hedge,
    /// Close/withdraw/remove: dispute actions usable without an object.
    DisputeAction,
    /// Cancel: a dispute action only with an explicit object.
    DisputeCancel,
    /// Open/file/escalate: with a negation, discourages a dispute.
    DisputeOpen,
    /// Dispute, claim, case, complaint, …
    DisputeObject,
    /// Refund / give the money back.
    Refund,
    /// Confirm.
    ConfirmVerb,
    /// Complete/finish/mark/release.
    CompleteVerb,
    /// Receipt/delivery objects.
    ReceiptObject,
    /// Order/transaction objects.
    OrderObject,
    /// Terms that are receipt pressure on their own ("release the payment").
    ConfirmCompound,
    /// "now", "already", "before it arrives": asking ahead of delivery.
    PreDelivery,
    /// Address/date/details: what a seller legitimately asks to confirm.
    ConfirmOther,
    /// First person right before a verb: a statement, not a request.
    FirstPerson,
    /// "when", "once", "after".
    When,
    /// Receiving/arriving verbs.
    ReceiveVerb,
    /// Negation.
    Neg,
    /// Spanish/English "no": negates only the verb right after it (in
    /// Portuguese "no" means "in the").
    NegNo,
}

/// How sure a messenger alias is on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Always a contact mention.
    Strong,
    /// Slang: needs a cue, a handle, or a preposition right before it.
    Slang,
    /// Ordinary word too: needs a contact cue or a possessive.
    Ambiguous,
}

pub(crate) struct Messenger {
    pub label: &'static str,
    pub strong: &'static [&'static str],
    pub slang: &'static [&'static str],
    pub ambiguous: &'static [&'static str],
}

pub(crate) const MESSENGERS: &[Messenger] = &[
    Messenger {
        label: "WhatsApp",
        strong: &[
            "whatsapp*", "whats app*", "what s app*", "whatsap", "whatapp*", "watsapp*", "watsap",
            "wattsap*", "wattsapp*", "wasap", "wassap", "wasapp", "whatsaap", "zapzap", "zap zap",
            "ватсап*", "вотсап*", "уатсап*", "вацап*", "ватцап*", "вотсап*", "ватсапп*", "вотс ап*",
            "ватс ап*", "вастап*", "what sapp", "whats ap",
        ],
        slang: &["whats", "zap", "wpp", "wsp", "wa", "wzp", "ватс", "вотс"],
        ambiguous: &[],
    },
    Messenger {
        label: "Telegram",
        strong: &["telegram*", "teiegram*", "телеграм*", "телеграмм*", "телегу", "телеге"],
        slang: &["tg", "тг", "tgm", "телега"],
        ambiguous: &[],
    },
    Messenger {
        label: "WeChat",
        strong: &["wechat*", "weixin", "微信", "вичат*"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "Viber",
        strong: &["viber*", "вайбер*", "вибер*"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "Signal",
        strong: &["signal app", "signal messenger"],
        slang: &[],
        ambiguous: &["signal", "сигнал*"],
    },
    Messenger {
        label: "Line",
        strong: &["line app", "line id", "line messenger"],
        slang: &[],
        ambiguous: &["line"],
    },
    Messenger {
        label: "Instagram",
        strong: &["instagram dm*", "insta dm*"],
        slang: &[],
        ambiguous: &["instagram*", "insta", "ig", "инстаграм*", "инсту", "инста", "инсте"],
    },
    Messenger {
        label: "Facebook Messenger",
        strong: &["facebook messenger", "fb messenger"],
        slang: &[],
        ambiguous: &["facebook*", "fb", "messenger", "фейсбук*", "фб", "мессенджер*"],
    },
    Messenger {
        label: "Snapchat",
        strong: &["snapchat*", "снэпчат*", "снапчат*"],
        slang: &["snap"],
        ambiguous: &[],
    },
    Messenger {
        label: "Skype",
        strong: &["skype*", "скайп*"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "Discord",
        strong: &["discord*", "дискорд*"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "VK",
        strong: &["vkontakte", "вконтакт*"],
        slang: &["vk", "вк"],
        ambiguous: &[],
    },
    Messenger {
        label: "Gmail",
        strong: &["gmail*", "g mail", "джимейл*"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "Outlook",
        strong: &["outlook com", "hotmail*", "live com"],
        slang: &[],
        ambiguous: &["outlook"],
    },
    Messenger {
        label: "Yahoo",
        strong: &["yahoo*"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "Yandex",
        strong: &["yandex ru", "яндекс почт*"],
        slang: &[],
        ambiguous: &["yandex", "яндекс*"],
    },
    Messenger {
        label: "Mail.ru",
        strong: &["mail ru", "маил ру", "мэйл ру", "мейл ру"],
        slang: &[],
        ambiguous: &[],
    },
    Messenger {
        label: "Proton Mail",
        strong: &["protonmail*", "proton mail"],
        slang: &[],
        ambiguous: &["proton"],
    },
    Messenger {
        label: "email",
        strong: &[],
        slang: &[],
        ambiguous: &[
            "email*", "e mail*", "correo electrónico", "courriel*", "электронн* почт*", "имейл*",
            "емейл*", "мейл", "мыло", "электронк*", "e mail adresse", "mailadresse",
        ],
    },
];

pub(crate) const FAMILIES: &[(Fam, &[&str])] = &[
    (Fam::ContactCue, &[
        // en
        "add me", "contact me", "message me", "msg me", "text me", "write me", "write to me",
        "reach me", "reach out", "find me", "hit me up", "dm me", "ping me", "call me", "hmu",
        "my id", "my username", "my user", "my handle", "my account", "my profile", "username",
        "user name", "let s talk", "lets talk", "let s chat", "lets chat", "let s continue",
        "talk on", "chat on", "talk there", "chat there", "continue on", "continue there",
        "move to", "switch to", "talk via", "chat via", "send me a message", "drop me",
        "follow me", "reply on", "answer on", "talk over", "add me on", "contact me on",
        // es
        "agrégame", "añádeme", "escríbeme", "contáctame", "háblame", "llámame", "búscame",
        "mándame", "hablemos", "hablamos", "sigamos", "seguimos", "pásate", "mensaje",
        "mi usuario", "mi perfil", "agrégame", "agrega me",
        // pt
        "me chama", "chama", "me adiciona", "me add", "adiciona", "fala comigo", "me liga",
        "me manda", "mensagem", "vamos conversar", "conversar", "conversa", "me procura",
        "meu usuario", "meu perfil", "chamar", "falar", "fala", "me chame",
        // fr
        "ajoute moi", "ajoutez moi", "écris moi", "écrivez moi", "contacte moi", "contactez moi",
        "appelle moi", "appelez moi", "parlons", "discutons", "passons", "joignable",
        "mon pseudo", "mon profil", "continuons", "écris moi sur",
        // ru
        "пиши*", "напиши*", "добав*", "свяж*", "звони*", "позвон*", "стучи*", "постучи*", "связь",
        "на связи", "ник", "перейд*", "общаться", "общени*", "сообщени*", "контакт*",
        "переписк*", "найди меня", "найдите меня",
        // de
        "schreib*", "kontaktier*", "ruf mich", "ruf an", "melde dich", "meld dich", "meldet euch",
        "melden sie sich", "füge mich", "adde mich", "erreichst mich", "erreichen sie mich",
        "nachricht", "nutzername", "kontaktiere mich",
    ]),
    (Fam::Possessive, &[
        "my", "your", "mi", "tu", "su", "meu", "minha", "seu", "sua", "teu", "tua", "mon", "ma",
        "ton", "ta", "votre", "мой", "моя", "мою", "мои", "твой", "твою", "ваш", "вашу", "свой",
        "свою", "mein", "meine", "dein", "deine", "ihre",
    ]),
    (Fam::SlangPrep, &[
        "on", "via", "by", "no", "na", "pelo", "pela", "por", "en", "sur", "в", "во", "по", "на",
        "über", "per", "auf", "im", "in",
    ]),
    (Fam::NumberWord, &["number", "numero", "número", "numéro", "номер", "nummer", "telefon"]),
    (Fam::PhonePhrase, &[
        "phone number", "cell number", "mobile number", "contact number", "telephone number",
        "phone no", "contact details", "contact info", "número de teléfono", "número de telefone",
        "número de celular", "número de móvil", "número de whatsapp", "numéro de téléphone",
        "numéro de portable", "номер телефона", "номер телефон", "номерок", "telefonnummer",
        "handynummer", "mobilnummer", "kontaktdaten", "datos de contacto", "coordonnées",
        "контакты", "контактные данные", "your phone number", "whatsapp number",
    ]),
    (Fam::PhoneCtx, &[
        "call", "call me", "phone", "tel", "telephone", "mobile", "cell", "cellphone", "text",
        "sms", "whatsapp", "contact", "ring", "dial", "reach",
        "teléfono", "telefone", "celular", "móvil", "movil", "llama", "llámame",
        "ligue", "liga", "me liga", "zap", "whats", "contato", "contacto",
        "téléphone", "portable", "appelle", "appelez", "tél", "joindre",
        "телефон*", "тел", "звони*", "позвони*", "моб", "мобильн*", "сотов*", "whatsapp",
        "handy", "telefon", "ruf", "anrufen", "mobil", "tg", "тг",
    ]),
    (Fam::NumberNegCtx, &[
        "order", "orders", "tracking", "track", "tracking number", "invoice", "ref", "reference",
        "sku", "model", "serial", "imei", "item", "listing", "code", "parcel", "package", "shipment",
        "pedido", "orden", "seguimiento", "factura", "modelo", "artículo", "referencia",
        "encomenda", "rastreio", "rastreamento", "nota", "código", "commande", "suivi", "colis",
        "facture", "modèle", "article", "numéro de suivi", "numéro de commande", "заказ*",
        "трек*", "отслеживани*", "посылк*", "отправлени*", "модел*", "артикул*", "счет", "счёт",
        "bestellung", "bestellnummer", "sendung", "sendungsnummer", "rechnung", "artikel",
        "paket", "ean", "isbn", "iban", "pin", "size", "price", "talla", "tamaño", "preço",
        "prix", "цена", "preis", "year", "años", "ano", "год",
    ]),
    (Fam::OutsideWord, &[
        "outside", "outside of", "off", "fuera", "fuera de", "por fuera", "fora", "fora da",
        "fora do", "por fora", "en dehors", "dehors", "hors", "вне", "мимо", "без", "außerhalb",
        "ausserhalb", "not through", "instead of", "en lugar de", "em vez de", "au lieu de",
        "вместо", "statt", "anstatt", "bypass", "avoid", "evitar", "éviter", "обойти", "umgehen",
        "skip",
    ]),
    (Fam::Platform, &[
        "platform", "site", "website", "app", "application", "marketplace", "plataforma",
        "página", "pagina", "aplicación", "aplicativo", "plateforme", "appli", "площадк*",
        "сайт*", "платформ*", "приложени*", "маркетплейс*", "plattform", "seite", "webseite",
        "website", "checkout", "escrow",
    ]),
    (Fam::Checkout, &[
        "checkout", "at checkout", "check out", "buy now", "buy button", "the buy button",
        "order page", "secure checkout", "payment page", "caja", "finalizar compra", "pago seguro",
        "pagamento seguro", "paiement sécurisé", "page de paiement", "оформлени* заказа",
        "корзин*", "kasse", "zur kasse", "bezahlseite", "escrow",
    ]),
    (Fam::OnPrep, &[
        "through", "via", "on", "in", "at", "using", "thru", "inside", "within", "por", "en",
        "dentro", "pela", "pelo", "no", "na", "dentro da", "sur", "par", "dans", "через", "на", "в",
        "внутри", "über", "auf", "im", "bei", "innerhalb",
    ]),
    (Fam::MethodStrong, &[
        // en
        "bank transfer", "wire transfer", "wire", "wire me", "bank deposit", "direct deposit",
        "western union", "moneygram", "money gram", "gift card*", "giftcard*", "itunes card*",
        "steam card*", "amazon card*", "google play card*", "apple card*", "crypto*", "bitcoin*",
        "btc", "usdt", "tether", "ethereum", "eth", "litecoin", "ltc", "binance", "zelle",
        "cash app", "cashapp", "venmo", "revolut", "skrill", "payoneer", "neteller", "sepa",
        "iban", "money order", "cashier s check", "bank account", "account number", "bank details",
        "prepayment", "advance payment", "upfront payment", "pay upfront", "deposit first",
        "transfer the money", "transfer money", "money transfer", "transfer me", "transfer it to",
        "transfer to my", "wise transfer", "via wise", "with wise", "wise account",
        // es
        "transferencia*", "depósito bancario", "bizum", "giro", "tarjeta regalo",
        "cripto*", "nequi", "daviplata", "oxxo", "cuenta bancaria", "anticipo",
        "adelanto", "pago por adelantado",
        // pt
        "transferência*", "pix", "ted bancária", "faz um ted", "fazer um ted", "boleto",
        "depósito bancário", "cartão presente", "vale presente",
        "conta bancária", "chave pix", "adiantamento", "pagamento antecipado",
        // fr
        "virement*", "mandat cash", "coupon pcs", "recharge pcs", "carte pcs", "transcash", "neosurf", "lydia",
        "paylib", "carte cadeau", "compte bancaire", "rib", "acompte", "paiement d avance",
        // ru
        "перевод*", "переведи*", "на карту", "на карточку", "сбер*", "тинькоф*", "киви", "qiwi",
        "юмани", "юмoney", "яндекс деньги", "яндекс денег", "крипт*", "биткоин*", "биткойн*",
        "вебмани", "webmoney", "золотая корона", "сбп", "предоплат*", "на счет", "на счёт",
        "номер карты", "номер счета", "реквизит*",
        // de
        "überweisung*", "ueberweisung*", "überweisen*", "ueberweisen*", "vorkasse",
        "paysafecard", "paysafe", "sofortüberweisung", "bankkonto", "kontonummer", "anzahlung",
        "vorauszahlung", "bankverbindung",
    ]),
    (Fam::MethodWeak, &[
        "paypal", "pay pal", "credit card", "debit card", "apple pay", "google pay", "klarna",
        "mercado pago", "mercadopago", "stripe", "cash", "efectivo", "dinheiro", "espèces",
        "liquide", "наличн*", "налом", "карту", "карта", "картой", "карточку", "bargeld",
        "in bar", "bar bezahlen", "tarjeta de crédito", "cartão de crédito", "carte bancaire",
        "carte bleue", "kreditkarte", "paypal me",
    ]),
    (Fam::PayRequest, &[
        // en
        "pay", "pay me", "pay via", "pay by", "pay with", "pay using", "pay through", "send",
        "send me", "send the money", "send money", "send payment", "send the payment",
        "transfer", "make the payment", "make a payment", "make payment", "payment via",
        "payment by", "payment to", "you can pay", "i accept", "we accept", "i take", "i prefer",
        "prefer", "only accept", "accept", "deposit", "paying", "payment", "wire", "purchase via",
        // es
        "pague*", "paga", "pagar", "págame", "pagarme", "pagás", "pagas", "envía*", "envia*",
        "envíe*", "enviar", "mándame", "manda", "mandar", "deposita*", "transfiere*", "transfiera*",
        "hazme", "haz", "acepto", "aceptamos", "prefiero", "pago", "abona", "abone", "abonar",
        // pt
        "pague", "paga", "pagar", "me paga", "me pague", "faz", "faça", "manda", "mande",
        "enviar", "envie", "transfira", "transferir", "aceito", "aceitamos", "prefiro",
        "pagamento", "deposite", "depositar",
        // fr
        "payez", "payer", "paie", "paye", "paies", "payes", "envoyez", "envoie", "envoyer",
        "faites", "fais", "faire", "accepte", "j accepte", "préfère", "paiement", "réglez",
        "régler", "règlement", "versez", "verser",
        // ru
        "оплат*", "плати", "платите", "заплати*", "переведи*", "перевести", "скинь*", "скинуть",
        "отправь*", "отправить", "кинь*", "кинуть", "принимаю", "принимаем", "оплачива*",
        "перечисл*", "внеси*", "внести",
        // de
        "zahl*", "bezahl*", "überweis*", "ueberweis*", "schick*", "send*", "sende*",
        "akzeptiere", "akzeptieren", "nehme", "bevorzuge", "zahlung",
    ]),
    (Fam::ToSeller, &[
        "pay me", "paying me", "send me the money", "send me money", "send it to me",
        "to me directly", "directly to me", "to my account", "my account", "my paypal", "my bank",
        "my card", "my wallet", "my iban", "my bank details", "my details", "my number",
        "to me", "to my", "transfer me", "wire me", "send me",
        "págame", "pagarme", "a mi cuenta", "mi cuenta", "mi paypal", "mi tarjeta", "a mí",
        "mándame", "envíame", "me paga", "me pague", "pra mim", "para mim", "minha conta",
        "meu pix", "minha chave", "meu paypal", "me manda", "me envia", "paie moi", "payez moi",
        "à moi", "sur mon compte", "mon compte", "mon paypal", "mon iban", "envoie moi",
        "envoyez moi", "мне", "на мою", "мою карту", "мой счет", "мой счёт", "мой кошел*",
        "мои реквизиты", "mir", "an mich", "auf mein konto", "mein konto", "mein paypal",
    ]),
    (Fam::Discount, &[
        "discount", "pct off", "pct discount", "cheaper", "no fees", "without fees",
        "save the fee", "save the fees", "avoid the fee", "avoid fees", "avoid the fees",
        "skip the fee", "skip the fees", "lower price", "better price", "cheaper price",
        "descuento", "pct de descuento", "más barato", "sin comisión", "sin comisiones",
        "desconto", "pct de desconto", "mais barato", "sem taxa", "sem taxas", "réduction",
        "remise", "moins cher", "sans frais", "pct de réduction", "скидк*", "дешевле",
        "без комисси*", "rabatt", "günstiger", "billiger", "ohne gebühr*", "nachlass",
    ]),
    (Fam::FriendsFamily, &[
        "friends and family", "friends family", "friends n family", "family and friends",
        "f f", "f and f", "f n f", "fnf", "amigos y familiares", "amigos y familia",
        "amigos e familiares", "amigos e família", "entre proches", "amis et famille",
        "famille et amis", "freunde und familie", "familie und freunde",
        "друзьям и семье", "друзья и семья", "как другу", "personal payment",
        "pagamento pessoal", "paiement entre proches", "pago personal",
    ]),
    (Fam::Direct, &[
        "directly", "direct", "personally", "privately", "in private", "directo", "directamente",
        "en privado", "direto", "diretamente", "no privado", "directement", "en privé",
        "напрямую", "лично", "в личку", "в лс", "direkt", "privat",
    ]),
    (Fam::BankDetails, &[
        "sort code", "routing number", "account number", "swift", "bic", "swift code", "cbu",
        "clabe", "agência", "conta corrente", "rib", "бик", "расчетный счет", "номер счета",
        "kontonummer", "bankleitzahl", "blz", "iban", "numéro de compte", "número de cuenta",
        "número da conta",
    ]),
    (Fam::CryptoCtx, &[
        "btc", "bitcoin*", "usdt", "trc20", "erc20", "eth", "ethereum", "wallet", "crypto*",
        "tron", "trx", "cripto*", "billetera", "carteira", "portefeuille", "кошел*", "крипт*",
        "биткоин*", "kryptо*", "krypto*", "wallet address",
    ]),
    (Fam::CardCtx, &[
        "card", "card number", "tarjeta", "cartão", "carte", "карт*", "karte", "kartennummer",
        "visa", "mastercard", "mir", "мир",
    ]),
    (Fam::FeeKind, &[
        "customs", "custom", "tax", "taxes", "duty", "duties", "import", "vat", "insurance",
        "release", "clearance", "customs clearance", "handling", "storage", "transit",
        "registration", "activation", "verification", "unlock", "security", "extra",
        "additional", "surcharge", "delivery", "shipping", "redelivery",
        "aduana*", "arancel*", "impuesto*", "iva", "seguro", "liberación", "despacho",
        "almacenaje", "adicional", "extra", "envío", "entrega",
        "alfândega*", "imposto*", "icms", "liberação", "desembaraço", "armazenagem", "frete",
        "douane*", "taxe*", "droits", "tva", "assurance", "dédouanement", "libération",
        "stockage", "supplémentaire*", "livraison",
        "таможн*", "растамож*", "налог*", "ндс", "страхов*", "хранени*", "дополнительн*",
        "доставк*", "разблокир*",
        "zoll*", "steuer*", "einfuhr*", "mehrwertsteuer", "mwst", "versicherung*", "freigabe*",
        "lager*", "zusätzlich*", "versand*", "liefer*",
    ]),
    (Fam::FeeWord, &[
        "fee", "fees", "charge", "charges", "cost", "costs", "payment", "amount", "deposit",
        "tarifa", "cargo", "cargos", "costo", "coste", "comisión", "pago", "cuota", "tasa",
        "taxa", "taxas", "custo", "custos", "cobrança", "pagamento", "frais", "montant",
        "paiement", "coût", "сбор*", "плат*", "оплат*", "взнос*", "стоимост*", "пошлин*",
        "gebühr*", "kosten", "betrag", "zahlung", "abgabe*",
    ]),
    (Fam::FeeCompound, &[
        "customs fee*", "import fee*", "release fee*", "clearance fee*", "insurance fee*",
        "handling fee*", "shipping insurance", "import tax*", "import duty", "import duties",
        "customs duty", "customs duties", "customs charge*", "customs tax*", "extra fee*",
        "additional fee*", "surcharge", "tasa de aduana", "gastos de aduana", "derechos de aduana",
        "impuesto de aduana", "tarifa de liberación", "taxa alfandegária", "taxa de importação",
        "taxa de liberação", "taxa da alfândega", "taxa de alfândega", "frais de douane",
        "droits de douane", "frais de dédouanement", "frais supplémentaires",
        "frais de libération", "таможенн* пошлин*", "таможенн* сбор*", "растаможк*", "пошлин*",
        "доплат*", "страховой взнос", "zollgebühr*", "zollgebuehr*", "einfuhrumsatzsteuer",
        "zollkosten", "zoll", "aufpreis", "zuschlag", "zusatzgebühr*", "bearbeitungsgebühr*",
    ]),
    (Fam::Obligation, &[
        "must", "need to", "needs to", "have to", "has to", "required", "requires", "require",
        "necessary", "mandatory", "obligatory", "should", "debe*", "debes", "tiene que",
        "tienes que", "hay que", "necesit*", "obligatorio", "es necesario", "deve", "deves",
        "precisa*", "tem que", "têm que", "necessário", "obrigatório", "doit", "doivent", "devez",
        "dois", "faut", "il faut", "obligatoire", "nécessaire", "нужно", "надо", "необходимо",
        "обязательн*", "должн*", "müssen", "muss", "musst", "erforderlich", "nötig",
        "notwendig", "pflicht",
    ]),
    (Fam::Hold, &[
        "held", "hold", "holding", "on hold", "stuck", "blocked", "retained", "seized",
        "detained", "retenido*", "bloquead*", "retido*", "preso", "retenu*", "bloqué*",
        "задержан*", "застрял*", "заблокирован*", "festgehalten", "blockiert", "zurückgehalten",
    ]),
    (Fam::Official, &[
        "by the courier", "to the courier", "courier", "carrier", "postman", "mail carrier",
        "by customs", "to customs", "customs office", "customs authority", "at the door",
        "on delivery", "upon delivery", "at delivery", "on arrival", "upon arrival",
        "when it arrives", "when the package arrives", "when the parcel arrives", "local customs",
        "your country", "post office", "buyer s responsibility", "not included",
        "al cartero", "al repartidor", "a la entrega", "en la entrega", "transportista",
        "al recibir", "responsabilidad del comprador", "no incluido", "no incluidos",
        "ao carteiro", "na entrega", "transportadora", "correios", "não incluso", "não incluído",
        "au livreur", "à la livraison", "transporteur", "la poste", "non inclus", "non compris",
        "курьеру", "при получении", "на почте", "почтой", "не включен*", "kurier",
        "zusteller", "bei lieferung", "bei zustellung", "bei der zustellung", "nicht enthalten",
        "nicht inbegriffen", "dhl", "ups", "fedex", "usps", "royal mail", "correos", "ctt",
        "la poste", "почта россии", "deutsche post", "postnl", "canada post",
    ]),
    (Fam::Hedge, &[
        "may", "might", "possibly", "could", "can be", "sometimes", "depending", "puede*",
        "podría*", "posible*", "pode", "podem", "poderá", "possível", "às vezes", "peut",
        "peuvent", "pourrait", "éventuel*", "parfois", "возможно", "может", "могут", "иногда",
        "kann", "können", "eventuell", "möglicherweise", "unter umständen",
    ]),
    (Fam::DisputeAction, &[
        "close", "withdraw", "remove", "drop", "retract", "delete", "revoke", "take back",
        "take down", "cerrar", "cierra", "cierre", "retirar", "retira", "retire",
        "quitar", "quita", "quite", "eliminar", "elimina", "elimine", "desistir", "desista",
        "fechar", "feche", "encerrar", "encerre", "encerra", "remover", "remova", "tirar",
        "tire", "retirar", "fermer", "fermez", "ferme", "retirer", "retirez", "clôturer",
        "clôturez", "clôture", "supprimer", "supprimez", "supprime", "abandonner", "abandonnez",
        "закр*", "отозв*", "снимите", "снять", "сними", "убер*", "убрать", "удали*", "прекрат*",
        "schließ*", "zurückzieh*", "zurücknehm*", "lösch*", "loesch*", "aufheb*", "beend*",
        "abbrech*",
    ]),
    (Fam::DisputeCancel, &[
        "cancel", "cancelar", "cancela", "cancele", "annuler", "annulez", "annule", "отмен*",
        "storn*", "anular", "anula", "resolve", "mark as resolved", "resolver", "résoudre",
    ]),
    (Fam::DisputeOpen, &[
        "open", "opening", "file", "escalate", "start", "report", "abrir", "abras", "abra",
        "abrindo", "ouvrir", "ouvrez", "ouvre", "открыв*", "открыть", "открой*", "eröffn*",
        "öffne*", "einleit*", "melden",
    ]),
    (Fam::DisputeObject, &[
        "dispute", "disputes", "claim", "claims", "the case", "this case", "your case",
        "complaint", "chargeback", "return request", "refund request", "ticket",
        "protection claim", "disputa", "reclamo", "reclamación", "el caso", "queja", "denuncia", "reclamação", "queixa", "litígio", "litige",
        "réclamation", "plainte", "dossier", "signalement", "спор*", "диспут*", "жалоб*",
        "претензи*", "рекламаци*", "streit*", "reklamation", "beschwerde", "konflikt", "disput*",
        "käuferschutz*", "o caso", "le dossier",
    ]),
    (Fam::Refund, &[
        "refund", "reimburse", "pay you back", "send the money back", "send you the money",
        "money back", "give back", "return the money", "return your money", "give you the money",
        "reembols*", "devolver el dinero", "devuelvo", "te devuelvo", "le devuelvo", "devolveré",
        "devolvo", "devolver", "te pago", "rembours*", "je vous rembourse", "je te rembourse",
        "rendre l argent", "верну*", "вернем", "вернём", "возврат*", "возмещ*", "erstatt*",
        "zurückzahl*", "geld zurück", "zurücküberweis*",
    ]),
    (Fam::ConfirmVerb, &[
        "confirm", "confirma", "confirme", "confirmar", "confirmez", "confirmer", "подтверд*",
        "bestätig*", "bestaetig*", "acknowledge", "valide", "validez", "valider",
    ]),
    (Fam::CompleteVerb, &[
        "complete", "finish", "finalize", "finalise", "mark", "close", "release", "completa", "completar", "complete", "finaliza", "finalice", "finalizar", "marque",
        "marcar", "cierra", "conclua", "concluir", "libere", "liberar",
        "finalize", "terminez", "terminer", "finalisez", "finaliser", "marquez", "clôturez",
        "clôturer", "заверш*", "отмет*", "закрой*", "закройте", "закрыть",
        "abschließ*", "abschliess*", "markier*", "freigeb*", "schließ*",
    ]),
    (Fam::ReceiptObject, &[
        "receipt", "received", "delivery", "delivered", "arrival", "as received",
        "as delivered", "recepción", "recibido", "entrega", "entregado", "recebimento",
        "recebido", "entregue", "réception", "reçu", "livraison", "livré", "получени*",
        "получил*", "доставк*", "доставлен*", "вручени*", "erhalt", "empfang", "lieferung",
        "erhalten", "geliefert", "zugestellt",
    ]),
    (Fam::OrderObject, &[
        "order", "transaction", "deal", "purchase", "sale", "pedido", "orden", "compra", "venta",
        "encomenda", "commande", "achat", "vente", "заказ*", "сделк*", "покупк*", "bestellung",
        "kauf", "transaktion", "transacción", "transação",
    ]),
    (Fam::ConfirmCompound, &[
        "release the payment", "release payment", "release the funds", "release my payment",
        "release my money", "release the money", "mark as received", "mark it as received",
        "mark as delivered", "mark it as delivered", "liberar el pago", "liberar o pagamento",
        "liberar o dinheiro", "libérer le paiement", "libérer l argent", "zahlung freigeben",
        "geld freigeben", "подтвердите получение", "подтвердить получение",
        "подтверди получение",
    ]),
    (Fam::PreDelivery, &[
        "now", "right now", "already", "early", "in advance", "before it arrives",
        "before delivery", "before receiving", "before you receive", "before you get", "before",
        "almost there", "on its way", "on the way", "in transit", "so i can get paid",
        "to get paid", "get paid", "right away", "immediately", "asap", "not arrived",
        "ahora", "ya", "antes", "cuanto antes", "de inmediato", "en camino", "por adelantado",
        "agora", "já", "imediatamente", "a caminho", "adiantado", "antecipadamente",
        "maintenant", "tout de suite", "avant", "déjà", "immédiatement", "en route", "d avance",
        "en chemin", "сейчас", "сразу", "срочно", "заранее", "до", "уже", "в пути",
        "не дожидаясь", "jetzt", "sofort", "vorab", "schon", "bevor", "vor", "unterwegs",
        "im voraus",
    ]),
    (Fam::ConfirmOther, &[
        "address", "date", "time", "details", "size", "color", "colour", "phone", "number",
        "name", "dirección", "fecha", "hora", "datos", "talla", "endereço", "data", "horário",
        "dados", "tamanho", "adresse", "heure", "détails", "taille", "адрес*", "дат*", "время",
        "данные", "размер", "datum", "zeit", "daten", "größe",
    ]),
    (Fam::FirstPerson, &[
        "i", "i ll", "i will", "i can", "i m going to", "i am going to", "we", "we ll",
        "we will", "yo", "voy a", "eu", "vou", "je", "je vais", "nous", "я", "мы", "ich",
        "ich werde", "wir",
    ]),
    (Fam::When, &[
        "when", "once", "after", "as soon as", "upon", "if", "cuando", "una vez", "al",
        "después de", "tan pronto", "quando", "assim que", "depois", "após", "logo que", "quand",
        "une fois", "dès", "après", "lorsque", "когда", "как только", "после", "wenn", "sobald",
        "nach", "nachdem",
    ]),
    (Fam::ReceiveVerb, &[
        "receive*", "get it", "got it", "arrive*", "have it", "recib*", "lleg*", "receb*",
        "cheg*", "recev*", "reçu", "recu", "arriv*", "получ*", "прид*", "придет", "прибуд*",
        "erhalt*", "bekomm*", "ankomm*", "ankunft", "angekommen", "da ist", "réception",
        "recepción", "recebimento", "erhalt", "receipt",
    ]),
    (Fam::Neg, &[
        "not", "never", "don t", "dont", "do not", "doesn t", "does not", "won t",
        "will not", "cannot", "can t", "cant", "shouldn t", "should not", "must not", "nunca",
        "jamás", "não", "nem", "ne", "pas", "jamais", "не", "нельзя", "никогда", "ни", "nicht",
        "kein*", "nie", "niemals", "without", "sin", "sem", "sans", "без", "ohne",
    ]),
    (Fam::NegNo, &["no"]),
];

/// Second-level labels under which registrable domains have three labels.
pub(crate) const MULTI_PART_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "co.nz",
    "com.br", "net.br", "org.br", "com.mx", "com.ar", "com.co", "com.pe", "com.tr", "com.cn",
    "com.hk", "com.sg", "co.jp", "ne.jp", "co.kr", "co.in", "co.za", "com.ua", "com.ru",
    "msk.ru", "spb.ru", "com.es", "com.pt", "co.il", "com.my", "com.ph", "com.vn", "com.tw",
];

/// Generic top-level domains recognised in bare domains (all two-letter
/// ASCII ccTLDs are accepted as well).
pub(crate) const GENERIC_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io", "app", "dev", "xyz",
    "top", "site", "online", "shop", "store", "club", "live", "link", "click", "icu", "buzz",
    "vip", "win", "bid", "loan", "work", "support", "help", "services", "service", "tech",
    "cloud", "world", "today", "space", "website", "fun", "pro", "mobi", "name", "asia", "cam",
    "rest", "bar", "monster", "sbs", "cfd", "lol", "pw", "tk", "ml", "ga", "cf", "gq", "ly",
    "market", "delivery", "express", "page", "pay", "money", "secure", "security", "center",
    "email", "digital", "network", "group", "company", "global", "solutions", "agency", "blog",
    "news", "media", "one", "zone", "best", "life", "plus", "run", "guru", "ltd", "inc",
    "trade", "exchange", "finance", "bank", "host", "art", "design", "rocks", "social",
    "рф", "рус", "онлайн", "сайт",
];

/// Public URL shorteners: the real destination is hidden.
pub(crate) const SHORTENERS: &[&str] = &[
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "is.gd", "ow.ly", "cutt.ly", "rb.gy",
    "shorturl.at", "s.id", "t.ly", "buff.ly", "rebrand.ly", "tiny.cc", "v.gd", "shorte.st",
    "bl.ink", "clck.ru", "u.to", "qps.ru", "lnkd.in",
];

/// Link hosts that are messengers (contact), with their label.
pub(crate) const MESSENGER_HOSTS: &[(&str, &str)] = &[
    ("wa.me", "WhatsApp"),
    ("whatsapp.com", "WhatsApp"),
    ("chat.whatsapp.com", "WhatsApp"),
    ("api.whatsapp.com", "WhatsApp"),
    ("t.me", "Telegram"),
    ("telegram.me", "Telegram"),
    ("telegram.org", "Telegram"),
    ("telegram.dog", "Telegram"),
    ("m.me", "Facebook Messenger"),
    ("messenger.com", "Facebook Messenger"),
    ("facebook.com", "Facebook"),
    ("fb.com", "Facebook"),
    ("fb.me", "Facebook"),
    ("instagram.com", "Instagram"),
    ("ig.me", "Instagram"),
    ("viber.me", "Viber"),
    ("viber.com", "Viber"),
    ("invite.viber.com", "Viber"),
    ("line.me", "Line"),
    ("signal.me", "Signal"),
    ("signal.group", "Signal"),
    ("u.wechat.com", "WeChat"),
    ("weixin.qq.com", "WeChat"),
    ("snapchat.com", "Snapchat"),
    ("join.skype.com", "Skype"),
    ("discord.gg", "Discord"),
    ("discord.com", "Discord"),
    ("vk.com", "VK"),
    ("vk.me", "VK"),
];

/// Link hosts that collect money directly (off-platform payment).
pub(crate) const PAYMENT_HOSTS: &[&str] = &[
    "paypal.me", "venmo.com", "cash.app", "revolut.me", "monzo.me", "wise.com", "paypal.com",
    "buymeacoffee.com", "ko-fi.com", "payoneer.com", "skrill.com", "westernunion.com",
    "moneygram.com", "zellepay.com", "pix.me", "lydia-app.com", "yoomoney.ru", "qiwi.com",
];

/// Mail providers accepted for "name at gmail" style addresses.
pub(crate) const MAIL_PROVIDERS: &[&str] = &[
    "gmail", "googlemail", "hotmail", "outlook", "live", "msn", "yahoo", "ymail", "aol", "icloud",
    "me", "mac", "proton", "protonmail", "pm", "yandex", "ya", "mail", "rambler", "bk", "inbox",
    "list", "gmx", "web", "t-online", "orange", "free", "sfr", "laposte", "wanadoo", "uol",
    "bol", "terra", "ig", "zoho", "tutanota", "ukr", "qq", "163",
];
