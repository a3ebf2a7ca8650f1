//! Registration, login, sessions and opening a store.

use haven_domain::SignedDuration;
use haven_domain::account::{Email, Role, Session, SessionKind, User};
use haven_domain::catalog::Shop;
use haven_domain::ids::{StoreId, UserId};
use haven_store::Changeset;

use super::App;
use crate::auth;
use crate::error::{ApiError, ApiResult};

const WEB_SESSION_HOURS: i64 = 24 * 14;
const API_SESSION_HOURS: i64 = 24 * 30;

/// Who is making a request: the user and, if they sell, their store.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub store_id: Option<StoreId>,
}

impl Actor {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    pub fn require_role(&self, role: Role) -> ApiResult<()> {
        if self.user.has_role(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                format!("this needs the {role:?} role").to_lowercase(),
            ))
        }
    }

    pub fn require_store(&self) -> ApiResult<StoreId> {
        self.store_id
            .ok_or_else(|| ApiError::forbidden("open a store first"))
    }
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl App {
    /// Sessions expire on real time. The demo's fast-forward moves marketplace
    /// deadlines; it must not log the visitor out halfway through the tour.
    fn session_now(&self) -> haven_domain::Timestamp {
        if self.demo_clock.is_some() {
            haven_domain::Timestamp::now()
        } else {
            self.now()
        }
    }

    pub async fn register(&self, input: Registration) -> ApiResult<User> {
        let email = Email::parse(&input.email).map_err(ApiError::validation)?;
        auth::check_password_policy(&input.password).map_err(ApiError::validation)?;
        let display_name = input.display_name.trim().to_string();
        if display_name.is_empty() || display_name.chars().count() > 80 {
            return Err(ApiError::validation("display_name must be 1-80 characters"));
        }
        let mut roles = vec![Role::Buyer];
        roles.extend(input.roles.into_iter().filter(|r| *r != Role::Buyer));
        let password_hash = auth::with_hashing_slot(move || auth::hash_password(&input.password))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        let user = User {
            id: UserId::new(),
            email,
            display_name,
            password_hash,
            roles,
            created_at: self.now(),
        };
        self.store
            .commit(Changeset {
                users: vec![user.clone()],
                ..Default::default()
            })
            .await?;
        Ok(user)
    }

    /// Check credentials and open a session. Unknown emails and wrong
    /// passwords get the same answer and take the same time.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        kind: SessionKind,
    ) -> ApiResult<(User, String, Session)> {
        let found = match Email::parse(email) {
            Ok(email) => self.store.user_by_email(email.as_str()).await?,
            Err(_) => None,
        };
        let hash = found.as_ref().map_or_else(
            || auth::decoy_hash().to_string(),
            |u| u.password_hash.clone(),
        );
        let password = password.to_string();
        let valid = auth::with_hashing_slot(move || auth::verify_password(&password, &hash))
            .await
            .map_err(ApiError::internal)?;
        let user = match (found, valid) {
            (Some(user), true) => user,
            _ => {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "email or password is wrong",
                ));
            }
        };
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
            created_at: self.session_now(),
            expires_at: self.session_now() + SignedDuration::from_hours(hours),
        };
        self.store
            .commit(Changeset {
                sessions: vec![session.clone()],
                ..Default::default()
            })
            .await?;
        Ok((user, token, session))
    }

    pub async fn logout(&self, token: &str) -> ApiResult<()> {
        let changes = Changeset {
            delete_sessions: vec![auth::token_hash(token)],
            ..Default::default()
        };
        self.store.commit(changes).await?;
        Ok(())
    }

    /// The actor behind a session token, if it is valid and unexpired.
    pub async fn authenticate(&self, token: &str) -> ApiResult<Option<Actor>> {
        if token.len() != 64 {
            return Ok(None);
        }
        let Some(session) = self.store.session(&auth::token_hash(token)).await? else {
            return Ok(None);
        };
        if session.expires_at <= self.session_now() {
            return Ok(None);
        }
        let Some(user) = self.store.user(session.user_id).await? else {
            return Ok(None);
        };
        let store_id = self.store.shop_by_owner(user.id).await?.map(|s| s.id);
        Ok(Some(Actor { user, store_id }))
    }

    pub async fn open_store(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
    ) -> ApiResult<Shop> {
        actor.require_role(Role::Seller)?;
        let name = name.trim();
        if name.chars().count() < 2 || name.chars().count() > 80 {
            return Err(ApiError::validation("store name must be 2-80 characters"));
        }
        if description.chars().count() > 2_000 {
            return Err(ApiError::validation(
                "description must be at most 2000 characters",
            ));
        }
        let shop = Shop {
            id: StoreId::new(),
            owner_id: actor.id(),
            name: name.to_string(),
            description: description.trim().to_string(),
            created_at: self.now(),
        };
        self.store
            .commit(Changeset {
                shops: vec![shop.clone()],
                ..Default::default()
            })
            .await?;
        Ok(shop)
    }
}
