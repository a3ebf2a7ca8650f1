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
    /// "give me", "what's", "send": asking for a detail.
    AskVerb,
    /// "my", "your", … right before a platform name or "number".
    Possessive,
    /// Prepositions right before messenger slang ("no zap", "в тг").
    SlangPrep,
    /// "number" words, contact only right after a possessive.
    NumberWord,
    /// Phrases about phone numbers or contact details.
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
    /// "failed", "error", "buggy": the classic excuse to pay elsewhere.
    PaymentFailed,
    /// Payment methods that only exist outside the platform.
    MethodStrong,
    /// Payment methods a checkout may also offer (PayPal, card, cash).
    MethodWeak,
    /// Asking for / offering a payment.
    PayRequest,
    /// "is fine", "works", "geht auch": accepting a method.
    Accept,
    /// "only", "solo", "nur": insisting on a method (or on the platform).
    Only,
    /// The seller as payee ("pay me", "my account").
    ToSeller,
    /// The seller's own account or card: paying into it is off-platform.
    SellerAccount,
    /// "me", "mir", "мне": with a payment verb, the seller is the payee.
    Me,
    /// Discounts for paying another way.
    Discount,
    /// PayPal friends-and-family and similar unprotected modes.
    FriendsFamily,
    /// "directly", "direct", "privately".
    Direct,
    /// Bank account vocabulary (sort code, routing, BIC, RIB, …).
    BankDetails,
    /// Crypto context for wallet-looking strings.
    CryptoCtx,
    /// Bank card context for card-number-looking digits.
    CardCtx,
    /// Fee nouns that are a fee on their own (tax, insurance, duty).
    FeeNoun,
    /// "fee", "frais", "Gebühr": a fee, but also a payment method's own cost.
    FeeGeneric,
    /// Kinds of fee that need a fee word (customs, release, storage, …).
    FeeKind,
    /// Fee words (charge, cost, amount).
    FeeWord,
    /// Terms that are a fee on their own ("customs fee", "пошлина").
    FeeCompound,
    /// Obligation ("must", "need to", "нужно").
    Obligation,
    /// Parcel held/stuck/blocked.
    Hold,
    /// "otherwise", "sin eso", "sonst": a threat attached to a demand.
    Otherwise,
    /// Money still owed: "separately", "not included", "missing".
    Owed,
    /// Owed to the speaker: "from you", "I forgot to add".
    OwedSeller,
    /// Official payee: paid to the courier / customs / on delivery.
    OfficialPayee,
    /// Fees to release, unlock or activate money: no platform charges them.
    FeeRelease,
    /// The parcel's delivery: the courier who rings, the delivery address
    /// ("for the courier", "dados pra entrega").
    DeliveryCtx,
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
    /// Negative review and legal threats.
    Threat,
    /// "my account/shop" … "banned/closed": a plea.
    PleaObj,
    PleaVerb,
    /// Freebies and future discounts offered in exchange.
    Incentive,
    /// Confirm.
    ConfirmVerb,
    /// Complete/finish/mark.
    CompleteVerb,
    /// Click/press/tap (a UI button such as "order received").
    Click,
    /// "received", "delivered": the state a button sets.
    ReceivedState,
    /// "receipt", "delivery": what is confirmed.
    ReceiptNoun,
    /// Order/transaction objects.
    OrderObject,
    /// Terms that are receipt pressure on their own ("release the payment").
    ConfirmCompound,
    /// "now", "already", "before it arrives", "so I get paid".
    PreDelivery,
    /// "just", "simply": brushing aside the buyer's caution.
    Pressure,
    /// Address/date/details: what a seller legitimately asks to confirm.
    ConfirmOther,
    /// First person right before a verb: a statement, not a request.
    FirstPerson,
    /// "when", "once", "after".
    When,
    /// Receiving/arriving verbs.
    ReceiveVerb,
    /// Reporting someone else's scam attempt or warning about scams.
    Reported,
    /// "no rush", "take your time": the opposite of pressure.
    NoRush,
    /// Negation.
    Neg,
    /// "never": reaches further than "not" ("will never ask you to pay").
    NegNever,
    /// Spanish/English "no": negates only the word right after it (in
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

#[rustfmt::skip]
pub(crate) const MESSENGERS: &[Messenger] = &[
    Messenger {
        label: "WhatsApp",
        strong: &[
            "whatsapp*", "whats app*", "what s app*", "whatsap", "whatapp*", "watsapp*", "watsap",
            "wattsap*", "wattsapp*", "wasap", "wassap", "wasapp", "whatsaap", "zapzap", "zap zap",
            "ватсап*", "вотсап*", "уатсап*", "вацап*", "ватцап*", "вотсап*", "ватсапп*",
            "вотс ап*", "ватс ап*", "вастап*", "what sapp", "whats ap",
        ],
        slang: &["whats", "zap", "wpp", "wsp", "wa", "wzp", "ватс", "вотс"],
        ambiguous: &[],
    },
    Messenger {
        label: "Telegram",
        strong: &[
            "telegram*", "teiegram*", "телеграм*", "телеграмм*", "телегу", "телеге",
        ],
        slang: &["tg", "тг", "tgm", "телега"],
        ambiguous: &[],
    },
    Messenger {
        label: "WeChat",
        strong: &["wechat*", "weixin", "微信", "вичат*", "微 信"],
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
        ambiguous: &[
            "instagram*", "insta", "ig", "инстаграм*", "инсту", "инста", "инсте",
        ],
    },
    Messenger {
        label: "Facebook Messenger",
        strong: &["facebook messenger", "fb messenger"],
        slang: &[],
        ambiguous: &[
            "facebook*", "fb", "messenger", "фейсбук*", "фб", "мессенджер*",
        ],
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
        label: "QQ",
        strong: &["qq号", "qq 号"],
        slang: &["qq"],
        ambiguous: &[],
    },
    Messenger {
        label: "KakaoTalk",
        strong: &["kakaotalk*", "kakao talk"],
        slang: &["kakao"],
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

#[rustfmt::skip]
pub(crate) const FAMILIES: &[(Fam, &[&str])] = &[
    (Fam::ContactCue, &[
        // en
        "add me", "contact me", "message me", "msg me", "text me", "write me", "write to me",
        "reach me", "reach out", "find me", "hit me up", "dm me", "ping me", "call me", "hmu",
        "my id", "my username", "my user", "my handle", "my profile", "username", "user name",
        "let s talk", "lets talk", "let s chat", "lets chat", "let s continue", "let s move",
        "talk on", "chat on", "talk there", "chat there", "continue on", "continue there",
        "move to", "switch to", "talk via", "chat via", "send me a message", "drop me",
        "follow me", "reply on", "answer on", "talk over", "add me on", "contact me on",
        "easier to talk", "faster to talk", "we can talk", "keep in touch",
        // es
        "agrégame", "añádeme", "escríbeme", "contáctame", "háblame", "llámame", "búscame",
        "hablemos", "hablamos", "sigamos", "seguimos", "pásate", "mensaje", "mi usuario",
        "mi perfil", "agrega me", "escribime", "mándame un mensaje",
        // pt
        "me chama", "chama", "me adiciona", "me add", "adiciona", "fala comigo", "me liga",
        "mensagem", "vamos conversar", "conversar", "conversa", "me procura", "meu usuario",
        "meu perfil", "chamar", "falar", "fala", "me chame", "me manda mensagem",
        // fr
        "ajoute moi", "ajoutez moi", "écris moi", "écrivez moi", "contacte moi",
        "contactez moi", "appelle moi", "appelez moi", "parlons", "discutons", "passons",
        "joignable", "mon pseudo", "mon profil", "continuons", "m écrire", "me contacter",
        // ru
        "пиши*", "напиши*", "добав*", "свяж*", "звони*", "позвон*", "стучи*", "постучи*",
        "связь", "на связи", "ник", "перейд*", "общаться", "общени*", "сообщени*", "переписк*",
        "найди меня", "найдите меня", "давай в", "давайте в",
        // de
        "schreib*", "weiterschreib*", "kontaktier*", "ruf mich", "ruf an", "melde dich",
        "meld dich", "meldet euch", "melden sie sich", "füge mich", "adde mich",
        "erreichst mich", "erreichen sie mich", "nachricht", "nutzername", "lass uns",
        "lassen sie uns",
        // it, pl, tr, zh
        "scrivimi", "contattami", "aggiungimi", "chiamami", "sentiamoci", "napisz",
        "napisz do mnie", "dodaj mnie", "zadzwoń", "yaz", "yazın", "bana yaz", "ekle", "加 我",
        "联 系", "聊",
    ]),
    (Fam::AskVerb, &[
        "give", "give me", "send me", "share", "what s", "whats", "what is", "can i have",
        "could i have", "leave", "drop", "pass me", "tell me", "dame", "dime", "pásame",
        "mándame", "me das", "me passa", "passa", "me dá", "me manda", "me diz", "donne",
        "donnez", "envoie", "envoyez", "laisse", "laissez", "dis moi", "дай", "дайте",
        "скинь*", "оставь*", "напиши*", "можно", "подскажи*", "gib", "gib mir",
        "geben sie mir", "schick*", "sag mir", "nenn mir", "dammi", "dimmi", "podaj", "daj",
    ]),
    (Fam::Possessive, &[
        "my", "your", "mi", "tu", "su", "meu", "minha", "seu", "sua", "teu", "tua", "mon",
        "ma", "ton", "ta", "votre", "мой", "моя", "мою", "мои", "твой", "твою", "ваш", "вашу",
        "свой", "свою", "mein", "meine", "dein", "deine", "ihre", "il mio", "il tuo", "mój",
        "twój",
        "ur", "yr",
    ]),
    (Fam::SlangPrep, &[
        "on", "via", "by", "no", "na", "pelo", "pela", "por", "en", "sur", "в", "во", "по",
        "на", "über", "per", "auf", "im", "in", "su", "przez",
    ]),
    (Fam::NumberWord, &[
        "number", "numero", "número", "numéro", "номер", "nummer", "telefon", "numer",
    ]),
    (Fam::PhonePhrase, &[
        "phone number", "cell number", "mobile number", "contact number", "telephone number",
        "phone no", "contact details", "contact info", "número de teléfono",
        "número de telefone", "número de celular", "número de móvil", "número de whatsapp",
        "numéro de téléphone", "numéro de portable", "номер телефона", "номер телефон",
        "номерок", "telefonnummer", "handynummer", "mobilnummer", "kontaktdaten",
        "datos de contacto", "coordonnées", "контакты", "контактные данные", "whatsapp number",
        "numero di telefono", "numer telefonu", "telefon numarası",
    ]),
    (Fam::PhoneCtx, &[
        "call", "call me", "phone", "tel", "telephone", "mobile", "cell", "cellphone", "text",
        "sms", "whatsapp", "contact", "ring", "dial", "reach", "teléfono", "telefone",
        "celular", "móvil", "movil", "llama", "llámame", "ligue", "liga", "me liga", "zap",
        "whats", "contato", "contacto", "téléphone", "portable", "appelle", "appelez", "tél",
        "joindre", "телефон*", "тел", "звони*", "позвони*", "моб", "мобильн*", "сотов*",
        "handy", "telefon", "ruf", "anrufen", "mobil", "tg", "тг", "chiamami", "cellulare",
        "zadzwoń", "ara", "chave", "key", "clé", "ключ",
    ]),
    (Fam::FeeRelease, &[
        "release fee*", "release", "unlock*", "activation", "activate", "freigabe*",
        "freischalt*", "liberación", "liberar", "desbloqueo", "liberação", "desbloqueio",
        "libération", "déblocage", "débloquer", "разблокир*", "активаци*", "sblocco",
        "sbloccare", "odblokowani*", "odblokować", "aktywacj*", "aktivasyon", "serbest bırak*",
        "kích hoạt", "mở khóa", "giải ngân", "解 冻", "激 活", "تفعيل", "فك التجميد",
    ]),
    (Fam::DeliveryCtx, &[
        "courier", "for the courier", "delivery address", "shipping address", "for delivery",
        "for the delivery", "delivery driver", "driver", "postman", "ship to", "deliver to",
        "entrega", "para la entrega", "dirección de envío", "dirección de entrega",
        "repartidor", "mensajero", "entregador", "pro entregador", "para o entregador",
        "endereço de entrega", "dados pra entrega", "dados para entrega", "carteiro",
        "livreur", "pour le livreur", "adresse de livraison", "facteur", "курьер*",
        "для курьера", "адрес доставки", "для доставки", "zusteller", "für den zusteller",
        "lieferadresse", "für die lieferung", "paketbote", "corriere", "per il corriere",
        "indirizzo di consegna", "kurier*", "dla kuriera", "adres dostawy", "kurye",
        "kurye için", "teslimat adresi", "shipper", "giao hàng", "địa chỉ nhận hàng",
        "người nhận", "快 递", "收 货 地 址", "配 送", "عنوان التوصيل", "المندوب", "للمندوب",
    ]),
    (Fam::NumberNegCtx, &[
        "order", "orders", "tracking", "track", "tracking number", "invoice", "ref",
        "reference", "sku", "model", "serial", "imei", "item", "listing", "code", "parcel",
        "package", "shipment", "part", "part number", "batch", "lot", "pedido", "orden",
        "seguimiento", "factura", "modelo", "artículo", "referencia", "pieza", "encomenda",
        "rastreio", "rastreamento", "nota", "código", "peça", "commande", "suivi", "colis",
        "facture", "modèle", "article", "pièce", "numéro de suivi", "numéro de commande",
        "заказ*", "трек*", "отслеживани*", "посылк*", "отправлени*", "модел*", "артикул*",
        "детал*", "счет", "счёт", "bestellung", "bestellnummer", "sendung", "sendungsnummer",
        "rechnung", "artikel", "teil", "teilenummer", "paket", "ean", "isbn", "iban", "pin",
        "size", "price", "talla", "tamaño", "preço", "prix", "цена", "preis", "year", "años",
        "ano", "год", "ordine", "spedizione", "zamówienie", "sipariş",
        // Postal codes in an address ("CEP 01310-100") are not phone numbers.
        "cep", "zip", "zip code", "zipcode", "postcode", "postal code", "plz", "postleitzahl",
        "código postal", "cod postal", "code postal", "cap", "индекс", "почтовый индекс",
        "kod pocztowy", "posta kodu", "mã bưu chính", "邮 编", "الرمز البريدي",
    ]),
    (Fam::OutsideWord, &[
        "outside", "outside of", "off", "fuera", "fuera de", "por fuera", "fora", "fora da",
        "fora do", "por fora", "en dehors", "dehors", "hors", "вне", "мимо", "без",
        "außerhalb", "ausserhalb", "not through", "instead of", "en lugar de", "em vez de",
        "au lieu de", "вместо", "statt", "anstatt", "bypass", "avoid", "evitar", "éviter",
        "обойти", "umgehen", "skip", "without", "sin", "sem", "sans", "ohne", "fuori", "poza",
        "dışında",
    ]),
    (Fam::Platform, &[
        "platform", "site", "website", "app", "application", "marketplace", "plataforma",
        "página", "pagina", "aplicación", "aplicativo", "plateforme", "appli", "площадк*",
        "сайт*", "платформ*", "приложени*", "маркетплейс*", "plattform", "seite", "webseite",
        "website", "checkout", "escrow", "piattaforma", "platforma", "platform", "平 台",
    ]),
    (Fam::Checkout, &[
        "checkout", "at checkout", "check out", "buy now", "buy button", "the buy button",
        "order page", "secure checkout", "payment page", "caja", "finalizar compra",
        "pago seguro", "pagamento seguro", "paiement sécurisé", "page de paiement",
        "оформлени* заказа", "корзин*", "kasse", "zur kasse", "bezahlseite", "escrow",
        "treuhand*", "безопасн* сделк*",
    ]),
    (Fam::OnPrep, &[
        "through", "via", "on", "in", "at", "using", "thru", "inside", "within", "por", "en",
        "dentro", "pela", "pelo", "no", "na", "dentro da", "sur", "par", "dans", "через", "на",
        "в", "внутри", "über", "auf", "im", "bei", "innerhalb", "tramite", "su", "przez",
    ]),
    (Fam::PaymentFailed, &[
        "failed", "didn t go through", "did not go through", "not going through", "declined",
        "doesn t work", "not working", "error", "glitch", "buggy", "falló", "no pasa",
        "no pasó", "no funciona", "rechazado", "deu erro", "falhou", "não passou",
        "não funciona", "erro", "recusado", "échoué", "a échoué", "ne passe pas",
        "n est pas passé", "ne fonctionne pas", "erreur", "refusé", "не прошел", "не прошёл",
        "не проходит", "не работает", "ошибка", "сбой", "fehlgeschlagen", "geht nicht",
        "hat nicht geklappt", "funktioniert nicht", "fehler", "abgelehnt", "verbuggt",
        "non funziona", "errore", "nie działa", "błąd",
    ]),
    (Fam::MethodStrong, &[
        // en
        "bank transfer", "wire transfer", "wire", "wire me", "bank deposit", "direct deposit",
        "western union", "moneygram", "money gram", "gift card*", "giftcard*", "itunes card*",
        "steam card*", "amazon card*", "google play card*", "apple card*", "apple cash",
        "crypto*", "bitcoin*", "btc", "usdt", "tether", "ethereum", "eth", "litecoin", "ltc",
        "binance", "zelle", "cash app", "cashapp", "venmo", "revolut", "skrill", "payoneer",
        "neteller", "sepa", "iban", "money order", "cashier s check", "bank check",
        "bank account", "account number", "bank details", "prepayment", "advance payment",
        "upfront payment", "pay upfront", "deposit first", "transfer the money",
        "transfer money", "money transfer", "transfer me", "transfer it to", "transfer to my",
        "wise transfer", "via wise", "with wise", "wise account", "steam", "amazon",
        // es
        "transferencia*", "depósito bancario", "bizum", "giro", "tarjeta regalo", "cripto*",
        "nequi", "daviplata", "oxxo", "cuenta bancaria", "anticipo", "adelanto",
        "pago por adelantado", "cheque bancario", "cheque",
        // pt
        "transferência*", "pix", "ted bancária", "faz um ted", "fazer um ted", "boleto",
        "depósito bancário", "cartão presente", "vale presente", "conta bancária", "chave pix",
        "adiantamento", "pagamento antecipado", "mb way", "mbway",
        // fr
        "virement*", "mandat cash", "coupon pcs", "recharge pcs", "carte pcs", "transcash",
        "neosurf", "lydia", "wero", "paylib", "carte cadeau", "compte bancaire", "rib",
        "acompte", "paiement d avance", "chèque de banque", "chèque",
        // ru
        "перевод*", "переведи*", "на карту", "на карточку", "сбер*", "тинькоф*", "киви",
        "qiwi", "юmoney", "юмани", "юмани", "яндекс деньги", "яндекс денег", "крипт*",
        "биткоин*", "биткойн*", "вебмани", "webmoney", "золотая корона", "сбп", "предоплат*",
        "на счет", "на счёт", "номер карты", "номер счета", "реквизит*",
        // de
        "überweisung*", "ueberweisung*", "überweisen*", "ueberweisen*", "vorkasse",
        "paysafecard*", "paysafe", "sofortüberweisung", "bankkonto", "kontonummer",
        "anzahlung", "vorauszahlung", "bankverbindung", "bankdaten",
        // it, pl, tr, zh
        "bonifico", "postepay", "ricarica", "satispay", "blik*", "przelew*", "havale", "eft",
        "支 付 宝", "转 账", "银 行 卡",
        // tr, vi, ar
        "ria ile", "ria üzerinden", "ria money", "ria transfer", "papara", "ininal",
        "chuyển khoản", "số tài khoản", "stk", "tài khoản ngân hàng", "ngân hàng", "momo",
        "ví momo", "zalopay", "zalo pay", "viettelpay", "viettel pay", "vnpay", "thẻ cào",
        "mã thẻ", "ví điện tử", "tiền mã hóa", "ví usdt", "vietcombank", "techcombank",
        "vietinbank", "agribank", "bidv", "tpbank", "mbbank",
        "حوالة بنكية", "تحويل بنكي", "رقم الحساب", "ويسترن يونيون", "بطاقة هدايا",
        "nubank", "picpay", "banco inter",
    ]),
    (Fam::MethodWeak, &[
        "paypal", "pay pal", "credit card", "debit card", "apple pay", "google pay", "klarna",
        "mercado pago", "mercadopago", "stripe", "cash", "efectivo", "dinheiro", "espèces",
        "liquide", "наличн*", "налом", "карту", "карта", "картой", "карточку", "bargeld",
        "in bar", "bar bezahlen", "tarjeta de crédito", "cartão de crédito", "carte bancaire",
        "carte bleue", "kreditkarte", "paypal me", "contanti", "gotówk*", "nakit",
    ]),
    (Fam::PayRequest, &[
        // en
        "pay", "pay me", "pay via", "pay by", "pay with", "pay using", "pay through", "send",
        "send me", "send the money", "send money", "send payment", "send the payment",
        "transfer", "make the payment", "make a payment", "make payment", "payment via",
        "payment by", "payment to", "you can pay", "i accept", "we accept", "i take",
        "i prefer", "prefer", "only accept", "accept", "deposit", "paying", "payment", "wire",
        "purchase via", "settle", "i d prefer", "reimburse me", "take",
        // es
        "pague*", "paga", "pagar", "págame*", "pagarme", "pagás", "pagas", "envía*", "envia*",
        "envíe*", "enviar", "mándame*", "mándamelo", "manda", "mandar", "deposita*",
        "transfiere*", "transfiera*", "hazme", "haz", "acepto", "aceptamos", "prefiero",
        "pago", "abona", "abone", "abonar", "pasas", "me lo pasas", "me la pasas", "pásame*",
        // pt
        "pague", "paga", "pagar", "me paga", "me pague", "faz", "faça", "manda", "mande",
        "enviar", "envie*", "transfira", "transferir", "aceito", "aceitamos", "prefiro",
        "pagamento", "deposite", "depositar", 
        // fr
        "payez", "payer", "paie", "paye", "paies", "payes", "envoyez", "envoie", "envoyer",
        "faites", "fais", "faire", "accepte", "j accepte", "préfère", "paiement", "réglez",
        "régler", "règlement", "versez", "verser", "virez", 
        // ru
        "оплат*", "оплач*", "плати", "платите", "заплати*", "заплач*", "переведи*",
        "перевести", "скинь*", "скинуть", "отправь*", "отправить", "кинь*", "кинуть",
        "принимаю", "принимаем", "перечисл*", "внеси*", "внести", 
        // de
        "zahl*", "bezahl*", "überweis*", "ueberweis*", "schick*", "send*", "sende*",
        "akzeptiere", "akzeptieren", "nehme", "nehmen", "bevorzuge", "zahlung", 
        // it, pl, tr, zh
        "paga", "pagami", "pagare", "manda", "mandami", "invia", "inviami", "accetto", 
        "zapłać", "zapłacić", "płać", "przelej", "wyślij", "öde", "ödeyin", "gönder*", "付 款",
        "chuyển", "chuyển tiền", "thanh toán", "gửi tiền", "trả tiền", "nạp", "حول", "ادفع",
        "أرسل",
        "转",
        "só aceito",
    ]),
    (Fam::Accept, &[
        "fine", "is fine", "are fine", "ok", "okay", "works", "works for me", "works best",
        "accepted", "geht", "geht auch", "vale", "sirve", "me sirve", "funciona", "serve",
        "pode ser", "ça marche", "ça me va", "подойдет", "пойдет", "подходит", "устроит",
        "passt", "funktioniert", "va bene", "może być", "olur",
    ]),
    (Fam::Only, &[
        "only", "solo", "sólo", "únicamente", "somente", "apenas", "seulement", "uniquement",
        "только", "nur", "soltanto", "tylko", "sadece",
    ]),
    (Fam::ToSeller, &[
        "pay me", "paying me", "send me the money", "send me money", "send it to me",
        "to me directly", "directly to me", "to my account", "my account", "my paypal",
        "my bank", "my card", "my wallet", "my iban", "my bank details", "my details",
        "my number", "to me", "to my", "transfer me", "wire me", "send me", "reimburse me",
        "pay me back", "repay me", "my cashapp", "my venmo", "my zelle", "págame", "pagarme",
        "a mi cuenta", "mi cuenta", "mi paypal", "mi tarjeta", "a mí", "mándame", "envíame",
        "me lo pagas", "me la pasas", "me lo pasas", "me devuelves", "me reembolsas",
        "me paga", "me pague", "pra mim", "para mim", "minha conta", "meu pix", "minha chave",
        "meu paypal", "me manda", "me envia", "me devolver", "paie moi", "payez moi", "à moi",
        "sur mon compte", "mon compte", "mon paypal", "mon iban", "envoie moi", "envoyez moi",
        "me les envoyer", "me le verser", "me rembourser", "мне", "на мою", "мою карту",
        "мой счет", "мой счёт", "мой кошел*", "мои реквизиты", "верните мне", "mir", "an mich",
        "auf mein konto", "mein konto", "mein paypal", "mir erstatten", "a me", "pagami",
        "mandami", "bana", "do mnie", "na mój",
    ]),
    (Fam::SellerAccount, &[
        "my account", "my bank account", "my card", "my wallet", "my iban", "my paypal",
        "mi cuenta", "mi tarjeta", "minha conta", "meu pix", "minha chave", "mon compte",
        "ma carte", "mon rib", "мой счет", "мой счёт", "мою карту", "на мою карту",
        "мой кошел*", "mein konto", "meine karte", "il mio conto", "moje konto", "hesabıma",
    ]),
    (
        Fam::Me,
        &["me", "m", "mir", "мне", "moi", "mich", "bana", "mnie", "mi"],
    ),
    (Fam::Discount, &[
        "discount", "pct off", "pct discount", "cheaper", "no fees", "without fees",
        "save the fee", "save the fees", "avoid the fee", "avoid fees", "avoid the fees",
        "skip the fee", "skip the fees", "lower price", "better price", "cheaper price",
        "descuento", "pct de descuento", "más barato", "sin comisión", "sin comisiones",
        "desconto", "pct de desconto", "mais barato", "sem taxa", "sem taxas", "réduction",
        "remise", "moins cher", "sans frais", "pct de réduction", "скидк*", "дешевле",
        "без комисси*", "rabatt", "günstiger", "billiger", "ohne gebühr*", "nachlass",
        "sconto", "rabat*", "zniżk*", "indirim",
    ]),
    (Fam::FriendsFamily, &[
        "friends and family", "friends family", "friends n family", "family and friends",
        "f f", "f and f", "f n f", "fnf", "amigos y familiares", "amigos y familia",
        "amigos familiares", "amigos familia", "amigos e familiares", "amigos e família",
        "entre proches", "amis et famille", "amis famille", "famille et amis",
        "freunde und familie", "freunde familie", "familie und freunde", "друзьям и семье",
        "друзья и семья", "как другу", "personal payment", "pagamento pessoal",
        "paiement entre proches", "pago personal", "amici e parenti",
    ]),
    (Fam::Direct, &[
        "directly", "direct", "personally", "privately", "in private", "directo",
        "directamente", "en privado", "direto", "diretamente", "no privado", "directement",
        "en privé", "напрямую", "лично", "direkt", "privat", "direttamente", "bezpośrednio",
        "私 下",
    ]),
    (Fam::BankDetails, &[
        "sort code", "routing number", "account number", "swift code", "cbu", "clabe",
        "agência", "conta corrente", "rib", "бик", "расчетный счет", "номер счета",
        "kontonummer", "bankleitzahl", "blz", "iban", "numéro de compte", "número de cuenta",
        "número da conta", "bank details", "bankdaten", "bankverbindung", "datos bancarios",
        "dados bancários", "coordonnées bancaires", "реквизит*", "my bank",
        "coordinate bancarie",
    ]),
    (Fam::CryptoCtx, &[
        "btc", "bitcoin*", "usdt", "trc20", "erc20", "eth", "ethereum", "wallet", "crypto*",
        "tron", "trx", "cripto*", "billetera", "carteira", "portefeuille", "кошел*", "крипт*",
        "биткоин*", "krypto*", "wallet address",
    ]),
    (Fam::CardCtx, &[
        "card", "card number", "tarjeta", "cartão", "carte", "карт*", "karte", "kartennummer",
        "visa", "mastercard", "мир",
    ]),
    (Fam::FeeNoun, &[
        "tax", "taxes", "vat", "duty", "duties", "insurance", "surcharge", "levy", "iva",
        "impuesto*", "recargo", "arancel*", "imposto*", "tva", "taxe*", "assurance", "налог*",
        "ндс", "пошлин*", "страховк*", "доплат*", "steuer*", "*steuer", "mwst",
        "mehrwertsteuer", "zoll", "zölle", "versicherung*", "*versicherung", "zuschlag",
        "aufpreis", "tassa", "tasse", "assicurazione", "cło", "podatek", "vergi", "关 税",
        "手 续 费", "保 险 费",
    ]),
    (Fam::FeeGeneric, &[
        "fee", "fees", "tasa", "tasas", "taxa", "taxas", "frais", "сбор", "сбора", "сборы",
        "gebühr*", "*gebühr*", "opłat*", "ücret*",
    ]),
    (Fam::FeeKind, &[
        "customs", "custom", "import", "release", "clearance", "handling", "storage",
        "transit", "registration", "activation", "verification", "unlock", "security", "extra",
        "additional", "delivery", "shipping", "redelivery", "oversize", "aduana*",
        "liberación", "despacho", "almacenaje", "adicional", "envío", "entrega", "alfândega*",
        "liberação", "desembaraço", "armazenagem", "frete", "envio", "douane*", "dédouanement",
        "libération", "stockage", "supplémentaire*", "livraison", "таможн*", "растамож*",
        "хранени*", "дополнительн*", "доставк*", "выдач*", "склад*", "разблокир*", "zoll*",
        "einfuhr*", "freigabe*", "lager*", "zusätzlich*", "versand*", "liefer*", "dogana",
        "sdoganamento", "spedizione", "gümrük*",
        "seguro", "liberar",
    ]),
    (Fam::FeeWord, &[
        "fee", "fees", "charge", "charges", "charged", "cost", "costs", "amount", "deposit",
        "tarifa", "cargo", "cargos", "costo", "coste", "comisión", "cuota", "tasa", "tasas",
        "taxa", "taxas", "custo", "custos", "cobrança", "frais", "montant", "coût", "сбор*",
        "взнос*", "стоимост*", "пошлин*", "gebühr*", "kosten", "betrag", "abgabe*", "tassa",
        "opłata", "ücret*", "bedel*",
    ]),
    (Fam::FeeCompound, &[
        "customs fee*", "import fee*", "release fee*", "clearance fee*", "insurance fee*",
        "handling fee*", "shipping insurance", "import tax*", "import duty", "import duties",
        "customs duty", "customs duties", "customs charge*", "customs tax*", "extra fee*",
        "additional fee*", "release tax", "tasa de aduana", "gastos de aduana",
        "derechos de aduana", "impuesto de aduana", "tarifa de liberación", "seguro de envío",
        "seguro de envio", "seguro do envio", "taxa alfandegária", "taxa de importação",
        "taxa de liberação", "taxa da alfândega", "taxa de alfândega", "frais de douane",
        "droits de douane", "frais de dédouanement", "frais supplémentaires",
        "frais de libération", "assurance transport", "assurance livraison",
        "таможенн* пошлин*", "таможенн* сбор*", "растаможк*", "страховка доставки",
        "zollgebühr*", "zollgebuehr*", "einfuhrumsatzsteuer", "zollkosten",
        "versandversicherung", "transportversicherung", "gümrük ücret*",
    ]),
    (Fam::Obligation, &[
        "must", "need", "needs", "needed", "need to", "needs to", "i need", "have to",
        "has to", "required", "requires", "require", "necessary", "mandatory", "obligatory",
        "should", "payable", "debe*", "debes", "tiene que", "tienes que", "hay que",
        "hace falta", "necesit*", "obligatorio", "es necesario", "a pagar", "deve", "deves",
        "precisa*", "preciso", "tem que", "têm que", "necessário", "obrigatório", "doit",
        "doivent", "devez", "dois", "faut", "il faut", "il me faut", "obligatoire",
        "nécessaire", "à payer", "нужно", "нужен", "нужна", "надо", "необходимо",
        "обязательн*", "должн*", "требуется", "к оплате", "müssen", "muss", "musst", "brauche",
        "brauchen", "benötige", "erforderlich", "nötig", "notwendig", "pflicht", "zahlbar",
        "fällig", "bisogna", "devi", "trzeba", "musisz", "gerekiyor", "gerekli", "lazım",
    ]),
    (Fam::Hold, &[
        "held", "hold", "holding", "on hold", "stuck", "blocked", "retained", "seized",
        "detained", "retenido*", "bloquead*", "retido*", "preso", "presa", "retenu*",
        "bloqué*", "задержан*", "застрял*", "заблокирован*", "festgehalten", "blockiert",
        "zurückgehalten", "fermo", "bloccato", "bekliyor",
    ]),
    (Fam::Otherwise, &[
        "otherwise", "or else", "or it will", "sin eso", "si no", "sem isso", "sem ela",
        "senão", "sinon", "sans ça", "sans quoi", "иначе", "без этого", "а то", "sonst",
        "andernfalls", "altrimenti", "inaczej", "yoksa",
    ]),
    (Fam::Owed, &[
        "separately", "separate", "aparte", "à parte", "a parte", "por separado", "séparément",
        "à part", "отдельно", "separat", "additionally", "another", "didn t include",
        "wasn t included", "not included", "no se cobró", "não foi cobrado",
        "не была включена", "не включил*", "missing", "falta", "falta pagar", "manque",
        "il manque", "fehlt", "fehlt noch", "не хватает",
    ]),
    (Fam::OwedSeller, &[
        "from you", "de votre part", "von ihnen", "von dir", "de você", "de vc", "de ti",
        "с вас", "forgot", "forgotten", "olvidé", "me olvidé", "esqueci", "oublié",
        "j ai oublié", "забыл*", "vergessen", "dimenticato", "zapomniałem", "unuttum",
    ]),
    (Fam::OfficialPayee, &[
        "to the courier", "by the courier", "to the carrier", "by the carrier",
        "to the driver", "to the postman", "by customs", "to customs", "collected by",
        "charged by", "at the door", "at your door", "on delivery", "upon delivery",
        "at delivery", "when it arrives", "on arrival", "upon arrival", "post office",
        "al repartidor", "al transportista", "a la empresa de transporte", "a aduanas",
        "a la aduana", "al recibir", "al recibirlo", "a la entrega", "en la entrega",
        "ao carteiro", "aos correios", "pago à transportadora", "para a transportadora",
        "na entrega", "au transporteur", "au livreur", "à la douane", "à la livraison",
        "курьеру", "перевозчику", "таможне", "при получении", "на почте", "an den paketdienst",
        "an den zoll", "an den zusteller", "beim zoll", "bei lieferung", "bei zustellung",
        "bei der zustellung", "al corriere", "alla consegna", "alla dogana",
        "courier charges", "carrier charges", "already paid", "ya pagué", "já paguei", "déjà payé", "уже оплатил*", "bereits bezahlt", "schon bezahlt",
    ]),
    (Fam::Hedge, &[
        "may", "might", "possibly", "could", "can be", "sometimes", "depending", "if so",
        "puede*", "podría*", "posible*", "según", "pode", "podem", "poderá", "possível",
        "às vezes", "dependendo", "peut", "peuvent", "pourrait", "éventuel*", "parfois",
        "selon", "возможно", "может", "могут", "иногда", "в зависимости", "kann", "können",
        "eventuell", "möglicherweise", "unter umständen", "je nach", "eventuale", "può",
    ]),
    (Fam::DisputeAction, &[
        "close", "withdraw", "remove", "drop", "retract", "delete", "revoke", "take back",
        "take down", "cerrar", "cierra", "cierre", "retirar", "retira", "retire", "retiras",
        "quitar", "quita", "quite", "eliminar", "elimina", "elimine", "desistir", "desista",
        "fechar", "feche", "encerrar", "encerre", "encerra", "remover", "remova", "tirar",
        "tire", "fermer", "fermez", "ferme", "retirer", "retirez", "clôturer", "clôturez",
        "clôture", "clos", "supprimer", "supprimez", "supprime", "abandonner", "abandonnez",
        "закр*", "отозв*", "снимите", "снять", "сними", "убер*", "убрать", "удали*",
        "прекрат*", "schließ*", "zurückzieh*", "zurücknehm*", "lösch*", "loesch*", "aufheb*",
        "beend*", "abbrech*", "zurück", "chiudi", "chiudere", "ritira", "ritirare", "zamknij",
        "wycofaj", "kapat", "撤 销", "关 闭", "取 消",
    ]),
    (Fam::DisputeCancel, &[
        "cancel", "cancelar", "cancela", "cancele", "annuler", "annulez", "annule", "отмен*",
        "storn*", "anular", "anula", "annulla", "anuluj", "iptal",
    ]),
    (Fam::DisputeOpen, &[
        "open", "opening", "file", "escalate", "start", "abrir", "abras", "abra", "abre",
        "abrindo", "ouvrir", "ouvrez", "ouvre", "открыв*", "открыть", "открой*", "eröffn*",
        "öffne*", "einleit*", "aprire", "otwórz", "aç",
    ]),
    (Fam::DisputeObject, &[
        "dispute", "disputes", "claim", "claims", "case", "complaint", "chargeback",
        "return request", "refund request", "ticket", "protection claim", "disputa", "reclamo",
        "reclamación", "el caso", "queja", "denuncia", "reclamação", "queixa", "litígio",
        "o caso", "litige", "réclamation", "plainte", "dossier", "signalement", "спор*",
        "диспут*", "жалоб*", "претензи*", "рекламаци*", "streit*", "reklamation", "beschwerde",
        "konflikt", "disput*", "käuferschutz*", "fall", "controversia", "reclamo", "spór",
        "reklamacj*", "itiraz", "şikayet*", "纠 纷", "投 诉",
    ]),
    (Fam::Refund, &[
        "refund", "reimburse", "pay you back", "send the money back", "send you the money",
        "money back", "give back", "return the money", "return your money",
        "give you the money", "reembols*", "devolver el dinero", "devuelvo", "te devuelvo",
        "le devuelvo", "devolveré", "devolvo", "devolver", "te pago", "rembours*",
        "je vous rembourse", "je te rembourse", "rendre l argent", "верну*", "вернем",
        "вернём", "возврат*", "возмещ*", "erstatt*", "zurückzahl*", "geld zurück",
        "zurücküberweis*", "rimborso", "rimborsare", "zwrot*", "iade", "退 款",
    ]),
    (Fam::Threat, &[
        "negative feedback", "negative review", "bad review", "bad feedback",
        "negative rating", "one star", "leave you negative", "avaliação negativa",
        "avaliação ruim", "nota baixa", "mala reseña", "reseña negativa",
        "valoración negativa", "mala calificación", "calificación negativa", "mala valoración",
        "avis négatif", "mauvais avis", "mauvaise note", "note négative", "плохой отзыв",
        "отрицательный отзыв", "негативный отзыв", "плохую оценку", "negative bewertung",
        "schlechte bewertung", "schlechtes feedback", "recensione negativa", "negatywn*",
        "差 评", "report you", "police", "sue you", "my lawyer", "legal action", "te denuncio",
        "denunciarte", "policía", "abogado", "te denunciar", "polícia", "processar você",
        "advogado", "porter plainte", "la police", "avocat", "полици*", "в суд", "заявлени*",
        "anzeige", "polizei", "anwalt", "polizia", "avvocato", "policj*",
        "regret it", "you ll regret", "te arrepentirás", "vai se arrepender", "le regretter", "пожалеете", "пожалеешь", "bereuen",
    ]),
    (Fam::PleaObj, &[
        "account", "shop", "store", "tienda", "cuenta", "loja", "conta", "boutique", "compte",
        "магазин*", "аккаунт*", "konto", "negozio", "sklep",
    ]),
    (Fam::PleaVerb, &[
        "banned", "ban", "gets banned", "suspended", "closed", "blocked", "shut down",
        "cierran", "bloquean", "suspenden", "cerrar", "fechar", "fecham", "bloquear",
        "bloqueiam", "suspendu", "suspendue", "fermé", "fermée", "bloqué", "закроют",
        "заблокируют", "забанят", "gesperrt", "geschlossen", "sperren", "chiuso", "bloccato",
        "zablokowane", "kapanır",
    ]),
    (Fam::Incentive, &[
        "free", "for free", "gift", "bonus", "next purchase", "next order", "gratis", "regalo",
        "te regalo", "próxima compra", "brinde", "presente", "de graça", "cadeau", "offert",
        "prochain achat", "подарок", "подарю", "бесплатно", "geschenk", "kostenlos",
        "lege was bei", "pct on your next", "pct en tu próxima", "omaggio", "prezent",
    ]),
    (Fam::ConfirmVerb, &[
        "confirm", "confirma", "confirmas", "confirme", "confirmes", "confirmar", "confirmez",
        "confirmer", "confirmá", "подтверд*", "bestätigen", "bestätige", "bestätigst",
        "bestaetigen", "acknowledge", "valide", "validez", "valider", "conferma", "confermare",
        "confermi", "potwierdź", "potwierdzić", "onayla*", "确 认",
    ]),
    (Fam::CompleteVerb, &[
        "complete", "finish", "finalize", "finalise", "mark", "close", "completa", "completar",
        "finaliza", "finalice", "finalizar", "marque", "marcar", "cierra", "conclua",
        "concluir", "finalize", "terminez", "terminer", "finalisez", "finaliser", "marquez",
        "clôturez", "clôturer", "заверш*", "отмет*", "закрой*", "закройте", "закрыть",
        "abschließ*", "abschliess*", "markier*", "completare", "zakończ",
    ]),
    (Fam::Click, &[
        "click", "hit", "press", "tap", "select", "clica*", "clique*", "clic", "haz clic",
        "haga clic", "pulsa", "pulse", "presiona", "toca", "aperta", "aperte", "cliquez",
        "cliquer", "appuyez", "appuie", "нажм*", "кликн*", "klick*", "drück*", "tipp*",
        "clicca", "premi", "kliknij", "tıkla", "点",
    ]),
    (Fam::ReceivedState, &[
        "received", "delivered", "recibido", "recibida", "entregado", "recebido", "recebi",
        "entregue", "reçu*", "livré*", "получен*", "получил*", "доставлен*", "erhalten",
        "geliefert", "zugestellt", "ricevuto", "consegnato", "odebran*", "otrzyman*",
        "teslim alındı", "收 到",
        "recebeu", "recibió", "recibiste", "got it", "have it", "has arrived", "arrived", "llegó", "chegou", "est arrivé", "пришл*", "angekommen", "arrivato",
    ]),
    (Fam::ReceiptNoun, &[
        "receipt", "delivery", "arrival", "recepción", "entrega", "recebimento", "réception",
        "livraison", "получени*", "доставк*", "вручени*", "erhalt", "empfang", "lieferung",
        "ricezione", "consegna", "odbiór", "odbioru", "teslim*", "收 货",
    ]),
    (Fam::OrderObject, &[
        "order", "transaction", "deal", "purchase", "sale", "pedido", "orden", "compra",
        "venta", "encomenda", "commande", "achat", "vente", "заказ*", "сделк*", "покупк*",
        "bestellung", "kauf", "transaktion", "transacción", "transação", "ordine",
        "zamówienie", "sipariş", "订 单",
    ]),
    (Fam::ConfirmCompound, &[
        "release the payment", "release payment", "release the funds", "release my payment",
        "release my money", "release the money", "mark as received", "mark it as received",
        "mark as delivered", "mark it as delivered", "order received", "item received",
        "liberar el pago", "liberar o pagamento", "liberar o dinheiro", "libérer le paiement",
        "libérer l argent", "zahlung freigeben", "geld freigeben", "подтвердите получение",
        "подтвердить получение", "подтверди получение", "确 认 收 货",
    ]),
    (Fam::PreDelivery, &[
        "now", "right now", "already", "early", "in advance", "before it arrives",
        "before delivery", "before receiving", "before you receive", "before you get",
        "before", "almost there", "on its way", "on the way", "in transit",
        "so i can get paid", "to get paid", "get paid", "my payment", "my money", "right away",
        "immediately", "asap", "not arrived", "ahora", "ya", "antes", "cuanto antes",
        "de inmediato", "en camino", "por adelantado", "agora", "já", "imediatamente",
        "a caminho", "adiantado", "antecipadamente", "maintenant", "tout de suite", "avant",
        "déjà", "immédiatement", "en route", "d avance", "en chemin", "сейчас", "сразу",
        "срочно", "заранее", "до", "уже", "в пути", "не дожидаясь", "jetzt", "sofort", "vorab",
        "schon", "bevor", "vor", "unterwegs", "im voraus", "adesso", "ora", "subito", "già",
        "prima", "teraz", "już", "w drodze", "zanim", "şimdi", "hemen", "yolda", "现 在", "马 上",
        "preciso do dinheiro", "necesito el dinero", "besoin de l argent", "нужны деньги",
        "brauche das geld", "potrzebuję pieniędzy", "holding up",
        "not there yet", "even though", "even if", "hasn t arrived", "no ha llegado", "ainda não chegou", "pas encore arrivé", "ещё не пришл*", "еще не пришл*", "noch nicht da", "noch nicht angekommen",
    ]),
    (Fam::Pressure, &[
        "just", "simply", "simplesmente", "juste", "просто", "einfach", "trust me",
        "confía", "confia", "faites moi confiance", "поверь*", "vertrau mir",
    ]),
    (Fam::ConfirmOther, &[
        "address", "date", "time", "details", "size", "color", "colour", "phone", "number",
        "name", "dirección", "fecha", "hora", "datos", "talla", "endereço", "data", "horário",
        "dados", "tamanho", "adresse", "heure", "détails", "taille", "адрес*", "дат*", "время",
        "данные", "размер", "datum", "zeit", "daten", "größe", "if", "whether", "si", "se",
        "ob", "ли",
    ]),
    (Fam::FirstPerson, &[
        "i", "i ll", "i will", "i can", "i m going to", "i am going to", "we", "we ll",
        "we will", "yo", "voy a", "eu", "vou", "je", "je vais", "nous", "я", "мы", "ich",
        "ich werde", "wir",
    ]),
    (Fam::When, &[
        "when", "once", "after", "as soon as", "upon", "if", "cuando", "una vez", "al",
        "después de", "tan pronto", "quando", "assim que", "depois", "após", "logo que",
        "quand", "une fois", "dès", "après", "lorsque", "когда", "как только", "после", "wenn",
        "sobald", "nach", "nachdem", "whenever", "quando", "gdy", "kiedy",
    ]),
    (Fam::ReceiveVerb, &[
        "receive*", "get it", "got it", "arrive*", "have it", "recib*", "lleg*", "receb*",
        "cheg*", "recev*", "reçu", "recu", "arriv*", "получ*", "прид*", "придет", "прибуд*",
        "erhalt*", "bekomm*", "ankomm*", "ankunft", "angekommen", "da ist", "réception",
        "recepción", "recebimento", "erhalt", "receipt", "geprüft", "checked", "check it",
        "verifié", "vérifié", "проверите", "happy with it", "conforme", "tudo ok",
    ]),
    (Fam::Reported, &[
        "another seller", "other seller", "other sellers", "someone", "somebody", "a guy",
        "some guy", "a stranger", "strangers", "scammer*", "that s a scam", "it s a scam",
        "is a scam", "asked me to", "wanted me to", "told me to", "messaged me", "texted me",
        "i got a text", "i got a message", "report it", "report anyone", "report them",
        "otro vendedor", "alguien", "un desconocido", "me pidió", "me pidieron",
        "es una estafa", "outro vendedor", "alguém", "me pediu", "é golpe", "un autre vendeur",
        "quelqu un", "on m a demandé", "c est une arnaque", "другой продавец", "кто то",
        "просил меня", "это мошенничество", "это развод", "ein anderer verkäufer", "jemand",
        "hat mich gebeten", "das ist betrug",
        "never ask", "never asks", "will never ask", "nunca pide", "nunca pedirá", "nunca pede", "nunca vai pedir", "ne demande jamais", "ne vous demandera jamais", "никогда не просит", "никогда не попросит", "fragt nie", "niemals fragen", "wird nie",
    ]),
    (Fam::Neg, &[
        "not", "don t", "dont", "do not", "doesn t", "does not", "won t", "will not",
        "cannot", "can t", "cant", "shouldn t", "should not", "must not", "haven t", "hasn t",
        "didn t", "isn t", "aren t", "wasn t", "não", "nem", "ne", "pas",
        "не", "нельзя", "ни", "nicht", "kein*", "non",
        "değil", "不", "没", "别", "without", "sin", "sem", "sans", "без", "ohne", "senza",
        "bez",
    ]),
    (Fam::NegNo, &["no"]),
    (Fam::NegNever, &[
        "never", "nunca", "jamás", "jamais", "никогда", "niemals", "nie", "mai", "asla", "从 不",
    ]),
    (Fam::NoRush, &[
        "no rush", "no hurry", "take your time", "whenever you", "whenever you have",
        "sin prisa", "sin prisas", "no hay prisa", "tranquilo", "sem pressa", "sem pressão",
        "rien ne presse", "pas pressé", "prenez votre temps", "не торопитесь", "не спешите",
        "без спешки", "in ruhe", "keine eile", "lassen sie sich zeit", "con calma",
        "nessuna fretta", "bez pośpiechu",
    ]),
];

/// Second-level labels under which registrable domains have three labels.
#[rustfmt::skip]
pub(crate) const MULTI_PART_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "co.nz", "com.br",
    "net.br", "org.br", "com.mx", "com.ar", "com.co", "com.pe", "com.tr", "com.cn", "com.hk",
    "com.sg", "co.jp", "ne.jp", "co.kr", "co.in", "co.za", "com.ua", "com.ru", "msk.ru", "spb.ru",
    "com.es", "com.pt", "co.il", "com.my", "com.ph", "com.vn", "com.tw",
];

/// Generic top-level domains recognised in bare domains (all two-letter
/// ASCII ccTLDs are accepted as well).
#[rustfmt::skip]
pub(crate) const GENERIC_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io", "app", "dev", "xyz",
    "top", "site", "online", "shop", "store", "club", "live", "link", "click", "icu", "buzz",
    "vip", "win", "bid", "loan", "work", "support", "help", "services", "service", "tech", "cloud",
    "world", "today", "space", "website", "fun", "pro", "mobi", "name", "asia", "cam", "rest",
    "bar", "monster", "sbs", "cfd", "lol", "pw", "tk", "ml", "ga", "cf", "gq", "ly", "market",
    "delivery", "express", "page", "pay", "money", "secure", "security", "center", "email",
    "digital", "network", "group", "company", "global", "solutions", "agency", "blog", "news",
    "media", "one", "zone", "best", "life", "plus", "run", "guru", "ltd", "inc", "trade",
    "exchange", "finance", "bank", "host", "art", "design", "rocks", "social", "рф", "рус",
    "онлайн", "сайт",
];

/// Public URL shorteners: the real destination is hidden.
#[rustfmt::skip]
pub(crate) const SHORTENERS: &[&str] = &[
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "is.gd", "ow.ly", "cutt.ly", "rb.gy", "shorturl.at",
    "s.id", "t.ly", "buff.ly", "rebrand.ly", "tiny.cc", "v.gd", "shorte.st", "bl.ink", "clck.ru",
    "u.to", "qps.ru", "lnkd.in",
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
#[rustfmt::skip]
pub(crate) const PAYMENT_HOSTS: &[&str] = &[
    "paypal.me", "venmo.com", "cash.app", "revolut.me", "monzo.me", "wise.com", "paypal.com",
    "buymeacoffee.com", "ko-fi.com", "payoneer.com", "skrill.com", "westernunion.com",
    "moneygram.com", "zellepay.com", "pix.me", "lydia-app.com", "yoomoney.ru", "qiwi.com",
];

/// Mail providers accepted for "name at gmail" style addresses.
#[rustfmt::skip]
pub(crate) const MAIL_PROVIDERS: &[&str] = &[
    "gmail", "googlemail", "hotmail", "outlook", "live", "msn", "yahoo", "ymail", "aol", "icloud",
    "me", "mac", "proton", "protonmail", "pm", "yandex", "ya", "mail", "rambler", "bk", "inbox",
    "list", "gmx", "web", "t-online", "orange", "free", "sfr", "laposte", "wanadoo", "uol", "bol",
    "terra", "ig", "zoho", "tutanota", "ukr", "qq", "163",
];
