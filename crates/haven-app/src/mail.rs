//! Email goes through the outbox: a message is queued in the same
//! transaction as the change it tells about (new-device login, password
//! reset, verification), and a dispatcher sends it with lettre: SMTP when
//! `smtp_url` is configured, otherwise one `.eml` file per message in
//! `mail_dir` (development, the demo and the tests).

use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::App;
use crate::config::Config;
use haven_store::{Changeset, NewOutboxEvent};

pub const EMAIL_TOPIC: &str = "email";
const EMAIL_BATCH: u32 = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Queue an email in the changeset of the change it belongs to.
pub fn queue(
    changes: &mut Changeset,
    to: &str,
    subject: &str,
    body: String,
    now: haven_domain::Timestamp,
) {
    let email = Email {
        to: to.into(),
        subject: subject.into(),
        body,
    };
    changes.outbox.push(NewOutboxEvent {
        topic: EMAIL_TOPIC.into(),
        payload: serde_json::to_value(email).expect("emails serialise"),
        created_at: now,
    });
}

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => Ok(Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
            )),
            None => {
                std::fs::create_dir_all(&config.mail_dir)?;
                Ok(Mailer::File(AsyncFileTransport::new(&config.mail_dir)))
            }
        }
    }

    async fn send(&self, from: &Mailbox, email: &Email) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(from.clone())
            .to(email.to.parse()?)
            .subject(email.subject.clone())
            .body(email.body.clone())?;
        match self {
            Mailer::Smtp(smtp) => smtp.send(message).await.map(|_| ())?,
            Mailer::File(file) => file.send(message).await.map(|_| ())?,
        }
        Ok(())
    }
}

impl App {
    /// Send queued emails; a failure stays queued for the next round.
    pub async fn dispatch_emails(&self) -> u32 {
        let Ok(pending) = self
            .store
            .undelivered_outbox(EMAIL_TOPIC, EMAIL_BATCH)
            .await
        else {
            return 0;
        };
        let Ok(from) = self.config.mail_from.parse::<Mailbox>() else {
            tracing::error!(from = %self.config.mail_from, "mail_from is not an address");
            return 0;
        };
        let mut sent = 0;
        for event in pending {
            let Ok(email) = serde_json::from_value::<Email>(event.payload.clone()) else {
                continue;
            };
            match self.mailer.send(&from, &email).await {
                Ok(()) => {
                    let done = Changeset {
                        outbox_delivered: vec![(event.seq, self.now())],
                        ..Changeset::default()
                    };
                    if self.store.commit(done).await.is_ok() {
                        sent += 1;
                    }
                }
                Err(err) => {
                    tracing::warn!(to = %email.to, error = %err, "sending email failed; will retry")
                }
            }
        }
        sent
    }
}
