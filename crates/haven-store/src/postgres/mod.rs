//! PostgreSQL backend (sqlx), for running several servers on one database.
//!
//! Unlike SQLite there is no single writer: every [`Store::commit`] is its own
//! short READ COMMITTED transaction on a bounded connection pool, holding row
//! locks only for the few statements of one changeset. Correctness under
//! concurrency comes from the statements themselves, not from serialising
//! writers:
//!
//! - stock is taken with a guarded `UPDATE ... WHERE stock + delta >= 0`, which
//!   PostgreSQL re-checks against the newest row version after waiting on a
//!   concurrent buyer, so stock never goes negative;
//! - orders, disputes, users and conversations use optimistic versions
//!   (`WHERE version = expected`), and a one-time token is used with a guarded
//!   `UPDATE ... WHERE used_at_ms IS NULL`, so it is used at most once;
//! - uniqueness (e-mail, shop owner, tracking number, idempotency keys, ledger
//!   entry keys, one open dispute per order, one evidence entry per dispute
//!   and sequence number, one conversation per order or pre-sale pair, one
//!   message per conversation and sequence number) is enforced by unique
//!   indexes and mapped to [`Conflict`]s;
//! - due timers are claimed with `FOR UPDATE SKIP LOCKED`, so workers on
//!   different servers never claim (and so never fire) the same timer twice,
//!   and never wait on each other's claims;
//! - schema migrations and policy versions take a transaction-scoped advisory
//!   lock, so two processes starting at once cannot race;
//! - a commit that writes outbox events takes an advisory lock just before
//!   inserting them (its last statements) and holds it through COMMIT. Sequence
//!   numbers are otherwise handed out in insert order but become visible in
//!   commit order, and a relay reading `seq > last` could skip an event that
//!   committed late; with the lock, outbox seqs commit in order, as on SQLite.
//!   It serialises outbox-writing commits only for that last insert and COMMIT.
//!
//! Stock rows and balance rows are locked in one global order (sorted by
//! listing, and by account within an entry), so the common changesets cannot
//! deadlock. A transaction that PostgreSQL still aborts as a deadlock victim
//! (or a serialisation failure) wrote nothing, so [`Store::commit`] retries it
//! a few times before reporting a backend error; SQLite, with its single
//! writer, never fails that way.
//!
//! [`Store::commit`]: crate::Store::commit
//! [`Conflict`]: crate::Conflict

mod apply;
mod read;

use std::str::FromStr;
use std::time::Duration;

use haven_domain::Timestamp;
use haven_domain::clock::to_ms;
use haven_domain::policy::{Policy, PolicyVersion};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, Postgres, Transaction};

use crate::{Changeset, Conflict, StoreError, StoreResult};

/// Upper bound on connections per process. Commits hold one only for the few
/// statements of one changeset.
const MAX_CONNECTIONS: u32 = 16;
/// How long a caller waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts for a commit that PostgreSQL aborted as a deadlock victim.
const COMMIT_ATTEMPTS: usize = 3;
/// `pg_advisory_xact_lock` keys (arbitrary, fixed constants).
const MIGRATE_LOCK: i64 = 0x4841_5645_4e00_0001;
const POLICY_LOCK: i64 = 0x4841_5645_4e00_0002;
const OUTBOX_LOCK: i64 = 0x4841_5645_4e00_0003;

/// Applied in order, each in the migrating transaction, under `MIGRATE_LOCK`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("schema.sql")),
    (2, include_str!("schema2.sql")),
    (3, include_str!("schema3.sql")),
    (4, include_str!("schema4.sql")),
    (5, include_str!("schema5.sql")),
];

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect a bounded pool to the database at `url`.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        Self::connect_with(PgConnectOptions::from_str(url).map_err(backend_err)?).await
    }

    /// For tests: create a new, empty schema `haven_test_<uuid>` and connect
    /// with `search_path` set to it, so parallel runs never share tables.
    /// The schema is left behind.
    pub async fn connect_fresh_schema(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url).map_err(backend_err)?;
        let schema = format!("haven_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&options)
            .await
            .map_err(backend_err)?;
        // The name is generated above from hex digits only: safe to inline.
        conn.execute(format!("CREATE SCHEMA \"{schema}\"").as_str())
            .await
            .map_err(backend_err)?;
        conn.close().await.map_err(backend_err)?;
        Self::connect_with(options.options([("search_path", schema.as_str())])).await
    }

    async fn connect_with(options: PgConnectOptions) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(backend_err)?;
        Ok(PgStore { pool })
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(backend_err)
    }

    /// Begin a transaction holding the advisory lock `key` until it ends.
    async fn begin_locked(&self, key: i64) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(backend_err)?;
        Ok(tx)
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        let mut tx = self.begin_locked(MIGRATE_LOCK).await?;
        let result = migrate(&mut tx).await;
        finish(tx, result).await
    }

    /// Apply `changes` in one transaction, retrying deadlock victims.
    async fn commit_changes(&self, changes: &Changeset) -> StoreResult<()> {
        let mut attempt = 1;
        loop {
            let mut tx = self.begin().await?;
            let result = apply::apply(&mut tx, changes).await;
            match finish(tx, result).await {
                Err(err) if err == retryable() && attempt < COMMIT_ATTEMPTS => attempt += 1,
                done => return done,
            }
        }
    }

    async fn store_policy(&self, policy: &Policy, now: Timestamp) -> StoreResult<PolicyVersion> {
        let mut tx = self.begin_locked(POLICY_LOCK).await?;
        let result = apply::ensure_policy(&mut tx, policy, now).await;
        finish(tx, result).await
    }
}

async fn migrate(conn: &mut PgConnection) -> StoreResult<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
    )
    .await
    .map_err(backend_err)?;
    for (version, sql) in MIGRATIONS {
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend_err)?;
        if applied.is_none() {
            // No bind parameters: sent as one simple-protocol query, so the
            // whole multi-statement script runs inside this transaction.
            conn.execute(*sql).await.map_err(backend_err)?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)")
                .bind(version)
                .bind(to_ms(Timestamp::now()))
                .execute(&mut *conn)
                .await
                .map_err(backend_err)?;
        }
    }
    Ok(())
}

/// Commit on success; roll back (writing nothing) on failure.
async fn finish<T>(tx: Transaction<'_, Postgres>, result: StoreResult<T>) -> StoreResult<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(backend_err)?;
            Ok(value)
        }
        Err(err) => {
            // If the rollback itself fails the connection is discarded, and
            // the server rolls back when it goes away: nothing is written
            // either way.
            let _ = tx.rollback().await;
            Err(err)
        }
    }
}

// SQLSTATEs. After the first two (class 40) the server has rolled the
// transaction back, so running it again from the start is safe.
const DEADLOCK_DETECTED: &str = "40P01";
const SERIALIZATION_FAILURE: &str = "40001";
const UNIQUE_VIOLATION: &str = "23505";
const CHECK_VIOLATION: &str = "23514";

fn sqlstate(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// What a deadlock or serialisation failure maps to; [`PgStore`] retries
/// commits that fail with exactly this error.
fn retryable() -> StoreError {
    StoreError::Backend(
        "postgres aborted the transaction (deadlock or serialization failure)".into(),
    )
}

fn backend_err(err: sqlx::Error) -> StoreError {
    match sqlstate(&err).as_deref() {
        Some(DEADLOCK_DETECTED | SERIALIZATION_FAILURE) => retryable(),
        _ => StoreError::Backend(err.to_string()),
    }
}

/// Map a uniqueness or CHECK violation to the conflict the caller expects.
fn on_constraint(conflict: Conflict) -> impl Fn(sqlx::Error) -> StoreError {
    move |err| match sqlstate(&err).as_deref() {
        Some(UNIQUE_VIOLATION | CHECK_VIOLATION) => StoreError::Conflict(conflict),
        _ => backend_err(err),
    }
}

fn json_err(err: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("json: {err}"))
}
