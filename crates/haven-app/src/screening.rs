//! The message scanner on every channel, not only chat: a dispute's
//! description, a seller's counter-offer message, rejection or contest
//! explanation, a statement or file note added to the evidence log, and
//! (later) review replies. The verdicts and their consequences are chat's:
//! - `allow`: the text goes through;
//! - `warn`: it goes through, the reader sees why to be careful, and it
//!   counts against its writer;
//! - `block`: it is not written anywhere the other side reads; the writer
//!   is told why in words written for them, it counts against them, and an
//!   agent sees it (text included) in the console's flags.

use haven_domain::ids::FlagId;
use haven_domain::messaging::SecurityFlag;
use haven_domain::wire_name;
use haven_risk::scanner::{Sender, Stage, Verdict};
use haven_store::{Changeset, Conflict, StoreError, UserWrite};

use crate::{Actor, App, AppError, AppResult, ErrorDetails, ErrorKind};

/// What a reader is told about a warned text, per category.
pub fn category_warning(category: &str) -> &'static str {
    match category {
        "off_platform_contact" => {
            "This message asks you to talk outside Haven. Chats outside Haven are not covered by buyer protection, and it is where most scams start. Keep the conversation here."
        }
        "off_platform_payment" => {
            "This message asks you to pay outside Haven. Payments outside Haven are not protected and cannot be refunded by us. Only pay at Haven's checkout."
        }
        "phishing_link" => {
            "This message has a link that may imitate Haven or hide where it goes. Never log in or pay through a link in a message."
        }
        "extra_fee" => {
            "Haven never asks for customs, release or delivery fees in chat. Real duties are shown at checkout or collected by the carrier."
        }
        "dispute_pressure" => {
            "You never have to close or withdraw a dispute to get a refund. Refunds inside Haven are guaranteed; promises outside it are not."
        }
        "confirm_receipt_pressure" => {
            "Only confirm receipt once the item has arrived and is as described: confirming releases your payment to the seller."
        }
        _ => "Be careful with this message: it looks like a common scam.",
    }
}

/// What a writer is told when Haven does not deliver their text.
pub fn category_refusal(category: &str) -> &'static str {
    match category {
        "off_platform_contact" => {
            "It asks to continue outside Haven. Keep the conversation on Haven, where both of you are protected."
        }
        "off_platform_payment" => {
            "It asks for a payment outside Haven's checkout. Every payment has to go through checkout, so it stays protected."
        }
        "phishing_link" => {
            "It has a link that looks like Haven's or a carrier's without being it. Share links to haven itself or to the carrier's own site only."
        }
        "extra_fee" => {
            "It asks the buyer for an extra fee. On Haven every cost is part of checkout; a fee is never owed outside it."
        }
        "dispute_pressure" => {
            "It asks the buyer to close or drop a dispute or review in exchange for something, or under pressure. Offer a refund inside the dispute instead."
        }
        "confirm_receipt_pressure" => {
            "It pushes the buyer to confirm receipt before the item has arrived. The payment is released when the buyer has the item."
        }
        _ => "It looks like a common scam message.",
    }
}

/// Where a screened text was written, for the console.
#[derive(Debug, Clone, Copy)]
pub enum Channel<'a> {
    Dispute(&'a haven_domain::dispute::Dispute),
}

impl Channel<'_> {
    fn describe(&self) -> String {
        match self {
            Channel::Dispute(d) => format!("dispute {} (order {})", d.id, d.order_id),
        }
    }

    fn subject(&self) -> String {
        match self {
            Channel::Dispute(d) => d.id.to_string(),
        }
    }
}

impl App {
    /// Scan a text one party writes to the other outside chat. Returns the
    /// categories to warn the reader about (none for a clean text); refuses
    /// a blocked text. A warned or blocked text counts against its writer.
    pub(crate) async fn screen_text(
        &self,
        actor: &Actor,
        sender: Sender,
        stage: Stage,
        channel: Channel<'_>,
        text: &str,
    ) -> AppResult<Vec<String>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let scan = self.scanner().await?.scan(text, stage, sender);
        let categories: Vec<String> = scan.categories.iter().map(wire_name).collect();
        if scan.verdict == Verdict::Allow {
            return Ok(Vec::new());
        }
        let blocked = scan.verdict == Verdict::Block;
        let flag = blocked.then(|| SecurityFlag {
            id: FlagId::new(),
            kind: "scam_text_blocked".into(),
            subject: channel.subject(),
            detail: format!(
                "{} tried to send in {}: {} — \"{}\"",
                actor.user.display_name,
                channel.describe(),
                categories.join(", "),
                text.chars().take(500).collect::<String>()
            ),
            created_at: self.now(),
        });
        self.count_offence_of(actor, flag).await?;
        if !blocked {
            return Ok(categories);
        }
        let reasons: Vec<String> = categories
            .iter()
            .map(|c| category_refusal(c).to_string())
            .collect();
        Err(AppError::new(
            ErrorKind::MessageBlocked,
            format!("Haven did not send this. {}", reasons.join(" ")),
        )
        .with_details(ErrorDetails {
            categories,
            reasons,
            ..Default::default()
        }))
    }

    /// One more offence on the writer's record (a strike candidate), with
    /// a flag for the console when the text was blocked.
    async fn count_offence_of(&self, actor: &Actor, flag: Option<SecurityFlag>) -> AppResult<()> {
        for _ in 0..crate::MAX_RETRIES {
            let mut user = self
                .store
                .user(actor.id())
                .await?
                .ok_or_else(|| AppError::not_found("user"))?;
            let expected_version = user.version;
            user.scam_offences += 1;
            let changes = Changeset {
                user_updates: vec![UserWrite {
                    user,
                    expected_version,
                }],
                security_flags: flag.clone().into_iter().collect(),
                ..Default::default()
            };
            match self.store.commit(changes).await {
                Err(StoreError::Conflict(Conflict::StaleUser)) => continue,
                other => return other.map_err(AppError::from),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "your account is busy; retry",
        ))
    }
}
