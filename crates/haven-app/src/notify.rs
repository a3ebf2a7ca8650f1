//! Notifications: buyers and sellers hear of every event that concerns
//! them, in the app (the bell) and by email unless they switched that group
//! of emails off.
//!
//! The worker follows the published outbox with a cursor of its own
//! (`relay_cursors`, name [`CURSOR`]). For each event it asks the domain
//! which parties to tell and in what words (`haven_domain::notice`), finds
//! the people (the event's buyer, the store's owner), and writes their
//! notices and emails in one transaction. A notice is unique per event and
//! person, and its email is keyed the same way, so reading a batch twice
//! tells nobody twice. Events older than [`MAX_AGE_DAYS`] are passed over:
//! a deployment that turns this on, or the demo's months of seeded
//! history, does not flood anyone with old news.

use std::collections::HashMap;

use haven_domain::events::EventType;
use haven_domain::ids::{OrderId, StoreId, UserId};
use haven_domain::notice::{Audience, NoticeKind, REMIND_BEFORE_HOURS};
use haven_domain::{SignedDuration, Timestamp};
use haven_store::{Changeset, Notification, OutboxEvent, Page, PageRequest, SweepCursor, Timer};

use crate::error::AppResult;
use crate::{Actor, App};

pub const CURSOR: &str = "notifications";
/// The sweep over upcoming deadlines (`sweep_cursors`).
pub const REMINDER_SWEEP: &str = "reminders";
/// At most this many batches of deadlines per pass.
const MAX_REMINDER_BATCHES: usize = 8;
const BATCH: u32 = 256;
/// Batches of events per pass of the worker.
const MAX_BATCHES: usize = 16;
pub const MAX_AGE_DAYS: i64 = 7;
/// The bell counts up to this many ("99+" beyond).
pub const UNREAD_CAP: u32 = 100;

/// What one batch looked up, so a busy order costs one read per batch.
#[derive(Default)]
struct Lookups {
    items: HashMap<uuid::Uuid, String>,
    owners: HashMap<StoreId, Option<UserId>>,
    users: HashMap<UserId, Option<haven_domain::account::User>>,
}

impl App {
    /// Write the notices (and emails) for the published events not yet
    /// followed, batch by batch, up to [`MAX_BATCHES`] per call so a busy
    /// sale cannot leave the bell ever further behind; how many notices
    /// were written.
    pub async fn fan_out_notifications(&self) -> AppResult<usize> {
        crate::relay::in_batches(MAX_BATCHES, BATCH, || self.fan_out_notification_batch()).await
    }

    /// One batch: (notices written, events read).
    async fn fan_out_notification_batch(&self) -> AppResult<(usize, usize)> {
        let from = self.store.relay_position(CURSOR).await?;
        let events = self.store.outbox_after(from, BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok((0, 0));
        };
        let now = self.now();
        let oldest = now - SignedDuration::from_hours(24 * MAX_AGE_DAYS);
        let mut lookups = Lookups::default();
        let mut changes = Changeset::default();
        for event in events.iter().filter(|e| e.created_at >= oldest) {
            self.notices_for_event(event, &mut lookups, &mut changes, now)
                .await?;
        }
        let written = changes.notifications.len();
        if !changes.is_empty() {
            self.store.commit(changes).await?;
        }
        // False: another node moved it first, having written the same rows.
        self.store.advance_relay(CURSOR, from, last).await?;
        Ok((written, events.len()))
    }

    async fn notices_for_event(
        &self,
        event: &OutboxEvent,
        lookups: &mut Lookups,
        changes: &mut Changeset,
        now: Timestamp,
    ) -> AppResult<()> {
        let Some(kind) = EventType::parse(&event.topic) else {
            return Ok(());
        };
        let order = event.payload_id("order_id");
        let dispute = event.payload_id("dispute_id");
        let item = match order {
            Some(id) => self.item_name(id, lookups).await?,
            None => String::new(),
        };
        let id_text = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
        let step = (kind == EventType::DisputeUpdated)
            .then(|| event.payload["step"].as_str())
            .flatten()
            .and_then(|step| {
                haven_domain::notice::dispute_step_notice(step, &item, &id_text(dispute))
            });
        let notices = match step {
            Some(notice) => vec![notice],
            None => {
                haven_domain::notice::notices_for(kind, &item, &id_text(order), &id_text(dispute))
            }
        };
        for notice in notices {
            let recipient = match notice.audience {
                Audience::Buyer => event.payload_id("buyer_id").map(UserId),
                Audience::Seller => match event.payload_id("store_id") {
                    Some(store) => self.owner_of(StoreId(store), lookups).await?,
                    None => None,
                },
            };
            let Some(user) = recipient else { continue };
            let notification = Notification {
                id: uuid::Uuid::now_v7(),
                user_id: user,
                event_id: event.id,
                kind: notice.kind,
                title: notice.title,
                detail: notice.detail,
                link: notice.link,
                created_at: event.created_at,
                read_at: None,
            };
            self.tell(notification, lookups, changes, now).await?;
        }
        Ok(())
    }

    async fn item_name(&self, order: uuid::Uuid, lookups: &mut Lookups) -> AppResult<String> {
        if let Some(name) = lookups.items.get(&order) {
            return Ok(name.clone());
        }
        let name = self
            .store
            .order(OrderId(order))
            .await?
            .map_or_else(|| "your order".to_string(), |o| o.listing_title.clone());
        lookups.items.insert(order, name.clone());
        Ok(name)
    }

    async fn owner_of(&self, store: StoreId, lookups: &mut Lookups) -> AppResult<Option<UserId>> {
        if let Some(owner) = lookups.owners.get(&store) {
            return Ok(*owner);
        }
        let owner = self.store.shop(store).await?.map(|s| s.owner_id);
        lookups.owners.insert(store, owner);
        Ok(owner)
    }

    /// Write the notice, and queue its email unless the person switched
    /// its group off (keyed by event and person, like the notice). A closed
    /// account is told nothing: nobody reads it, and its address is gone.
    async fn tell(
        &self,
        notice: Notification,
        lookups: &mut Lookups,
        changes: &mut Changeset,
        now: Timestamp,
    ) -> AppResult<()> {
        let user = match lookups.users.get(&notice.user_id) {
            Some(user) => user.clone(),
            None => {
                let user = self.store.user(notice.user_id).await?;
                lookups.users.insert(notice.user_id, user.clone());
                user
            }
        };
        let Some(user) = user.filter(|u| !u.is_closed()) else {
            return Ok(());
        };
        if !user.email_off.contains(&notice.kind) {
            self.email_notice(&notice, &user, changes, now);
        }
        changes.notifications.push(notice);
        Ok(())
    }

    fn email_notice(
        &self,
        notice: &Notification,
        user: &haven_domain::account::User,
        changes: &mut Changeset,
        now: Timestamp,
    ) {
        let body = format!(
            "Hello {},\n\n{}\n\n{}\n\n{}{}\n\nYou can choose which emails Haven sends you in your account's notification settings.",
            user.display_name,
            notice.title,
            notice.detail,
            self.config.base_url.trim_end_matches('/'),
            notice.link
        );
        let key = format!("notice:{}:{}", notice.event_id, notice.user_id);
        changes.commands.push(crate::mail::email_command(
            user.email.as_str(),
            &notice.title,
            body,
            key,
            now,
        ));
    }

    /// Remind people, a day ahead, of the deadlines they must act by: the
    /// sweep walks the pending deadlines falling due within
    /// [`REMIND_BEFORE_HOURS`] in due order, from where it stopped last
    /// time (the first run starts now: deadlines already missed are not
    /// reminded). A deadline that moves later is met again and reminded
    /// again, for its new time. How many notices were written.
    pub async fn send_deadline_reminders(&self) -> AppResult<usize> {
        let now = self.now();
        let horizon = now + SignedDuration::from_hours(REMIND_BEFORE_HOURS);
        let mut stored = self.store.sweep_cursor(REMINDER_SWEEP).await?;
        let mut cursor = stored.clone().unwrap_or_else(|| SweepCursor::at(now));
        let mut lookups = Lookups::default();
        let mut written = 0;
        for _ in 0..MAX_REMINDER_BATCHES {
            let deadlines = self.store.timers_after(&cursor, horizon, BATCH).await?;
            let Some(last) = deadlines.last() else { break };
            let next = SweepCursor::past(last);
            let mut changes = Changeset::default();
            // Deadlines the sweep reaches late (it was down) have passed.
            for deadline in deadlines.iter().filter(|d| d.due_at > now) {
                self.remind(deadline, &mut lookups, &mut changes, now)
                    .await?;
            }
            written += changes.notifications.len();
            if !changes.is_empty() {
                self.store.commit(changes).await?;
            }
            // False: another node moved it, having written the same rows.
            if !self
                .store
                .advance_sweep(REMINDER_SWEEP, stored.as_ref(), &next)
                .await?
            {
                break;
            }
            stored = Some(next.clone());
            cursor = next;
            if deadlines.len() < BATCH as usize {
                break;
            }
        }
        Ok(written)
    }

    async fn remind(
        &self,
        deadline: &Timer,
        lookups: &mut Lookups,
        changes: &mut Changeset,
        now: Timestamp,
    ) -> AppResult<()> {
        let Some(order) = self.store.order(deadline.order_id).await? else {
            return Ok(());
        };
        let due = deadline.due_at.strftime("%a %-d %b, %H:%M UTC").to_string();
        let Some(reminder) = haven_domain::notice::reminder_for(
            deadline.kind,
            &order.listing_title,
            &order.id.to_string(),
            &due,
        ) else {
            return Ok(());
        };
        let recipient = match reminder.audience {
            Audience::Buyer => Some(order.buyer_id),
            Audience::Seller => self.owner_of(order.store_id, lookups).await?,
        };
        let Some(user_id) = recipient else {
            return Ok(());
        };
        let notification = Notification {
            id: uuid::Uuid::now_v7(),
            user_id,
            event_id: reminder_id(deadline),
            kind: reminder.kind,
            title: reminder.title,
            detail: reminder.detail,
            link: reminder.link,
            created_at: now,
            read_at: None,
        };
        self.tell(notification, lookups, changes, now).await
    }

    /// The signed-in person's notices, newest first.
    pub async fn my_notifications(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> AppResult<Page<Notification>> {
        Ok(self.store.notifications_for(actor.id(), page).await?)
    }

    pub async fn unread_notifications(&self, actor: &Actor) -> AppResult<u32> {
        Ok(self
            .store
            .unread_notifications(actor.id(), UNREAD_CAP)
            .await?)
    }

    /// Mark every notice the person has as read.
    pub async fn read_notifications(&self, actor: &Actor) -> AppResult<()> {
        self.store
            .commit(Changeset {
                notifications_read: vec![(actor.id(), self.now())],
                ..Changeset::default()
            })
            .await?;
        Ok(())
    }

    /// Which groups of notices the person gets no email for.
    pub async fn set_email_off(&self, actor: &Actor, off: Vec<NoticeKind>) -> AppResult<()> {
        let mut user = self
            .store
            .user(actor.id())
            .await?
            .ok_or_else(|| crate::error::AppError::not_found("user"))?;
        let mut off = off;
        off.sort_by_key(|k| k.as_str());
        off.dedup();
        user.email_off = off;
        let expected_version = user.version;
        self.store
            .commit(Changeset {
                user_updates: vec![haven_store::UserWrite {
                    user,
                    expected_version,
                }],
                ..Changeset::default()
            })
            .await?;
        Ok(())
    }
}

/// A reminder's stand-in for an event id: the same deadline at the same
/// time always gives the same id, so a notice is written once per person
/// however often the sweep meets it, and again when the deadline moves.
fn reminder_id(deadline: &Timer) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "reminder:{}:{}",
        deadline.id.0,
        deadline.due_at.as_millisecond()
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

pub const MESSAGE_DIGEST: &str = "notify.message_digest";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigestRequest {
    pub user_id: UserId,
}

/// The command that tells `user` of their new messages at the end of the
/// window `at` falls in: one per person and window, however many messages
/// arrive in it (the dedupe key is the window's).
pub fn message_digest_command(user: UserId, at: Timestamp) -> haven_store::NewCommand {
    let (window, due_ms) = haven_domain::notice::message_digest_window(at.as_millisecond());
    let mut command = haven_store::NewCommand::new(
        MESSAGE_DIGEST,
        format!("digest:{user}:{window}"),
        serde_json::to_value(DigestRequest { user_id: user }).expect("digests serialise"),
        None,
        at,
    );
    command.not_before = Timestamp::from_millisecond(due_ms).unwrap_or(at);
    command
}

impl App {
    /// Tell someone of the messages still unread at the end of a window:
    /// one notice, and one email unless they switched message emails off.
    /// Messages read meanwhile are not told of.
    pub(crate) async fn send_message_digest(
        &self,
        command: &haven_store::Command,
    ) -> Result<(), String> {
        let request: DigestRequest = serde_json::from_value(command.payload.clone())
            .map_err(|e| format!("unreadable digest: {e}"))?;
        let fail = |e: haven_store::StoreError| e.to_string();
        let Some(user) = self.store.user(request.user_id).await.map_err(fail)? else {
            return Ok(());
        };
        if user.is_closed() {
            return Ok(());
        }
        let store = self.store.shop_by_owner(user.id).await.map_err(fail)?;
        let unread = self
            .store
            .unread_count(user.id, store.map(|s| s.id))
            .await
            .map_err(fail)?;
        if unread == 0 {
            return Ok(());
        }
        let (title, detail) = haven_domain::notice::message_digest(unread);
        let now = self.now();
        let notice = Notification {
            id: uuid::Uuid::now_v7(),
            user_id: user.id,
            // The command's id: a retried digest writes the same notice.
            event_id: command.id,
            kind: NoticeKind::Messages,
            title,
            detail: detail.to_string(),
            link: "/messages".into(),
            created_at: now,
            read_at: None,
        };
        let mut changes = Changeset::default();
        if !user.email_off.contains(&NoticeKind::Messages) {
            self.email_notice(&notice, &user, &mut changes, now);
        }
        changes.notifications.push(notice);
        self.store.commit(changes).await.map_err(fail)
    }
}
