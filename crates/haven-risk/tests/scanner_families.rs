//! Scam families × languages: for each of twelve languages, one hand-written
//! scam message per family must be caught with the family's category, and
//! four hard negatives per language (messages that look risky on the
//! surface) must pass. The messages are written for this test only (not
//! taken from the corpus), so it measures how the scanner generalises.
//!
//! Every check evaluates the whole table and then fails once, listing every
//! miss, so a single run shows all of them.

use haven_risk::scanner::{
    Category, ScanResult, Scanner, ScannerConfig, Sender, Stage, Verdict, default_carrier_domains,
};

const LANGS: [&str; 12] = [
    "en", "es", "pt", "fr", "de", "ru", "it", "pl", "tr", "ar", "zh", "vi",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    // Scams.
    BankTransfer,
    CardDetails,
    Crypto,
    PaymentApp,
    MoneyTransfer,
    GiftCard,
    PaymentLink,
    Fee,
    Lookalike,
    Dispute,
    Review,
    // Hard negatives.
    MessengerQuestion,
    Refusal,
    OwnDetails,
    BenignRisky,
}

use Family::*;

const SCAM_FAMILIES: [Family; 11] = [
    BankTransfer,
    CardDetails,
    Crypto,
    PaymentApp,
    MoneyTransfer,
    GiftCard,
    PaymentLink,
    Fee,
    Lookalike,
    Dispute,
    Review,
];

const NEGATIVE_FAMILIES: [Family; 4] = [MessengerQuestion, Refusal, OwnDetails, BenignRisky];

impl Family {
    /// Categories any one of which counts as catching the family; `None`
    /// for hard negatives, which must be allowed. Review pressure has no
    /// category of its own: the scanner files it under dispute pressure.
    fn accepted(self) -> Option<&'static [Category]> {
        use Category::*;
        Some(match self {
            BankTransfer | CardDetails | Crypto | PaymentApp | MoneyTransfer | GiftCard => {
                &[OffPlatformPayment]
            }
            PaymentLink => &[OffPlatformPayment, PhishingLink],
            Fee => &[ExtraFee],
            Lookalike => &[PhishingLink],
            Dispute | Review => &[DisputePressure],
            MessengerQuestion | Refusal | OwnDetails | BenignRisky => return None,
        })
    }
}

use Sender::{Buyer, Seller};
use Stage::{AfterDelivery, AfterOrder, InDispute, PreOrder};

type Case = (&'static str, Family, Stage, Sender, &'static str);

#[rustfmt::skip]
const CASES: &[Case] = &[
    // ── English ─────────────────────────────────────────────────────────
    ("en", BankTransfer, PreOrder, Seller, "Rather than paying through the app, could you do a straight bank transfer? IBAN GB29 NWBK 6016 1331 9268 19, name Daniel Hughes. I'll post it the moment it clears."),
    ("en", CardDetails, PreOrder, Seller, "Checkout keeps failing on my end. Just send me the card number, expiry date and the three digits on the back and I'll put the charge through manually."),
    ("en", Crypto, PreOrder, Seller, "For this one I only take USDT on TRC20, wallet TgEYkbUrMWeWQLGsCmrG6dLaYyNoVKf58Z. Ships as soon as it lands."),
    ("en", PaymentApp, PreOrder, Seller, "Can you Venmo me instead? @jake-sells-stuff, mark it as friends so there's no fee and I'll knock $10 off."),
    ("en", MoneyTransfer, AfterOrder, Seller, "Cancel the order and send the money by W e s t e r n  U n i o n to my cousin in Lagos, I'll give you his name for the transfer."),
    ("en", GiftCard, PreOrder, Seller, "Easiest way to pay is Apple gift cards. Grab two $100 ones at any store and send me photos of the codes."),
    ("en", PaymentLink, PreOrder, Seller, "Haven checkout is glitching for me, just pay here instead: paypal.me/mikesdeals/245 and I'll mark it as shipped."),
    ("en", Fee, AfterOrder, Seller, "Bad news, the parcel got held at customs. There's a $38 clearance fee to pay before they release it, send it to me and I'll sort it out."),
    ("en", Lookalike, AfterOrder, Buyer, "Your payout is on hold. Please confirm your bank details at haven-market-refund.com within 24 hours or the order will be cancelled."),
    ("en", Dispute, InDispute, Seller, "Just close the dispute and I'll send you 20 bucks back myself, no need to drag Haven into this."),
    ("en", Review, AfterDelivery, Seller, "I'll refund you $15 if you change your review to 5 stars. If not, I'm reporting your account for fraud."),
    ("en", MessengerQuestion, PreOrder, Buyer, "Does this phone come with WhatsApp preinstalled, or has it been fully factory reset?"),
    ("en", Refusal, PreOrder, Buyer, "No thanks, I'm not comfortable with bank transfers. I'll only pay through Haven checkout."),
    ("en", OwnDetails, AfterOrder, Buyer, "For the courier: Emily Carter, 14 Rosewood Lane, Leeds LS6 2QT. My number is 07700 900123 in case they need to call."),
    ("en", BenignRisky, PreOrder, Seller, "Import VAT is already included in the price you see at Haven checkout, so there's nothing extra to pay the courier on delivery."),

    // ── Spanish ─────────────────────────────────────────────────────────
    ("es", BankTransfer, PreOrder, Seller, "Hazme una transferencia a mi cuenta y te ahorras la comisión de Haven: ES91 2100 0418 4502 0005 1332, titular Javier Ruiz."),
    ("es", CardDetails, PreOrder, Seller, "El pago por la app me da error. Pásame el número de la tarjeta, la fecha de caducidad y el CVV y te lo cobro yo con el datáfono."),
    ("es", Crypto, PreOrder, Seller, "Si me pagas en Bitcoin te hago un 10% de descuento. Mi dirección: bc1q5feryxhrdz9m6y09mr8wrerwzgj6f8ntxvhxyr"),
    ("es", PaymentApp, PreOrder, Seller, "Mejor hazme un Bizum de 85 € al seis cuatro cinco, doce, treinta y cuatro, cincuenta y seis y te lo envío hoy mismo."),
    ("es", MoneyTransfer, PreOrder, Seller, "Envíame el dinero por Western Union a nombre de Carlos Méndez, en Lima, y me pasas el código MTCN por aquí."),
    ("es", GiftCard, PreOrder, Seller, "Compra tarjetas de Google Play por 150 € en cualquier estanco y mándame los códigos, así lo cerramos ya."),
    ("es", PaymentLink, PreOrder, Seller, "Te paso el enlace de pago para hacerlo fuera de la app, es más rápido: https://pago-rapido.shop/checkout/88213"),
    ("es", Fee, AfterOrder, Seller, "El paquete volvió a la oficina y para el reenvío hay que pagar 6,50 € de gastos. Mándamelos y lo vuelvo a enviar."),
    ("es", Lookalike, AfterOrder, Buyer, "Ya te he pagado. Para recibir el dinero entra en https://haven-market.com.pago-seguro.io/cobro y pon los datos de tu tarjeta."),
    ("es", Dispute, InDispute, Seller, "Retira la reclamación y te devuelvo el dinero yo directamente. Si no, publico tu dirección en redes."),
    ("es", Review, AfterDelivery, Seller, "Si borras la reseña negativa te devuelvo 10 €, que esa opinión me está hundiendo las ventas."),
    ("es", MessengerQuestion, PreOrder, Buyer, "¿El móvil viene con WhatsApp ya instalado o hay que descargarlo?"),
    ("es", Refusal, PreOrder, Buyer, "No, gracias, no pago por Bizum. Si quieres vendérmelo, pago en la web de Haven como todo el mundo."),
    ("es", OwnDetails, AfterOrder, Buyer, "Para el repartidor: Lucía Gómez, Calle del Pez 8, 2º izquierda, 28004 Madrid. Teléfono 612 345 678."),
    ("es", BenignRisky, AfterOrder, Seller, "Ya está enviado, puedes seguirlo aquí: https://www.correos.es/es/es/herramientas/localizador?numero=PK123456789ES"),

    // ── Portuguese ──────────────────────────────────────────────────────
    ("pt", BankTransfer, PreOrder, Seller, "Transfere direto pra minha conta que sai mais barato: IBAN PT50 0002 0123 1234 5678 9015 4. Envio amanhã cedo."),
    ("pt", CardDetails, PreOrder, Buyer, "Pra te pagar eu preciso do número do seu cartão, a validade e o código de segurança que fica atrás, pode mandar?"),
    ("pt", Crypto, PreOrder, Seller, "Aceito pagamento em USDT na rede Polygon, é mais rápido que pelo Haven. Carteira: 0xd5a4fd12aabfe228f219e9cb0eb53f16947ccf25"),
    ("pt", PaymentApp, PreOrder, Seller, "Me faz um Pix de R$ 320 na chave 11 98765-4321 que eu já despacho hoje mesmo."),
    ("pt", MoneyTransfer, PreOrder, Seller, "Faz o envio pela MoneyGram em nome de João Ribeiro, Luanda, e me manda o número de referência aqui."),
    ("pt", GiftCard, PreOrder, Seller, "Pode pagar com cartão-presente da Steam, compra no valor certinho e me manda os códigos por aqui mesmo."),
    ("pt", PaymentLink, PreOrder, Seller, "Segue o link do Mercado Pago pra você pagar direto comigo, sem taxa da plataforma: mpago.la/1xZ7kQp"),
    ("pt", Fee, AfterOrder, Seller, "Pra enviar com seguro você precisa me pagar mais 15 reais de taxa de seguro à parte, senão não consigo despachar."),
    ("pt", Lookalike, InDispute, Seller, "Seu reembolso foi aprovado, é só confirmar os dados em havem-market.com/reembolso para receber hoje."),
    ("pt", Dispute, AfterDelivery, Seller, "Por favor não abre reclamação no Haven, te devolvo 30 reais direto. Se abrir, vou te denunciar por calúnia."),
    ("pt", Review, AfterDelivery, Seller, "Apaga essa avaliação agora ou vou expor suas mensagens e seu endereço no grupo de compradores."),
    ("pt", MessengerQuestion, PreOrder, Buyer, "O tablet roda o Telegram normalmente? É pra usar no trabalho."),
    ("pt", Refusal, PreOrder, Buyer, "Prefiro não fazer Pix fora do app, pago só pelo checkout do Haven, tá bom?"),
    ("pt", OwnDetails, AfterOrder, Buyer, "Dados pra entrega: Ana Souza, Rua das Flores 120, apto 32, São Paulo, CEP 01310-100. Celular (11) 98765-4321 pro entregador."),
    ("pt", BenignRisky, PreOrder, Seller, "O frete de R$ 19,90 já aparece no checkout do Haven, não precisa pagar nada por fora."),

    // ── French ──────────────────────────────────────────────────────────
    ("fr", BankTransfer, PreOrder, Seller, "Je préfère un virement bancaire, c'est plus simple que la plateforme. Mon IBAN : FR76 3000 6000 0112 3456 7890 189."),
    ("fr", CardDetails, PreOrder, Seller, "Envoyez-moi une photo recto verso de votre carte bancaire avec le cryptogramme, je valide le paiement de mon côté."),
    ("fr", Crypto, PreOrder, Seller, "Je préfère être payé en crypto : de l'USDC sur Ethereum ça me va, je vous envoie l'adresse du wallet."),
    ("fr", PaymentApp, PreOrder, Seller, "Envoyez par PayPal en « entre proches » sur mon adresse, comme ça pas de frais et je poste demain."),
    ("fr", MoneyTransfer, PreOrder, Seller, "Le plus simple : un transfert Ria au nom de ma sœur à Abidjan, je vous donne ses infos tout de suite."),
    ("fr", GiftCard, PreOrder, Seller, "Achetez des recharges PCS ou Transcash au bureau de tabac et envoyez-moi les codes, c'est le plus rapide."),
    ("fr", PaymentLink, PreOrder, Seller, "Réglez plutôt via ce lien SumUp, c'est instantané et sans commission : pay.sumup.com/b2c/QK8R2M4P"),
    ("fr", Fee, AfterOrder, Seller, "Le prix affiché n'incluait pas la TVA, il faut encore me verser 14 € de taxe avant que j'expédie."),
    ("fr", Lookalike, AfterOrder, Seller, "Validez la livraison sur haven-market-livraison . com / suivi sinon le colis repart chez l'expéditeur."),
    ("fr", Dispute, InDispute, Seller, "Annulez le litige s'il vous plaît, sinon mon compte sera suspendu. Je vous rembourse 15 € de ma poche."),
    ("fr", Review, AfterDelivery, Seller, "Modifiez votre avis en 5 étoiles et je vous rembourse les frais de port."),
    ("fr", MessengerQuestion, PreOrder, Buyer, "Est-ce que la montre affiche les notifications WhatsApp et Messenger ?"),
    ("fr", Refusal, PreOrder, Buyer, "Non merci, je ne paie pas en dehors de Haven. Je passe par le paiement du site, point."),
    ("fr", OwnDetails, AfterOrder, Buyer, "Adresse de livraison : Claire Martin, 12 rue des Lilas, 69003 Lyon. Le livreur peut m'appeler au 06 12 34 56 78."),
    ("fr", BenignRisky, AfterOrder, Seller, "Colis déposé ! Le suivi est sur laposte.fr avec le numéro 6A12345678901."),

    // ── German ──────────────────────────────────────────────────────────
    ("de", BankTransfer, PreOrder, Seller, "Überweisen Sie den Betrag bitte direkt auf mein Konto, IBAN ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００, dann sparen wir uns die Gebühren."),
    ("de", CardDetails, PreOrder, Seller, "Geben Sie mir bitte Kartennummer, Ablaufdatum und Prüfziffer, dann buche ich den Betrag direkt ab – geht schneller als über die Plattform."),
    ("de", Crypto, PreOrder, Seller, "Zahl einfach in Tether (USDT) auf meine Binance-Wallet, dann spar ich mir die Gebühren. Adresse schick ich dir gleich."),
    ("de", PaymentApp, PreOrder, Seller, "Schick das Geld am besten per PayPal Freunde & Familie an meine Mailadresse, dann versende ich noch heute."),
    ("de", MoneyTransfer, PreOrder, Seller, "Bitte per MoneyGram an meinen Bruder in Istanbul senden, die Referenznummer schreiben Sie mir dann hier rein."),
    ("de", GiftCard, PreOrder, Seller, "Kaufen Sie einfach Paysafecards im Wert von 200 € an der Tankstelle und schicken Sie mir die PINs."),
    ("de", PaymentLink, PreOrder, Seller, "Hier der Zahlungslink, geht schneller als über Haven: buy.stripe.com/5kA3cV9xQ2"),
    ("de", Fee, PreOrder, Buyer, "Ich habe schon bezahlt, aber Haven gibt das Geld erst frei, wenn Sie eine Freigabegebühr von 25 € überweisen. Die bekommen Sie danach zurück."),
    ("de", Lookalike, PreOrder, Buyer, "Die Zahlung ist reserviert. Bestätigen Sie den Empfang unter https://xn--hven-market-yij.com/auszahlung, sonst verfällt sie."),
    ("de", Dispute, InDispute, Seller, "Ziehen Sie den Fall bei Haven zurück, dann bekommen Sie 30 € von mir. Sonst hören Sie von meinem Anwalt."),
    ("de", Review, AfterDelivery, Seller, "Wenn Sie die Bewertung löschen, überweise ich Ihnen 20 € zurück – sonst zeige ich Sie wegen Verleumdung an."),
    ("de", MessengerQuestion, PreOrder, Buyer, "Kann man auf dem Tablet Signal und Telegram installieren, oder ist das ein eingeschränktes Firmenmodell?"),
    ("de", Refusal, PreOrder, Buyer, "Nein danke, ich zahle nur über die Haven-Kasse, nicht per PayPal oder Überweisung."),
    ("de", OwnDetails, AfterOrder, Buyer, "Lieferadresse: Jonas Weber, Lindenstraße 5, 10969 Berlin, 2. OG links. Für den Kurier: 0151 23456789."),
    ("de", BenignRisky, PreOrder, Seller, "Die Versandkosten von 5,99 € werden beim Bezahlen auf Haven automatisch angezeigt, mehr kommt nicht dazu."),

    // ── Russian ─────────────────────────────────────────────────────────
    ("ru", BankTransfer, PreOrder, Seller, "Оплатите переводом на карту Сбера 2202 2061 4589 3317, получатель Андрей Н. Как придут деньги — сразу отправлю."),
    ("ru", CardDetails, PreOrder, Buyer, "Чтобы получить оплату, пришлите номер карты, срок действия и три цифры на обороте, я переведу сразу."),
    ("ru", Crypto, PreOrder, Seller, "Оплата только в крипте: USDT TRC-20, адрес кошелька скину, после поступления сразу отправлю."),
    ("ru", PaymentApp, PreOrder, Seller, "Переведите по СБП на Т-Банк по номеру +7 девятьсот шестнадцать 555 23 41, так быстрее и без комиссии."),
    ("ru", MoneyTransfer, PreOrder, Seller, "Переведите через Золотую Корону на имя Ивана Петрова, Бишкек, и пришлите номер перевода."),
    ("ru", GiftCard, PreOrder, Seller, "Оплатите картами Steam на 5000 рублей, коды скиньте сюда в чат."),
    ("ru", PaymentLink, PreOrder, Seller, "Оплатите по ссылке yoomoney.ru/to/4100118765432, это быстрее, чем через площадку."),
    ("ru", Fee, AfterOrder, Seller, "Для отправки нужна усиленная переупаковка, доплатите мне 400 рублей отдельно, иначе курьер не примет."),
    ("ru", Lookalike, PreOrder, Buyer, "Чтобы получить деньги за товар, подтвердите карту по ссылке havеn-market.com/payout/81723 — это безопасная сделка Haven."),
    ("ru", Dispute, InDispute, Seller, "Закройте спор, я верну вам половину суммы. Если нет — ваш адрес и телефон появятся в интернете."),
    ("ru", Review, AfterDelivery, Seller, "Удалите отзыв, и я верну 500 рублей, иначе напишу на вас жалобу."),
    ("ru", MessengerQuestion, PreOrder, Buyer, "Телеграм на этом телефоне нормально работает? Прошивка не китайская?"),
    ("ru", Refusal, PreOrder, Buyer, "Нет, переводить на карту не буду. Оплачу только через Haven, как положено."),
    ("ru", OwnDetails, AfterOrder, Buyer, "Для курьера: Смирнова Ольга, ул. Ленина 15, кв. 42, Казань. Телефон +7 912 345-67-89, позвоните за час."),
    ("ru", BenignRisky, AfterOrder, Seller, "Отправил, трек-номер можно посмотреть на pochta.ru или в разделе заказа на haven-market.com."),

    // ── Italian ─────────────────────────────────────────────────────────
    ("it", BankTransfer, PreOrder, Seller, "Fammi un bonifico sull'IBAN IT60 X054 2811 1010 0000 0123 456 intestato a Luca R., così evitiamo le commissioni."),
    ("it", CardDetails, PreOrder, Buyer, "Per accreditarti il pagamento mi servono numero della carta, scadenza e CVV, me li scrivi qui?"),
    ("it", Crypto, PreOrder, Seller, "Se mi mandi ETH invece di pagare sulla piattaforma ti faccio 20 euro di sconto, indirizzo 0xd5a4fd12aabfe228f219e9cb0eb53f16947ccf25"),
    ("it", PaymentApp, PreOrder, Seller, "Pagami con Satispay al 347 987 6543 che è immediato, e spedisco oggi stesso."),
    ("it", MoneyTransfer, PreOrder, Seller, "Mandami i soldi con Western Union a nome di mia moglie, poi mi scrivi il codice MTCN."),
    ("it", GiftCard, PreOrder, Seller, "Compra due buoni regalo Amazon da 50 euro e mandami i codici qui in chat."),
    ("it", PaymentLink, PreOrder, Seller, "Ti mando il link PayPal così paghi direttamente a me: paypal.me/giulia_store/120"),
    ("it", Fee, AfterOrder, Seller, "Il pacco è in giacenza all'ufficio postale, servono 7,90 € di spese di giacenza: mandameli e lo faccio sbloccare."),
    ("it", Lookalike, AfterOrder, Seller, "Il corriere non ha trovato nessuno, riprogramma la consegna su dhl-riconsegna-it.com entro oggi."),
    ("it", Dispute, InDispute, Seller, "Chiudi la contestazione e ti rimborso 25 euro, altrimenti ti denuncio per truffa."),
    ("it", Review, AfterDelivery, Seller, "Togli la recensione negativa e ti restituisco 10 euro."),
    ("it", MessengerQuestion, PreOrder, Buyer, "Con questo modello le notifiche di WhatsApp arrivano anche a schermo spento?"),
    ("it", Refusal, PreOrder, Buyer, "No grazie, non esco dalla piattaforma: pago solo tramite il checkout di Haven."),
    ("it", OwnDetails, AfterOrder, Buyer, "Per il corriere: Marco Bianchi, Via Garibaldi 23, 20121 Milano, citofono Bianchi. Cell. 347 123 4567."),
    ("it", BenignRisky, InDispute, Buyer, "Ho aperto una contestazione perché il pacco è arrivato vuoto, aspetto la decisione di Haven."),

    // ── Polish ──────────────────────────────────────────────────────────
    ("pl", BankTransfer, PreOrder, Seller, "Zrób przelew na konto 61 1090 1014 0000 0712 1981 2874, tytułem „telefon”, i wysyłam jeszcze dziś."),
    ("pl", CardDetails, PreOrder, Buyer, "Podaj numer karty, datę ważności i kod CVC, to od razu przeleję ci pieniądze za towar."),
    ("pl", Crypto, PreOrder, Seller, "Przyjmuję tylko krypto – wyślij 150 U S D T na mój portfel, adres podam po potwierdzeniu."),
    ("pl", PaymentApp, PreOrder, Seller, "Zrób mi przelew na telefon BLIK-iem na numer 512 346 789, wtedy wysyłam od razu."),
    ("pl", MoneyTransfer, PreOrder, Seller, "Najprościej przez Western Union, wyślę ci dane odbiorcy w Londynie."),
    ("pl", GiftCard, PreOrder, Seller, "Zapłać kodami Paysafecard, kupisz je w każdym kiosku, wyślij mi same numery PIN."),
    ("pl", PaymentLink, PreOrder, Seller, "Wyślij kasę przez ten link: revolut.me/tomek88 – szybciej niż przez Haven."),
    ("pl", Fee, PreOrder, Buyer, "Żeby odebrać płatność, musisz najpierw opłacić aktywację konta sprzedawcy, 49 zł. Potem pieniądze wpłyną razem ze zwrotem."),
    ("pl", Lookalike, PreOrder, Buyer, "Wysłałem płatność, odbierz ją tutaj: haven-rnarket.com/odbior/5521 – musisz tylko podać dane karty."),
    ("pl", Dispute, InDispute, Seller, "Anuluj spór, a oddam ci 50 zł, bo inaczej zablokują mi konto."),
    ("pl", Review, AfterDelivery, Seller, "Zmień opinię na pozytywną, to zwrócę ci 30 zł za wysyłkę."),
    ("pl", MessengerQuestion, PreOrder, Buyer, "Czy ten zegarek pokazuje powiadomienia z Messengera i WhatsAppa?"),
    ("pl", Refusal, PreOrder, Buyer, "Nie, dziękuję, nie będę płacić BLIK-iem poza serwisem, tylko przez Haven."),
    ("pl", OwnDetails, AfterOrder, Buyer, "Dane do wysyłki: Anna Kowalska, ul. Długa 7/3, 00-238 Warszawa, tel. 501 234 567 dla kuriera."),
    ("pl", BenignRisky, AfterOrder, Seller, "Nie trzeba dopłacać za pobranie, wszystko zapłacone przez Haven. Kurier DHL będzie jutro."),

    // ── Turkish ─────────────────────────────────────────────────────────
    ("tr", BankTransfer, PreOrder, Seller, "Ödemeyi Haven yerine havale/EFT ile yapın, IBAN: TR33 0006 1005 1978 6457 8413 26, alıcı Mehmet K."),
    ("tr", CardDetails, PreOrder, Buyer, "Ödemeyi direkt kartına yapacağım, kart numaranı, son kullanma tarihini ve arkadaki 3 haneli kodu yazar mısın?"),
    ("tr", Crypto, PreOrder, Seller, "Kripto ile öderseniz daha hızlı olur, Binance'teki USDT adresim: TgEYkbUrMWeWQLGsCmrG6dLaYyNoVKf58Z"),
    ("tr", PaymentApp, PreOrder, Seller, "Papara numaram 1234 567 890, oraya gönderin, hemen kargolarım."),
    ("tr", MoneyTransfer, PreOrder, Seller, "Parayı Ria ile yurt dışındaki kardeşime gönderin, referans kodunu buraya yazın."),
    ("tr", GiftCard, PreOrder, Seller, "Google Play kartı alıp kodlarını atarsanız hemen gönderirim."),
    ("tr", PaymentLink, PreOrder, Seller, "Shopier linkimden ödeyebilirsiniz, komisyon da yok: shopier.com/4471928"),
    ("tr", Fee, AfterOrder, Seller, "Telefonun kilidini açmak için 300 TL açma ücreti ödemeniz gerekiyor, ödeyince şifreyi gönderiyorum."),
    ("tr", Lookalike, PreOrder, Buyer, "Ödemeniz onaylandı, parayı çekmek için https://haven-market.com-odeme.site/onay adresine girin."),
    ("tr", Dispute, InDispute, Seller, "İtirazı geri çekin lütfen, size 200 TL iade ederim, yoksa hesabım kapanacak."),
    ("tr", Review, AfterDelivery, Seller, "Yorumu silerseniz 100 TL iade yaparım, silmezseniz sizi şikayet ederim."),
    ("tr", MessengerQuestion, PreOrder, Buyer, "Bu telefonda WhatsApp yedeği geri yüklenebiliyor mu?"),
    ("tr", Refusal, PreOrder, Buyer, "Kusura bakmayın, Papara ile ödeme yapmam. Sadece Haven üzerinden öderim."),
    ("tr", OwnDetails, AfterOrder, Buyer, "Teslimat için: Ayşe Yılmaz, Bağdat Cad. No: 45 D: 6, Kadıköy/İstanbul. Kurye için telefonum 0532 123 45 67."),
    ("tr", BenignRisky, AfterDelivery, Seller, "İadeniz Haven üzerinden yapıldı, 3-5 iş günü içinde kartınıza yansır."),

    // ── Arabic ──────────────────────────────────────────────────────────
    ("ar", BankTransfer, PreOrder, Seller, "حوّل المبلغ على حسابي في مصرف الراجحي، الآيبان SA03 8000 0000 6080 1016 7519، وأرسل لي صورة الإيصال."),
    ("ar", CardDetails, PreOrder, Buyer, "أرسل لي رقم البطاقة وتاريخ الانتهاء والرمز اللي ورا البطاقة عشان أحوّل لك المبلغ مباشرة."),
    ("ar", Crypto, PreOrder, Seller, "ادفع بعملة USDT على شبكة ترون وأرسل لي صورة التحويل، وأشحن لك فوراً."),
    ("ar", PaymentApp, PreOrder, Seller, "حوّل المبلغ فودافون كاش على رقم ٠١٠٢٣٤٥٦٧٨٩ وأنا أشحن النهارده."),
    ("ar", MoneyTransfer, PreOrder, Seller, "أرسل المبلغ عن طريق ويسترن يونيون باسم أخي في دبي وابعت لي رقم الحوالة."),
    ("ar", GiftCard, PreOrder, Seller, "اشترِ بطاقات آيتونز بقيمة ٢٠٠ دولار وأرسل لي صور الأكواد."),
    ("ar", PaymentLink, PreOrder, Seller, "ادفع من هذا الرابط مباشرة بدل المنصة: paypal.me/ahmad.store"),
    ("ar", Fee, AfterOrder, Seller, "الطلب موقوف بسبب فرق العملة، لازم تدفع ٤٠ ريال رسوم تحويل عملة عشان يتم الشحن."),
    ("ar", Lookalike, PreOrder, Buyer, "تم الدفع، لاستلام المبلغ ادخل على www.haven-market-support.net وأكمل بيانات البطاقة."),
    ("ar", Dispute, InDispute, Seller, "اقفل النزاع وأنا أرجع لك نص المبلغ، وإلا راح أنشر رقمك وعنوانك."),
    ("ar", Review, AfterDelivery, Seller, "امسح التقييم السلبي وأنا أرجع لك ٥٠ ريال."),
    ("ar", MessengerQuestion, PreOrder, Buyer, "هل الجوال يدعم واتساب للأعمال؟ أحتاجه للمحل."),
    ("ar", Refusal, PreOrder, Buyer, "لا شكراً، ما أدفع برا المنصة. الدفع بيكون عن طريق Haven بس."),
    ("ar", OwnDetails, AfterOrder, Buyer, "بيانات التوصيل: محمد العتيبي، حي النرجس، شارع ١٥، الرياض. رقم الجوال للمندوب ٠٥٥١٢٣٤٥٦٧"),
    ("ar", BenignRisky, PreOrder, Seller, "رسوم الشحن ٢٥ ريال تظهر لك عند الدفع في Haven، وما في أي رسوم إضافية."),

    // ── Chinese (simplified) ────────────────────────────────────────────
    ("zh", BankTransfer, PreOrder, Seller, "别在平台付了，直接转到我的工商银行卡 ６２２２ ０２１２ ３４５６ ７８９０ １２３，户名李强。"),
    ("zh", CardDetails, PreOrder, Seller, "平台付款一直失败，你把银行卡号、有效期和背面三位安全码发我，我这边直接扣款。"),
    ("zh", Crypto, PreOrder, Seller, "可以用USDT付款吗？走TRC20，我把钱包地址发你，到账马上发货。"),
    ("zh", PaymentApp, PreOrder, Seller, "支付宝直接转我就行，账号138 1234 5678，比平台快，还省手续费。"),
    ("zh", MoneyTransfer, PreOrder, Seller, "请通过西联汇款把钱汇给我在马来西亚的表哥，汇完把监控号码发给我。"),
    ("zh", GiftCard, PreOrder, Seller, "你去买几张苹果充值卡，把卡密发给我就算付款了。"),
    ("zh", PaymentLink, PreOrder, Seller, "平台付款太慢了，用这个链接付：pay.haven-checkout.xyz/o/77120"),
    ("zh", Fee, AfterOrder, Seller, "你的订单被系统冻结了，需要先交200元解冻费，之后会连同货款一起退给你。"),
    ("zh", Lookalike, InDispute, Seller, "退款已经批准，请登录 haven-market.cc 填写银行卡信息领取。"),
    ("zh", Dispute, InDispute, Seller, "你先把纠纷撤销，我私下退你50块，不然我的店铺就要被封了。"),
    ("zh", Review, AfterDelivery, Seller, "你把差评删了，我返你二十块红包。"),
    ("zh", MessengerQuestion, PreOrder, Buyer, "这款手机能正常用微信和支付宝吗？是国行版吗？"),
    ("zh", Refusal, PreOrder, Buyer, "不用了，我不加微信，也不私下转账，就在Haven上下单付款。"),
    ("zh", OwnDetails, AfterOrder, Buyer, "收货信息：王芳，上海市浦东新区世纪大道100号3栋502室，电话13812345678，快递到了请打电话。"),
    ("zh", BenignRisky, AfterOrder, Seller, "已发货，物流可以在订单页查看：https://haven-market.com/orders/58231/tracking"),

    // ── Vietnamese ──────────────────────────────────────────────────────
    ("vi", BankTransfer, PreOrder, Seller, "Bạn chuyển khoản thẳng vào tài khoản Vietcombank 0071 0004 56789, chủ TK Tran Van Hung, để khỏi mất phí sàn nhé."),
    ("vi", CardDetails, PreOrder, Buyer, "Bạn gửi mình số thẻ, ngày hết hạn và mã CVV phía sau để mình chuyển tiền cọc trước nhé."),
    ("vi", Crypto, PreOrder, Seller, "Anh chuyển USDT qua ví Binance cho em nhé, em gửi địa chỉ ví ngay, nhận được là em gửi hàng."),
    ("vi", PaymentApp, PreOrder, Seller, "Chuyển qua MoMo số 0912 345 678 giúp em, em bớt thêm 50k."),
    ("vi", MoneyTransfer, PreOrder, Seller, "Bạn gửi tiền qua Western Union cho anh trai mình ở Đài Loan, gửi xong báo mã MTCN nhé."),
    ("vi", GiftCard, PreOrder, Seller, "Bạn mua thẻ cào Viettel mệnh giá 500k rồi gửi mã thẻ với số seri cho mình là được."),
    ("vi", PaymentLink, PreOrder, Seller, "Bạn thanh toán qua link này cho nhanh, khỏi qua sàn: me.momo.vn/shopgiare88"),
    ("vi", Fee, AfterOrder, Seller, "Đơn hàng bị giữ ở hải quan, bạn chuyển thêm 150k phí thông quan để bên vận chuyển giao nhé."),
    ("vi", Lookalike, AfterOrder, Seller, "Đơn của bạn đang bị tạm giữ, xác nhận tại https://haven-market.com@xacminh-donhang.top/ để được giao."),
    ("vi", Dispute, InDispute, Seller, "Bạn hủy khiếu nại đi, mình hoàn lại 100k, không thì mình báo công an là bạn lừa đảo."),
    ("vi", Review, AfterDelivery, Seller, "Bạn sửa đánh giá thành 5 sao giúp shop, shop hoàn lại 50k nhé."),
    ("vi", MessengerQuestion, PreOrder, Buyer, "Máy này cài được Zalo không shop? Mình mua cho mẹ dùng."),
    ("vi", Refusal, PreOrder, Buyer, "Thôi bạn ơi, mình không chuyển khoản ngoài đâu, mình chỉ thanh toán qua Haven thôi."),
    ("vi", OwnDetails, AfterOrder, Buyer, "Địa chỉ nhận hàng: Nguyễn Thị Lan, 25 Lê Lợi, Quận 1, TP.HCM. SĐT 0903 123 456, shipper gọi trước giúp mình."),
    ("vi", BenignRisky, AfterDelivery, Buyer, "Mình nhận được tiền hoàn qua Haven rồi, cảm ơn shop đã hỗ trợ nhé."),
];

fn scanner() -> Scanner {
    Scanner::new(ScannerConfig {
        brand: "Haven".into(),
        own_domains: vec!["haven-market.com".into(), "haven.example".into()],
        carrier_domains: default_carrier_domains(),
    })
}

fn describe(case: &Case, r: &ScanResult) -> String {
    let (lang, family, stage, from, text) = case;
    format!(
        "  [{lang} {family:?} {stage:?} {from:?}] got {:?} {:?}\n    text: {text}\n    reasons: {:?}",
        r.verdict, r.categories, r.reasons
    )
}

/// Prints the failures grouped by language and by family, then panics
/// with the full list.
fn fail_with(kind: &str, total: usize, failures: &[(&Case, ScanResult)]) {
    if failures.is_empty() {
        eprintln!("{kind}: all {total} cases pass");
        return;
    }
    let per_lang: Vec<String> = LANGS
        .iter()
        .map(|l| (l, failures.iter().filter(|(c, _)| c.0 == *l).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{l}={n}"))
        .collect();
    let families: Vec<Family> = CASES.iter().map(|c| c.1).fold(Vec::new(), |mut v, f| {
        if !v.contains(&f) {
            v.push(f);
        }
        v
    });
    let per_family: Vec<String> = families
        .iter()
        .map(|f| (f, failures.iter().filter(|(c, _)| c.1 == *f).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(f, n)| format!("{f:?}={n}"))
        .collect();
    let list: Vec<String> = failures.iter().map(|(c, r)| describe(c, r)).collect();
    panic!(
        "{kind}: {} of {total} cases fail\n  per language: {}\n  per family: {}\n{}",
        failures.len(),
        per_lang.join(" "),
        per_family.join(" "),
        list.join("\n")
    );
}

#[test]
fn scams_are_caught_with_their_category() {
    let scanner = scanner();
    let scams: Vec<&Case> = CASES.iter().filter(|c| c.1.accepted().is_some()).collect();
    let failures: Vec<(&Case, ScanResult)> = scams
        .iter()
        .map(|c| (*c, scanner.scan(c.4, c.2, c.3)))
        .filter(|(c, r)| {
            let accepted = c.1.accepted().unwrap_or(&[]);
            !accepted
                .iter()
                .any(|cat| r.categories.contains(cat) && r.verdict >= cat.verdict())
        })
        .collect();
    fail_with("scams", scams.len(), &failures);
}

#[test]
fn hard_negatives_are_allowed() {
    let scanner = scanner();
    let negatives: Vec<&Case> = CASES.iter().filter(|c| c.1.accepted().is_none()).collect();
    let failures: Vec<(&Case, ScanResult)> = negatives
        .iter()
        .map(|c| (*c, scanner.scan(c.4, c.2, c.3)))
        .filter(|(_, r)| r.verdict != Verdict::Allow)
        .collect();
    fail_with("hard negatives", negatives.len(), &failures);
}

#[test]
fn every_language_has_every_family_once() {
    let mut problems = Vec::new();
    for lang in LANGS {
        for family in SCAM_FAMILIES.iter().chain(&NEGATIVE_FAMILIES) {
            let n = CASES
                .iter()
                .filter(|c| c.0 == lang && c.1 == *family)
                .count();
            if n != 1 {
                problems.push(format!("{lang} {family:?}: {n} cases"));
            }
        }
    }
    for c in CASES {
        if !LANGS.contains(&c.0) {
            problems.push(format!("unknown language {:?}: {}", c.0, c.4));
        }
        if c.4.trim().is_empty() {
            problems.push(format!("{} {:?}: empty text", c.0, c.1));
        }
    }
    let expected = LANGS.len() * (SCAM_FAMILIES.len() + NEGATIVE_FAMILIES.len());
    if CASES.len() != expected {
        problems.push(format!("{} cases, expected {expected}", CASES.len()));
    }
    assert!(
        problems.is_empty(),
        "table incomplete:\n{}",
        problems.join("\n")
    );
}
