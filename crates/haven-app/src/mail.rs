//! Email is a command (see `commands.rs`): a message is queued in the same
//! transaction as the change it tells about (new-device login, password
//! reset, verification), never in the business-event outbox, so no feed
//! can expose the links it carries. The dispatcher sends it with lettre:
//! SMTP when `smtp_url` is configured, otherwise one `.eml` file per
//! message in `mail_dir` (development, the demo and the tests).

use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::App;
use crate::config::Config;
use haven_store::{Changeset, NewCommand};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    let key = uuid::Uuid::now_v7().to_string();
    changes
        .commands
        .push(email_command(to, subject, body, key, now));
}

/// An email keyed by `key`: queued once however often it is written.
pub fn email_command(
    to: &str,
    subject: &str,
    body: String,
    key: String,
    now: haven_domain::Timestamp,
) -> NewCommand {
    let email = Email {
        to: to.into(),
        subject: subject.into(),
        body,
    };
    NewCommand::new(
        crate::commands::EMAIL,
        format!("email:{key}"),
        serde_json::to_value(email).expect("emails serialise"),
        None,
        now,
    )
}

/// `smtp_url` that drops every email once dispatched: for load tests,
/// which measure Haven's queueing and dispatch, not a mail relay's disk.
pub const DISCARD_URL: &str = "discard:";

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Discard,
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) if url == DISCARD_URL => Ok(Mailer::Discard),
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
            Mailer::Discard => {}
        }
        Ok(())
    }
}

impl App {
    pub(crate) async fn send_email(&self, email: &Email) -> Result<(), String> {
        let from = self
            .config
            .mail_from
            .parse::<Mailbox>()
            .map_err(|e| format!("mail_from is not an address: {e}"))?;
        self.mailer
            .send(&from, email)
            .await
            .map_err(|e| e.to_string())
    }
}
