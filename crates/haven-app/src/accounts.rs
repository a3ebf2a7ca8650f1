//! Accounts and their security: registration with email verification,
//! login with lockout and credential-stuffing defence, TOTP second factor
//! with recovery codes, sessions, step-up for sensitive changes, password
//! reset by emailed single-use token, seller identity review, and stores.
//!
//! No answer ever tells whether an email has an account: login failures,
//! lockouts and reset requests look the same either way.

use haven_domain::account::{
    Email, IdentityStatus, OneTimeToken, PayoutAccount, Role, Session, SessionKind, TokenKind,
    TotpState, User,
};
use haven_domain::catalog::Shop;
use haven_domain::ids::{StoreId, UserId};
use haven_domain::{SignedDuration, Timestamp, text};
use haven_store::{Changeset, Conflict, SessionTouch, StoreError, UserWrite};

use super::guard::{Refusal, lock_duration};
use super::{App, mail};
use crate::auth;
use crate::error::{AppError, AppResult, ErrorKind};

const WEB_SESSION_HOURS: i64 = 24 * 14;
const API_SESSION_HOURS: i64 = 24 * 30;
/// Sensitive changes need a password or 2FA proof this recent.
pub const STEP_UP_WINDOW_MIN: i64 = 10;
const LOGIN_CHALLENGE_MIN: i64 = 5;
const RESET_TOKEN_MIN: i64 = 30;
const VERIFY_TOKEN_HOURS: i64 = 48;
const MAX_KNOWN_DEVICES: usize = 20;
/// Last-seen is written at most this often per session, not on every request.
const TOUCH_EVERY_MIN: i64 = 5;

/// Who is making a request: the user, their store, and the session used.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub store_id: Option<StoreId>,
    pub session: Option<Session>,
}

impl Actor {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    pub fn require_role(&self, role: Role) -> AppResult<()> {
        if self.user.has_role(role) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                format!("this needs the {role:?} role").to_lowercase(),
            ))
        }
    }

    pub fn require_store(&self) -> AppResult<StoreId> {
        self.store_id
            .ok_or_else(|| AppError::forbidden("open a store first"))
    }

    /// How the actor relates to something between a buyer and a store (an
    /// order, a conversation); `None` for strangers, who should get a 404.
    pub fn relation_to(&self, buyer_id: UserId, store_id: StoreId) -> Option<Relation> {
        if buyer_id == self.id() {
            Some(Relation::Buyer)
        } else if Some(store_id) == self.store_id {
            Some(Relation::Seller)
        } else if self.user.has_role(Role::Agent) || self.user.has_role(Role::Admin) {
            Some(Relation::Staff)
        } else {
            None
        }
    }
}

impl Actor {
    /// The part this account plays in an order or dispute between
    /// `buyer_id` and `store_id`; the system's (no actions) for strangers.
    pub fn party_in(&self, buyer_id: UserId, store_id: StoreId) -> haven_domain::dispute::Party {
        use haven_domain::dispute::Party;
        match self.relation_to(buyer_id, store_id) {
            Some(Relation::Buyer) => Party::Buyer,
            Some(Relation::Seller) => Party::Seller,
            Some(Relation::Staff) => Party::Agent,
            None => Party::System,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Buyer,
    Seller,
    Staff,
}

/// Where a request comes from, for sessions and login defence.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

/// A correct password either opens a session or, with 2FA on, asks for the
/// second factor first.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    Session {
        user: Box<User>,
        token: String,
        session: Session,
    },
    SecondFactor {
        challenge: String,
        expires_at: Timestamp,
    },
}

/// What setting up 2FA shows once: the secret, its URL and a QR code.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
    /// Ten single-use codes for a lost phone, kept (hashed) once 2FA is on.
    pub recovery_codes: Vec<String>,
}

fn invalid_credentials() -> AppError {
    AppError::new(ErrorKind::InvalidCredentials, "email or password is wrong")
}

fn too_many_attempts(until: Timestamp, now: Timestamp) -> AppError {
    AppError::too_many_attempts(until, now)
}

fn step_up_required() -> AppError {
    AppError::new(
        ErrorKind::StepUpRequired,
        "confirm it is you: re-enter your password or a 2FA code, then try again",
    )
}

impl App {
    pub async fn register(&self, input: Registration) -> AppResult<User> {
        let email = Email::parse(&input.email)?;
        let display_name = text::line("display_name", &input.display_name, 80)?;
        text::forbidden_char(&input.password, false).map_or(Ok(()), |_| {
            Err(AppError::invalid_field(
                "password",
                "password must not contain control characters",
            ))
        })?;
        self.refuse_look_alikes(&email, &display_name).await?;
        auth::check_password_policy(&input.password, &[email.as_str(), &display_name])
            .map_err(|why| AppError::invalid_field("password", why))?;
        let mut roles = vec![Role::Buyer];
        roles.extend(input.roles.into_iter().filter(|r| *r != Role::Buyer));
        let password_hash = self.hash(input.password).await?;
        let user = User::new(email, display_name, password_hash, roles, self.now());
        let mut changes = Changeset {
            users: vec![user.clone()],
            ..Default::default()
        };
        self.queue_email_verification(&mut changes, &user);
        self.store.commit(changes).await?;
        Ok(user)
    }

    /// A new account may not take an email or display name that looks like
    /// an existing account's (the same UTS #39 skeleton): "Haven Support"
    /// written with Cyrillic letters, or "paypa1" for "paypal". The unique
    /// indexes on the skeletons enforce the same rule under races.
    async fn refuse_look_alikes(&self, email: &Email, display_name: &str) -> AppResult<()> {
        let email_skeleton = text::skeleton(email.as_str());
        let name_skeleton = text::skeleton(display_name);
        for user in self
            .store
            .users_looking_like(&email_skeleton, &name_skeleton)
            .await?
        {
            if text::skeleton(user.email.as_str()) == email_skeleton {
                return Err(AppError::new(
                    ErrorKind::EmailTaken,
                    "that email cannot be used",
                ));
            }
            if text::skeleton(&user.display_name) == name_skeleton {
                return Err(AppError::new(
                    ErrorKind::NameTaken,
                    "that display name is too close to another account's; choose another",
                )
                .with_details(crate::ErrorDetails {
                    field: Some("display_name".into()),
                    ..Default::default()
                }));
            }
        }
        Ok(())
    }

    pub(crate) async fn hash(&self, password: String) -> AppResult<String> {
        auth::with_hashing_slot(move || auth::hash_password(&password))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    pub(crate) async fn password_matches(&self, password: &str, hash: &str) -> AppResult<bool> {
        let (password, hash) = (password.to_string(), hash.to_string());
        auth::with_hashing_slot(move || auth::verify_password(&password, &hash))
            .await
            .map_err(AppError::internal)
    }

    fn queue_email_verification(&self, changes: &mut Changeset, user: &User) {
        let (token, token_hash) = auth::new_token();
        let mut one_time = self.one_time(
            token_hash,
            TokenKind::EmailVerification,
            user.id,
            SignedDuration::from_hours(VERIFY_TOKEN_HOURS),
        );
        one_time.data = serde_json::json!({ "email": user.email.as_str() });
        changes.tokens.push(one_time);
        let link = format!("{}/verify-email?token={token}", self.config.base_url);
        mail::queue(
            changes,
            user.email.as_str(),
            "Confirm your email for Haven",
            format!(
                "Hello {},\n\nConfirm your email address: {link}\n\nThe link works for 48 hours.",
                user.display_name
            ),
            self.wall_now(),
        );
    }

    fn one_time(
        &self,
        token_hash: String,
        kind: TokenKind,
        user_id: UserId,
        lifetime: SignedDuration,
    ) -> OneTimeToken {
        OneTimeToken {
            token_hash,
            kind,
            user_id,
            created_at: self.wall_now(),
            expires_at: self.wall_now() + lifetime,
            used_at: None,
            data: serde_json::Value::Null,
        }
    }

    /// Check a password. Unknown emails and wrong passwords answer alike and
    /// take as long; failures count towards lockouts either way.
    ///
    /// An address that is rate-limited or blocked for credential stuffing is
    /// refused before any password is checked, except for an account owner
    /// who sends a valid second-factor `code` with the right password: an
    /// attacker on the same network must not lock the owner out, and a
    /// blocked address learns nothing unless all three match.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        kind: SessionKind,
        client: &ClientInfo,
    ) -> AppResult<LoginOutcome> {
        let now = self.wall_now();
        let email_key = email.trim().to_lowercase();
        let found = match Email::parse(email) {
            Ok(email) => self.store.user_by_email(email.as_str()).await?,
            Err(_) => None,
        };
        if let Err(Refusal::SlowDown { until }) = self.check_address(&client.ip, now).await? {
            return match code {
                Some(code) => {
                    self.login_past_blocked_address(found, password, code, until, kind, client)
                        .await
                }
                None => Err(too_many_attempts(until, now)),
            };
        }
        let locked_until = match &found {
            Some(user) => user.locked_until,
            None => self.unknown_email_locked_until(&email_key, now).await?,
        };
        if let Some(until) = locked_until.filter(|u| *u > now) {
            return Err(too_many_attempts(until, now));
        }
        let valid = self.password_fits(found.as_ref(), password).await?;
        let Some(user) = found.filter(|_| valid) else {
            return Err(self.count_failure(&email_key, &client.ip, now).await);
        };
        if user.totp.is_some() {
            return self.issue_login_challenge(&user, kind, client).await;
        }
        let rehash = auth::needs_rehash(&user.password_hash).then(|| password.to_string());
        self.finish_login(user, kind, client, rehash, Changeset::default())
            .await
    }

    /// Whether `password` is the account's, taking as long when there is no
    /// account (a decoy hash), so timing reveals nothing.
    async fn password_fits(&self, user: Option<&User>, password: &str) -> AppResult<bool> {
        let hash = user.map_or_else(
            || auth::decoy_hash().to_string(),
            |u| u.password_hash.clone(),
        );
        self.password_matches(password, &hash).await
    }

    /// The owner's way past a blocked address: the right password and a
    /// valid code from their authenticator (or a recovery code), on an
    /// account with 2FA that is not itself locked. Anything less is the
    /// same "too many attempts" as before, and a wrong guess still counts
    /// towards the account's lockout.
    async fn login_past_blocked_address(
        &self,
        found: Option<User>,
        password: &str,
        code: &str,
        blocked_until: Timestamp,
        kind: SessionKind,
        client: &ClientInfo,
    ) -> AppResult<LoginOutcome> {
        let now = self.wall_now();
        let refused = || too_many_attempts(blocked_until, now);
        let valid = self.password_fits(found.as_ref(), password).await?;
        let Some(mut user) = found.filter(|u| u.totp.is_some()) else {
            return Err(refused());
        };
        if user.locked_until.is_some_and(|u| u > now) {
            return Err(refused());
        }
        if !valid || !consume_second_factor(&mut user, code, now) {
            self.record_user_failure(user, now).await;
            return Err(refused());
        }
        self.finish_login(user, kind, client, None, Changeset::default())
            .await
    }

    /// Count a failed attempt (durably, for real accounts and unknown
    /// emails alike) and answer with the generic error, or the lockout once
    /// it starts.
    async fn count_failure(&self, email_key: &str, ip: &str, now: Timestamp) -> AppError {
        match self.address_failed(ip, email_key, now).await {
            Ok(Some(until)) => return too_many_attempts(until, now),
            Ok(None) => {}
            Err(err) => return err,
        }
        let user = self.store.user_by_email(email_key).await.ok().flatten();
        let locked_until = match user {
            Some(user) => self.record_user_failure(user, now).await,
            None => match self.unknown_email_failed(email_key, now).await {
                Ok(until) => until,
                Err(err) => return err,
            },
        };
        match locked_until {
            Some(until) => too_many_attempts(until, now),
            None => invalid_credentials(),
        }
    }

    /// Count a failed password or code on a real account. Parallel guesses
    /// each count: a lost race re-reads the user and counts again.
    async fn record_user_failure(&self, user: User, now: Timestamp) -> Option<Timestamp> {
        let mut user = user;
        for _ in 0..super::MAX_RETRIES {
            let expected_version = user.version;
            user.failed_logins += 1;
            user.locked_until = lock_duration(user.failed_logins).map(|d| now + d);
            let locked_until = user.locked_until;
            let changes = Changeset {
                user_updates: vec![UserWrite {
                    user: user.clone(),
                    expected_version,
                }],
                ..Default::default()
            };
            match self.store.commit(changes).await {
                Err(StoreError::Conflict(Conflict::StaleUser)) => {
                    match self.store.user(user.id).await {
                        Ok(Some(fresh)) => user = fresh,
                        _ => return locked_until,
                    }
                }
                _ => return locked_until,
            }
        }
        user.locked_until
    }

    /// A wrong password or code from a signed-in user (step-up, turning 2FA
    /// off) counts towards the same lockout as a failed login, so a stolen
    /// session cannot guess codes without limit.
    pub(crate) async fn second_proof_failed(&self, actor: &Actor, now: Timestamp) -> AppError {
        let user = match self.store.user(actor.id()).await {
            Ok(Some(user)) => user,
            _ => return AppError::unauthorized(),
        };
        match self.record_user_failure(user, now).await {
            Some(until) => too_many_attempts(until, now),
            None => AppError::new(
                ErrorKind::InvalidCredentials,
                "that password or code is not right",
            ),
        }
    }

    pub(crate) fn refuse_if_locked(&self, user: &User, now: Timestamp) -> AppResult<()> {
        match user.locked_until.filter(|u| *u > now) {
            Some(until) => Err(too_many_attempts(until, now)),
            None => Ok(()),
        }
    }

    async fn issue_login_challenge(
        &self,
        user: &User,
        kind: SessionKind,
        client: &ClientInfo,
    ) -> AppResult<LoginOutcome> {
        let (challenge, token_hash) = auth::new_token();
        let mut token = self.one_time(
            token_hash,
            TokenKind::LoginChallenge,
            user.id,
            SignedDuration::from_mins(LOGIN_CHALLENGE_MIN),
        );
        token.data =
            serde_json::json!({ "kind": kind, "ip": client.ip, "user_agent": client.user_agent });
        let expires_at = token.expires_at;
        self.store
            .commit(Changeset {
                tokens: vec![token],
                ..Default::default()
            })
            .await?;
        Ok(LoginOutcome::SecondFactor {
            challenge,
            expires_at,
        })
    }

    /// The second step of a 2FA login: an authenticator code or one of the
    /// recovery codes, each usable once.
    pub async fn login_second_factor(
        &self,
        challenge: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AppResult<LoginOutcome> {
        let now = self.wall_now();
        let invalid = || {
            AppError::new(
                ErrorKind::InvalidChallenge,
                "this sign-in has expired; start again",
            )
        };
        let token = self
            .store
            .token(&auth::token_hash(challenge))
            .await?
            .ok_or_else(invalid)?;
        if token.kind != TokenKind::LoginChallenge
            || token.used_at.is_some()
            || token.expires_at <= now
        {
            return Err(invalid());
        }
        if let Err(Refusal::SlowDown { until }) = self.check_address(&client.ip, now).await? {
            return Err(too_many_attempts(until, now));
        }
        let mut user = self.store.user(token.user_id).await?.ok_or_else(invalid)?;
        self.refuse_if_locked(&user, now)?;
        if !consume_second_factor(&mut user, code, now) {
            return Err(match self.record_user_failure(user, now).await {
                Some(until) => too_many_attempts(until, now),
                None => AppError::new(ErrorKind::WrongSecondFactor, "that code is not valid"),
            });
        }
        let kind = serde_json::from_value(token.data["kind"].clone()).unwrap_or(SessionKind::Web);
        let used = Changeset {
            use_tokens: vec![(token.token_hash.clone(), now)],
            ..Default::default()
        };
        self.finish_login(user, kind, client, None, used).await
    }

    /// Open the session; reset failure counts; note a new device (and email
    /// about it); upgrade an outdated password hash.
    async fn finish_login(
        &self,
        mut user: User,
        kind: SessionKind,
        client: &ClientInfo,
        rehash: Option<String>,
        mut changes: Changeset,
    ) -> AppResult<LoginOutcome> {
        let now = self.wall_now();
        let expected_version = user.version;
        let before = user.clone();
        if let Some(password) = rehash {
            user.password_hash = self.hash(password).await?;
        }
        user.failed_logins = 0;
        user.locked_until = None;
        let device = auth::device_fingerprint(&client.user_agent);
        if !user.known_devices.contains(&device) {
            if !user.known_devices.is_empty() {
                let body = format!(
                    "Hello {},\n\nYour Haven account was just signed in to from a new device:\n  {}\n  address {}\n  at {}\n\nIf this was you, nothing to do. If not, change your password and sign out other sessions from your account page.",
                    user.display_name,
                    client.user_agent,
                    client.ip,
                    now.strftime("%Y-%m-%d %H:%M UTC")
                );
                mail::queue(
                    &mut changes,
                    user.email.as_str(),
                    "New sign-in to your Haven account",
                    body,
                    now,
                );
                changes.outbox.push(haven_store::NewOutboxEvent {
                    topic: haven_domain::events::EventType::SecurityNewDeviceLogin.to_string(),
                    payload: serde_json::json!({ "user_id": user.id, "ip": client.ip }),
                    created_at: now,
                });
            }
            user.known_devices.push(device);
            let excess = user.known_devices.len().saturating_sub(MAX_KNOWN_DEVICES);
            user.known_devices.drain(..excess);
        }
        let (token, token_hash) = auth::new_token();
        let hours = if kind == SessionKind::Web {
            WEB_SESSION_HOURS
        } else {
            API_SESSION_HOURS
        };
        let session = Session {
            token_hash,
            user_id: user.id,
            kind,
            created_at: now,
            expires_at: now + SignedDuration::from_hours(hours),
            user_agent: client.user_agent.chars().take(200).collect(),
            ip: client.ip.chars().take(64).collect(),
            last_seen_at: now,
            reauthenticated_at: now,
        };
        changes.sessions.push(session.clone());
        // Written only when something changed, so parallel sign-ins from a
        // known device never collide on the user row.
        if user != before {
            changes.user_updates.push(UserWrite {
                user: user.clone(),
                expected_version,
            });
        }
        match self.store.commit(changes).await {
            Ok(()) => Ok(LoginOutcome::Session {
                user: Box::new(user),
                token,
                session,
            }),
            Err(StoreError::Conflict(Conflict::StaleUser)) => Err(AppError::conflict(
                ErrorKind::ConcurrentUpdate,
                "your account changed meanwhile; sign in again",
            )),
            Err(StoreError::Conflict(Conflict::TokenUsed)) => Err(AppError::new(
                ErrorKind::InvalidChallenge,
                "this sign-in was already used",
            )),
            Err(err) => Err(err.into()),
        }
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        let changes = Changeset {
            delete_sessions: vec![auth::token_hash(token)],
            ..Default::default()
        };
        self.store.commit(changes).await?;
        Ok(())
    }

    /// Real time for everything that secures an account (sessions, TOTP
    /// codes, emailed links, lockouts), even in the demo: its fast-forward
    /// moves marketplace deadlines, and must neither log the visitor out
    /// mid-tour nor make a fresh authenticator code look stale.
    pub(crate) fn wall_now(&self) -> Timestamp {
        if self.demo_clock.is_some() {
            Timestamp::now()
        } else {
            self.now()
        }
    }

    /// The actor behind a session token, if it is valid, unexpired and of
    /// the kind asked for: a browser's cookie is not an API bearer token,
    /// and an API token is not a browser session.
    pub async fn authenticate(&self, token: &str, kind: SessionKind) -> AppResult<Option<Actor>> {
        if token.len() != 64 {
            return Ok(None);
        }
        let found = self
            .store
            .session_with_user(&auth::token_hash(token))
            .await?;
        let Some((session, user, store_id)) = found else {
            return Ok(None);
        };
        let now = self.wall_now();
        if session.expires_at <= now || session.kind != kind || user.is_closed() {
            return Ok(None);
        }
        if now.duration_since(session.last_seen_at) > SignedDuration::from_mins(TOUCH_EVERY_MIN) {
            let touch = SessionTouch {
                token_hash: session.token_hash.clone(),
                last_seen_at: now,
                reauthenticated_at: None,
            };
            let _ = self
                .store
                .commit(Changeset {
                    session_touches: vec![touch],
                    ..Default::default()
                })
                .await;
        }
        Ok(Some(Actor {
            user,
            store_id,
            session: Some(session),
        }))
    }

    /// The user's sessions, for the account page (newest first).
    pub async fn sessions(&self, actor: &Actor) -> AppResult<Vec<Session>> {
        Ok(self.store.sessions_for_user(actor.id()).await?)
    }

    /// Sign out one session by its public id (the start of its hash).
    pub async fn revoke_session(&self, actor: &Actor, session_id: &str) -> AppResult<()> {
        let sessions = self.store.sessions_for_user(actor.id()).await?;
        let target = sessions
            .iter()
            .find(|s| session_public_id(s) == session_id)
            .ok_or_else(|| AppError::not_found("session"))?;
        self.store
            .commit(Changeset {
                delete_sessions: vec![target.token_hash.clone()],
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Sign out everywhere but here.
    pub async fn revoke_other_sessions(&self, actor: &Actor) -> AppResult<()> {
        let current = actor.session.as_ref().map(|s| s.token_hash.clone());
        self.store
            .commit(Changeset {
                delete_user_sessions: vec![(actor.id(), current)],
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Prove it is you again (password, or a 2FA code when 2FA is on):
    /// sensitive changes are allowed for the next few minutes.
    pub async fn reauthenticate(
        &self,
        actor: &Actor,
        password: Option<&str>,
        code: Option<&str>,
    ) -> AppResult<()> {
        let session = actor.session.as_ref().ok_or_else(AppError::unauthorized)?;
        let now = self.wall_now();
        self.refuse_if_locked(&actor.user, now)?;
        let proved = match (password, code) {
            (Some(password), _) => {
                self.password_matches(password, &actor.user.password_hash)
                    .await?
            }
            (None, Some(code)) => {
                self.update_user(actor.id(), |user| {
                    Ok(consume_second_factor(user, code, now))
                })
                .await?
            }
            (None, None) => false,
        };
        if !proved {
            return Err(self.second_proof_failed(actor, now).await);
        }
        let touch = SessionTouch {
            token_hash: session.token_hash.clone(),
            last_seen_at: self.wall_now(),
            reauthenticated_at: Some(self.wall_now()),
        };
        self.store
            .commit(Changeset {
                session_touches: vec![touch],
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Sensitive changes need a recent password or 2FA proof in this session.
    pub fn require_step_up(&self, actor: &Actor) -> AppResult<()> {
        let recent = actor.session.as_ref().is_some_and(|s| {
            self.wall_now().duration_since(s.reauthenticated_at)
                <= SignedDuration::from_mins(STEP_UP_WINDOW_MIN)
        });
        if recent {
            Ok(())
        } else {
            Err(step_up_required())
        }
    }

    /// Read-modify-write a user with optimistic concurrency; `change`
    /// returns what the caller wants to know (and may leave the user as is).
    async fn update_user<T>(
        &self,
        id: UserId,
        change: impl Fn(&mut User) -> AppResult<T>,
    ) -> AppResult<T> {
        self.update_user_with(id, |user, _| change(user)).await
    }

    pub(crate) async fn update_user_with<T>(
        &self,
        id: UserId,
        change: impl Fn(&mut User, &mut Changeset) -> AppResult<T>,
    ) -> AppResult<T> {
        for _ in 0..super::MAX_RETRIES {
            let mut user = self
                .store
                .user(id)
                .await?
                .ok_or_else(|| AppError::not_found("user"))?;
            let expected_version = user.version;
            let mut changes = Changeset::default();
            let level_before = user.verification_level();
            let result = change(&mut user, &mut changes)?;
            if user.verification_level() != level_before {
                self.note_verification_change(&user, &mut changes).await?;
            }
            changes.user_updates.push(UserWrite {
                user,
                expected_version,
            });
            match self.store.commit(changes).await {
                Ok(()) => return Ok(result),
                Err(StoreError::Conflict(Conflict::StaleUser)) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "your account is busy; retry",
        ))
    }

    /// A seller's verification shows on their store (the Verified badge,
    /// search's filter): say so when it changes, in the same changeset.
    async fn note_verification_change(
        &self,
        user: &User,
        changes: &mut Changeset,
    ) -> AppResult<()> {
        if let Some(shop) = self.store.shop_by_owner(user.id).await? {
            changes.outbox.push(haven_store::NewOutboxEvent {
                topic: haven_domain::events::EventType::StoreVerificationChanged.to_string(),
                payload: serde_json::json!({
                    "store_id": shop.id,
                    "user_id": user.id,
                    "verification": user.verification_level(),
                }),
                created_at: self.wall_now(),
            });
        }
        Ok(())
    }

    /// Change the password: needs step-up and the current password; every
    /// other session is signed out.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> AppResult<()> {
        self.require_step_up(actor)?;
        // A stolen session must not guess the current password without
        // limit: wrong ones count towards the same lockout as a login.
        self.refuse_if_locked(&actor.user, self.wall_now())?;
        if !self
            .password_matches(current, &actor.user.password_hash)
            .await?
        {
            return Err(self.second_proof_failed(actor, self.wall_now()).await);
        }
        auth::check_password_policy(new, &[actor.user.email.as_str(), &actor.user.display_name])
            .map_err(AppError::validation)?;
        let hash = self.hash(new.to_string()).await?;
        let current_session = actor.session.as_ref().map(|s| s.token_hash.clone());
        let now = self.wall_now();
        self.update_user_with(actor.id(), |user, changes| {
            user.password_hash = hash.clone();
            changes.delete_user_sessions.push((user.id, current_session.clone()));
            void_credentials_links(changes, user.id, now);
            mail::queue(changes, user.email.as_str(), "Your Haven password was changed", format!("Hello {},\n\nYour password was changed and your other sessions were signed out. If this was not you, reset your password now.", user.display_name), now);
            Ok(())
        })
        .await
    }

    /// Change the email: needs step-up; the new address must be confirmed
    /// again, and the old one is told.
    pub async fn change_email(&self, actor: &Actor, new_email: &str) -> AppResult<()> {
        self.require_step_up(actor)?;
        let email = Email::parse(new_email)?;
        let old = actor.user.email.clone();
        let now = self.wall_now();
        let result = self
            .update_user_with(actor.id(), |user, changes| {
                user.email = email.clone();
                user.email_verified_at = None;
                self.queue_email_verification(changes, user);
                mail::queue(changes, old.as_str(), "Your Haven email was changed", format!("Hello {},\n\nYour account's email was changed to {}. If this was not you, contact support immediately.", user.display_name, email.as_str()), now);
                Ok(())
            })
            .await;
        match result {
            // Said the same way as at registration: someone else has it.
            Err(err) if err.kind == ErrorKind::EmailTaken => Err(AppError::conflict(
                ErrorKind::EmailTaken,
                "that email cannot be used",
            )),
            other => other,
        }
    }

    /// Start 2FA setup: a new secret, shown once as a QR code and a URL.
    pub async fn begin_totp_setup(&self, actor: &Actor) -> AppResult<TotpSetup> {
        // A session thief must not lock the owner out with their own phone.
        self.require_step_up(actor)?;
        if actor.user.totp.is_some() {
            return Err(AppError::conflict(
                ErrorKind::AlreadyEnabled,
                "two-factor authentication is already on",
            ));
        }
        let secret = auth::new_totp_secret();
        let (codes, _) = auth::new_recovery_codes();
        let user = self
            .update_user(actor.id(), |user| {
                user.pending_totp_secret = Some(secret.clone());
                user.pending_recovery_codes = codes.clone();
                Ok(user.clone())
            })
            .await?;
        self.totp_setup(&user)?
            .ok_or_else(|| AppError::internal("setup just stored"))
    }

    /// The 2FA setup a user has started and not finished: the secret, its
    /// URL and QR code, and the recovery codes that come with it.
    pub fn totp_setup(&self, user: &User) -> AppResult<Option<TotpSetup>> {
        let Some(secret) = user.pending_totp_secret.clone() else {
            return Ok(None);
        };
        let url = auth::totp_url(&secret, user.email.as_str())
            .ok_or_else(|| AppError::internal("totp url"))?;
        let qr = qrcode::QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
        let qr_svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        Ok(Some(TotpSetup {
            secret,
            otpauth_url: url,
            qr_svg,
            recovery_codes: user.pending_recovery_codes.clone(),
        }))
    }

    /// Turn 2FA on with a code from the app; returns the recovery codes,
    /// shown once (only their hashes are kept).
    pub async fn enable_totp(&self, actor: &Actor, code: &str) -> AppResult<Vec<String>> {
        self.require_step_up(actor)?;
        let now = self.wall_now();
        self.update_user(actor.id(), |user| {
            let secret = user
                .pending_totp_secret
                .clone()
                .ok_or_else(|| AppError::conflict(ErrorKind::NoSetup, "start the setup first"))?;
            let step = auth::verify_totp(&secret, code, now.as_second().max(0) as u64, 0)
                .ok_or_else(|| {
                    AppError::new(
                        ErrorKind::InvalidSetupCode,
                        "that code is not valid; check the app's clock",
                    )
                })?;
            user.totp = Some(TotpState {
                secret_base32: secret,
                enabled_at: now,
                last_used_step: step,
            });
            user.pending_totp_secret = None;
            let codes = std::mem::take(&mut user.pending_recovery_codes);
            user.recovery_code_hashes = codes
                .iter()
                .map(|c| auth::token_hash(&auth::normalize_recovery_code(c)))
                .collect();
            Ok(codes)
        })
        .await
    }

    /// Turn 2FA off: needs a current code (or a recovery code).
    pub async fn disable_totp(&self, actor: &Actor, code: &str) -> AppResult<()> {
        let now = self.wall_now();
        self.refuse_if_locked(&actor.user, now)?;
        let done = self
            .update_user(actor.id(), |user| {
                if user.totp.is_none() {
                    return Err(AppError::conflict(
                        ErrorKind::NotEnabled,
                        "two-factor authentication is off",
                    ));
                }
                if !consume_second_factor(user, code, now) {
                    return Ok(false);
                }
                user.totp = None;
                user.recovery_code_hashes.clear();
                Ok(true)
            })
            .await?;
        if done {
            Ok(())
        } else {
            let err = self.second_proof_failed(actor, now).await;
            Err(if err.kind == ErrorKind::InvalidCredentials {
                AppError::new(ErrorKind::WrongSecondFactor, "that code is not valid")
            } else {
                err
            })
        }
    }

    /// Always answers the same, whether or not the email has an account.
    pub async fn request_password_reset(&self, email: &str) -> AppResult<()> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        if !self.reset_allowed(email.as_str(), self.wall_now()).await? {
            return Ok(());
        }
        let Some(user) = self.store.user_by_email(email.as_str()).await? else {
            return Ok(());
        };
        let (token, token_hash) = auth::new_token();
        let mut one_time = self.one_time(
            token_hash,
            TokenKind::PasswordReset,
            user.id,
            SignedDuration::from_mins(RESET_TOKEN_MIN),
        );
        one_time.data = serde_json::json!({ "email": user.email.as_str() });
        let mut changes = Changeset {
            tokens: vec![one_time],
            ..Default::default()
        };
        let link = format!("{}/reset-password?token={token}", self.config.base_url);
        mail::queue(
            &mut changes,
            user.email.as_str(),
            "Reset your Haven password",
            format!(
                "Hello {},\n\nSet a new password here: {link}\n\nThe link works once, for 30 minutes. If you did not ask for this, ignore this email.",
                user.display_name
            ),
            self.wall_now(),
        );
        self.store.commit(changes).await?;
        Ok(())
    }

    /// Set a new password with an emailed token: single use, 30 minutes;
    /// every session is signed out.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> AppResult<()> {
        let user = self.redeem(token, TokenKind::PasswordReset).await?;
        auth::check_password_policy(new_password, &[user.email.as_str(), &user.display_name])
            .map_err(AppError::validation)?;
        let hash = self.hash(new_password.to_string()).await?;
        let token_hash = auth::token_hash(token);
        let now = self.wall_now();
        let result = self
            .update_user_with(user.id, |user, changes| {
                user.password_hash = hash.clone();
                user.failed_logins = 0;
                user.locked_until = None;
                changes.use_tokens.push((token_hash.clone(), now));
                changes.delete_user_sessions.push((user.id, None));
                void_credentials_links(changes, user.id, now);
                Ok(())
            })
            .await;
        result.map_err(|err| {
            if err.kind == ErrorKind::TokenUsed {
                invalid_token()
            } else {
                err
            }
        })
    }

    /// A valid, unused, unexpired token of `kind`, and its user.
    async fn redeem(&self, token: &str, kind: TokenKind) -> AppResult<User> {
        let found = self
            .store
            .token(&auth::token_hash(token))
            .await?
            .ok_or_else(invalid_token)?;
        if found.kind != kind || found.used_at.is_some() || found.expires_at <= self.wall_now() {
            return Err(invalid_token());
        }
        let user = self
            .store
            .user(found.user_id)
            .await?
            .ok_or_else(invalid_token)?;
        // A link mailed to an address the account no longer has is dead:
        // otherwise an old link could confirm (or reset through) a new,
        // unproven address.
        if found.data["email"].as_str() != Some(user.email.as_str()) {
            return Err(invalid_token());
        }
        Ok(user)
    }

    pub async fn verify_email(&self, token: &str) -> AppResult<()> {
        let user = self.redeem(token, TokenKind::EmailVerification).await?;
        let token_hash = auth::token_hash(token);
        let now = self.wall_now();
        self.update_user_with(user.id, |user, changes| {
            user.email_verified_at = Some(now);
            changes.use_tokens.push((token_hash.clone(), now));
            Ok(())
        })
        .await
        .map_err(|err| {
            if err.kind == ErrorKind::TokenUsed {
                invalid_token()
            } else {
                err
            }
        })
    }

    /// Send a fresh verification email.
    pub async fn resend_verification(&self, actor: &Actor) -> AppResult<()> {
        if actor.user.email_verified_at.is_some() {
            return Err(AppError::conflict(
                ErrorKind::AlreadyVerified,
                "your email is already confirmed",
            ));
        }
        let mut changes = Changeset::default();
        self.queue_email_verification(&mut changes, &actor.user);
        self.store.commit(changes).await?;
        Ok(())
    }

    /// A seller uploads an identity document for review by an agent.
    pub async fn submit_identity_document(&self, actor: &Actor, bytes: Vec<u8>) -> AppResult<()> {
        actor.require_role(Role::Seller)?;
        let is_pdf = bytes.starts_with(b"%PDF-");
        if !is_pdf && super::sniff_image_type(&bytes).is_none() {
            return Err(AppError::validation(
                "upload a PNG, JPEG or WebP photo, or a PDF",
            ));
        }
        if bytes.len() > crate::blobs::MAX_IMAGE_BYTES {
            return Err(AppError::new(
                ErrorKind::TooLarge,
                "documents must be at most 8 MiB",
            ));
        }
        let hash = self.blobs.put(bytes).await?;
        let now = self.wall_now();
        self.update_user(actor.id(), |user| {
            if user.identity.status == IdentityStatus::Approved {
                return Err(AppError::conflict(
                    ErrorKind::AlreadyVerified,
                    "your identity is already verified",
                ));
            }
            user.identity.status = IdentityStatus::Pending;
            user.identity.document_sha256 = Some(hash.clone());
            user.identity.submitted_at = Some(now);
            Ok(())
        })
        .await
    }

    /// An agent approves or rejects a seller's identity document.
    pub async fn review_identity(
        &self,
        agent: &Actor,
        user_id: UserId,
        approve: bool,
        note: &str,
    ) -> AppResult<User> {
        self.require_agent(agent)?;
        if user_id == agent.id() {
            return Err(AppError::forbidden(
                "another agent must review your own identity",
            ));
        }
        let note = text::optional_block("note", note, 1_000)?;
        let now = self.wall_now();
        let reviewer = agent.id();
        self.update_user_with(user_id, |user, changes| {
            if user.identity.status != IdentityStatus::Pending {
                return Err(AppError::conflict(
                    ErrorKind::InvalidState,
                    "nothing is waiting for review",
                ));
            }
            user.identity.status = if approve {
                IdentityStatus::Approved
            } else {
                IdentityStatus::Rejected
            };
            user.identity.reviewed_at = Some(now);
            user.identity.reviewer = Some(reviewer);
            user.identity.note = note.clone();
            let outcome = if approve {
                "approved: your store now shows the Verified badge"
            } else {
                "not approved"
            };
            mail::queue(
                changes,
                user.email.as_str(),
                "Your Haven identity review",
                format!(
                    "Hello {},\n\nYour identity review was {outcome}. {}",
                    user.display_name, user.identity.note
                ),
                now,
            );
            Ok(user.clone())
        })
        .await
    }

    /// Where payouts go: needs step-up, and a valid IBAN.
    pub async fn set_payout_account(
        &self,
        actor: &Actor,
        holder: &str,
        iban: &str,
    ) -> AppResult<PayoutAccount> {
        actor.require_role(Role::Seller)?;
        self.require_step_up(actor)?;
        let holder = text::line("holder", holder, 140)?;
        let holder = holder.as_str();
        let iban: String = iban
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        if !haven_domain::account::iban_is_valid(&iban) {
            return Err(AppError::validation("that is not a valid IBAN"));
        }
        let account = PayoutAccount {
            holder: holder.to_string(),
            iban,
            set_at: self.wall_now(),
        };
        let stored = account.clone();
        let now = self.wall_now();
        self.update_user_with(actor.id(), |user, changes| {
            user.payout_account = Some(stored.clone());
            mail::queue(changes, user.email.as_str(), "Your Haven payout account was changed", format!("Hello {},\n\nPayouts now go to {}. If this was not you, contact support immediately.", user.display_name, stored.masked()), now);
            Ok(())
        })
        .await?;
        Ok(account)
    }

    pub async fn open_store(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        idem: Option<&crate::Idem>,
    ) -> AppResult<Shop> {
        // A buyer becomes a seller by opening a store; staff never sell.
        if actor.user.has_role(Role::Agent) || actor.user.has_role(Role::Admin) {
            return Err(AppError::forbidden("staff accounts cannot open a store"));
        }
        let name = text::line("name", name, 80)?;
        if name.chars().count() < 2 {
            return Err(AppError::invalid_field(
                "name",
                "store name must be 2-80 characters",
            ));
        }
        let description = text::optional_block("description", description, 2_000)?;
        let shop = Shop {
            id: StoreId::new(),
            owner_id: actor.id(),
            name: name.to_string(),
            description: description.trim().to_string(),
            created_at: self.now(),
        };
        let mut changes = Changeset {
            shops: vec![shop.clone()],
            ..Default::default()
        };
        if !actor.user.has_role(Role::Seller) {
            let mut user = actor.user.clone();
            user.roles.push(Role::Seller);
            changes.user_updates.push(UserWrite {
                expected_version: user.version,
                user,
            });
        }
        crate::attach_idem(
            &mut changes,
            idem,
            crate::Resource::Store(shop.id),
            self.wall_now(),
        );
        self.store.commit(changes).await?;
        Ok(shop)
    }
}

fn invalid_token() -> AppError {
    AppError::new(
        ErrorKind::InvalidToken,
        "this link is invalid, expired or already used",
    )
}

/// A new password makes every other reset link and pending 2FA sign-in
/// (started with the old password) worthless.
pub(crate) fn void_credentials_links(changes: &mut Changeset, user_id: UserId, now: Timestamp) {
    for kind in [TokenKind::PasswordReset, TokenKind::LoginChallenge] {
        changes.void_tokens.push((user_id, kind, now));
    }
}

/// The public id of a session: not the token, not its full hash.
pub fn session_public_id(session: &Session) -> String {
    session.token_hash[..16].to_string()
}

/// Accept a TOTP code (newer than the last one used) or a recovery code
/// (removed once used). Updates the user; false if neither matches.
fn consume_second_factor(user: &mut User, code: &str, now: Timestamp) -> bool {
    if let Some(totp) = &mut user.totp
        && let Some(step) = auth::verify_totp(
            &totp.secret_base32,
            code,
            now.as_second().max(0) as u64,
            totp.last_used_step,
        )
    {
        totp.last_used_step = step;
        return true;
    }
    let hash = auth::token_hash(&auth::normalize_recovery_code(code));
    if let Some(index) = user.recovery_code_hashes.iter().position(|h| *h == hash) {
        user.recovery_code_hashes.remove(index);
        return true;
    }
    false
}
