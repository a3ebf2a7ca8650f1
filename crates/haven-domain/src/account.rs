//! Users, roles and sessions.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    Seller,
    Agent,
    Admin,
}

/// A normalised e-mail address: trimmed, NFKC-normalised (so full-width
/// "ａｄａ@" and "ada@" are one address), lower-cased, one `@`, no control
/// or space characters, bounded length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, crate::limits::InvalidField> {
        let refuse = |message: &str| crate::limits::InvalidField::new("email", message);
        let email = raw.trim().nfkc().collect::<String>().to_lowercase();
        if crate::text::forbidden_char(&email, false).is_some() {
            return Err(refuse("email must not contain control characters"));
        }
        let valid_shape = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
        if email.len() > 254
            || !valid_shape
            || email.matches('@').count() != 1
            || email.chars().any(char::is_whitespace)
        {
            return Err(refuse("email must look like name@example.com"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    /// PHC string (Argon2id with explicit parameters).
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub email_verified_at: Option<Timestamp>,
    /// Time-based one-time passwords (RFC 6238), once enabled.
    #[serde(default)]
    pub totp: Option<TotpState>,
    /// A secret shown during setup, enabled only after a correct code.
    #[serde(default)]
    pub pending_totp_secret: Option<String>,
    /// The recovery codes shown with the pending secret, so the setup page
    /// can be shown again (a reload, a redirect) until 2FA is on. Only
    /// their hashes are kept once it is.
    #[serde(default)]
    pub pending_recovery_codes: Vec<String>,
    /// SHA-256 of each unused recovery code.
    #[serde(default)]
    pub recovery_code_hashes: Vec<String>,
    /// The groups of notices the user gets no email for (they still see
    /// them in the app). Empty: every email.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_off: Vec<crate::notice::NoticeKind>,
    /// Consecutive failed logins, and the lockout they earned.
    #[serde(default)]
    pub failed_logins: u32,
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
    /// Fingerprints of devices that logged in before (bounded).
    #[serde(default)]
    pub known_devices: Vec<String>,
    #[serde(default)]
    pub identity: IdentityVerification,
    #[serde(default)]
    pub payout_account: Option<PayoutAccount>,
    /// Messages the scanner warned about or blocked, sent by this user.
    #[serde(default)]
    pub scam_offences: u32,
    /// Set when the person closed their account: what identified them has
    /// been erased (see [`User::erase`]); nobody can sign in to it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// Optimistic-concurrency version; the store bumps it on every write.
    #[serde(default)]
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpState {
    pub secret_base32: String,
    pub enabled_at: Timestamp,
    /// The last 30-second step accepted: a code is never accepted twice.
    pub last_used_step: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    #[default]
    None,
    Pending,
    Approved,
    Rejected,
}

/// A seller's identity review: the document they uploaded and the agent's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IdentityVerification {
    pub status: IdentityStatus,
    pub document_sha256: Option<String>,
    pub submitted_at: Option<Timestamp>,
    pub reviewed_at: Option<Timestamp>,
    pub reviewer: Option<UserId>,
    pub note: String,
}

/// Where payouts go. Only a masked form of the account number is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutAccount {
    pub holder: String,
    pub iban: String,
    pub set_at: Timestamp,
}

impl PayoutAccount {
    pub fn masked(&self) -> String {
        format!("•••• {}", crate::text::last_chars(&self.iban, 4))
    }
}

/// How far a seller is verified: shown to buyers as badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationLevel {
    Unverified,
    EmailVerified,
    /// Identity reviewed by an agent: the "Verified" badge.
    IdentityVerified,
}

impl User {
    /// A new account with nothing verified and no second factor yet.
    pub fn new(
        email: Email,
        display_name: String,
        password_hash: String,
        roles: Vec<Role>,
        created_at: Timestamp,
    ) -> User {
        User {
            id: UserId::new(),
            email,
            display_name,
            password_hash,
            roles,
            created_at,
            email_verified_at: None,
            totp: None,
            pending_totp_secret: None,
            pending_recovery_codes: Vec::new(),
            recovery_code_hashes: Vec::new(),
            email_off: Vec::new(),
            failed_logins: 0,
            locked_until: None,
            known_devices: Vec::new(),
            identity: IdentityVerification::default(),
            payout_account: None,
            scam_offences: 0,
            closed_at: None,
            version: 1,
        }
    }

    pub fn verification_level(&self) -> VerificationLevel {
        match (self.email_verified_at, self.identity.status) {
            (Some(_), IdentityStatus::Approved) => VerificationLevel::IdentityVerified,
            (Some(_), _) => VerificationLevel::EmailVerified,
            _ => VerificationLevel::Unverified,
        }
    }
}

/// The name other people see for an account that was closed.
pub const FORMER_MEMBER: &str = "Former member";

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Close the account, erasing what identifies the person: their email
    /// becomes an address nobody can receive mail at (unique, so the
    /// original is free to register again), their name is replaced, and
    /// their credentials, devices, payout account and identity review are
    /// dropped. `unusable_password_hash` must be the hash of a secret
    /// nobody knows. The id stays: the ledger, the audit trail and the
    /// evidence of past disputes refer to it and must stay intact.
    pub fn erase(&mut self, unusable_password_hash: String, now: Timestamp) {
        self.email = Email(format!("closed-{}@erased.invalid", self.id.0.simple()));
        self.display_name = FORMER_MEMBER.to_string();
        self.password_hash = unusable_password_hash;
        self.email_verified_at = None;
        self.totp = None;
        self.pending_totp_secret = None;
        self.pending_recovery_codes.clear();
        self.recovery_code_hashes.clear();
        self.email_off.clear();
        self.failed_logins = 0;
        self.locked_until = None;
        self.known_devices.clear();
        self.identity = IdentityVerification::default();
        self.payout_account = None;
        self.closed_at = Some(now);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Browser session carried in a cookie.
    Web,
    /// API bearer token.
    Api,
}

/// A login. Only the SHA-256 of the secret token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub kind: SessionKind,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The device as its browser or client named itself (bounded).
    pub user_agent: String,
    pub ip: String,
    pub last_seen_at: Timestamp,
    /// The last time the user proved it was them (password or 2FA) in this
    /// session: sensitive changes need this to be recent.
    pub reauthenticated_at: Timestamp,
}

/// What a single-use emailed or short-lived token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    PasswordReset,
    EmailVerification,
    /// Password accepted, second factor still needed.
    LoginChallenge,
}

impl TokenKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenKind::PasswordReset => "password_reset",
            TokenKind::EmailVerification => "email_verification",
            TokenKind::LoginChallenge => "login_challenge",
        }
    }

    pub fn parse(raw: &str) -> Option<TokenKind> {
        [
            TokenKind::PasswordReset,
            TokenKind::EmailVerification,
            TokenKind::LoginChallenge,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

/// A single-use token; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    pub token_hash: String,
    pub kind: TokenKind,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    /// Extra context, e.g. the device of a login challenge.
    pub data: serde_json::Value,
}

/// An IBAN's own check (ISO 13616 mod-97): country code, check digits,
/// 11-30 alphanumerics. `iban` is upper case without spaces.
pub fn iban_is_valid(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    let mut remainder: u32 = 0;
    for b in rearranged {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_checked_by_mod_97() {
        assert!(iban_is_valid("DE89370400440532013000"));
        assert!(iban_is_valid("GB29NWBK60161331926819"));
        assert!(!iban_is_valid("DE89370400440532013001"), "one digit off");
        assert!(!iban_is_valid("DE8937"));
        assert!(!iban_is_valid("de89370400440532013000"));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert_eq!(
            Email::parse("ＡＤＡ@example.com").unwrap().as_str(),
            "ada@example.com",
            "full-width letters are the same address"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "ada\0@x.com",
            "ada\u{202e}@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
