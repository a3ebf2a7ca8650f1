//! PostgreSQL backend (sqlx), for running several servers on one database:
//! only the transaction mechanics. The statements, their order and the row
//! decoders are the shared core's (`crate::core`).
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
//! - uniqueness (e-mail and look-alike names, shop owner, tracking number,
//!   idempotency keys, ledger entry keys, command keys, one open dispute per
//!   order, one evidence entry per dispute and sequence number, one
//!   conversation per order or pre-sale pair, one message per conversation
//!   and sequence number) is enforced by unique indexes and mapped to
//!   [`Conflict`]s by SQLSTATE;
//! - due timers and commands are claimed with `FOR UPDATE SKIP LOCKED`, so
//!   workers on different servers never claim the same row twice, and never
//!   wait on each other's claims;
//! - schema migrations and policy versions take a transaction-scoped advisory
//!   lock, so two processes starting at once cannot race;
//! - outbox rows are inserted without a lock and published later: the
//!   sequencer (one at a time, under an advisory lock) gives committed rows
//!   the next positions. Insert order and commit order differ on
//!   PostgreSQL, so a reader following raw `seq` could skip an event that
//!   committed late; following `pos`, it cannot, and no writer ever waits
//!   on another's commit to add an event.
//!
//! The planner puts stock rows and balance rows in one global order, so the
//! common changesets cannot deadlock. A transaction that PostgreSQL still
//! aborts as a deadlock victim (or a serialisation failure) wrote nothing, so
//! [`Store::commit`] retries it a few times (detected by SQLSTATE).
//!
//! [`Store::commit`]: crate::Store::commit
//! [`Conflict`]: crate::Conflict

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::clock::to_ms;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{
    Column, Connection, Executor, PgConnection, Postgres, Row as _, Transaction, TypeInfo, ValueRef,
};

use crate::core::{
    Backend, Core, ExecError, Expect, Op, Outcome, Row, Sql, Stmt, Value, check_outcome,
    to_postgres,
};
use crate::{StoreError, StoreResult};

/// Upper bound on connections per process. Commits hold one only for the few
/// statements of one changeset.
const MAX_CONNECTIONS: u32 = 16;
/// How long a caller waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts for a commit that PostgreSQL aborted as a deadlock victim.
const COMMIT_ATTEMPTS: usize = 3;
/// `pg_advisory_xact_lock` key for migrations (arbitrary, fixed).
const MIGRATE_LOCK: i64 = 0x4841_5645_4e00_0001;

/// Applied in order, each in the migrating transaction, under `MIGRATE_LOCK`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("schema.sql")),
    (2, include_str!("schema2.sql")),
    (3, include_str!("schema3.sql")),
    (4, include_str!("schema4.sql")),
    (5, include_str!("schema5.sql")),
    (6, include_str!("schema6.sql")),
    (7, include_str!("schema7.sql")),
    (8, include_str!("schema8.sql")),
    (9, include_str!("schema9.sql")),
    (10, include_str!("schema10.sql")),
    (11, include_str!("schema11.sql")),
    (12, include_str!("schema12.sql")),
    (13, include_str!("schema13.sql")),
    (14, include_str!("schema14.sql")),
    (15, include_str!("schema15.sql")),
    (16, include_str!("schema16.sql")),
    (17, include_str!("schema17.sql")),
    (18, include_str!("schema18.sql")),
    (19, include_str!("schema19.sql")),
    (20, include_str!("schema20.sql")),
    (21, include_str!("schema21.sql")),
    (22, include_str!("schema22.sql")),
    (23, include_str!("schema23.sql")),
    (24, include_str!("schema24.sql")),
    (25, include_str!("schema25.sql")),
    (26, include_str!("schema26.sql")),
    (27, include_str!("schema27.sql")),
    (28, include_str!("schema28.sql")),
    (29, include_str!("schema29.sql")),
];

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// The PostgreSQL store: the shared core over this backend.
pub type PgStore = Core<PgBackend>;

pub struct PgBackend {
    pool: PgPool,
    /// The options this pool connects with: another server process (or a
    /// test standing in for one) can connect the same way.
    options: PgConnectOptions,
    /// Catalogue statements in `$N` form, converted once each.
    texts: Mutex<HashMap<&'static str, &'static str>>,
}

impl Core<PgBackend> {
    /// Connect a bounded pool to the database at `url`.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url).map_err(other)?;
        Ok(Core::new(PgBackend::connect_with(options).await?))
    }

    /// For tests: create a new, empty schema `haven_test_<uuid>` and connect
    /// with `search_path` set to it, so parallel runs never share tables.
    /// The schema is left behind.
    pub async fn connect_fresh_schema(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url).map_err(other)?;
        let schema = format!("haven_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&options).await.map_err(other)?;
        // The name is generated above from hex digits only: safe to inline.
        conn.execute(format!("CREATE SCHEMA \"{schema}\"").as_str())
            .await
            .map_err(other)?;
        conn.close().await.map_err(other)?;
        let options = options.options([("search_path", schema.as_str())]);
        Ok(Core::new(PgBackend::connect_with(options).await?))
    }
}

impl Core<PgBackend> {
    /// A second, independent pool on the same database and schema: what
    /// another server process sharing this database would have.
    pub async fn connect_again(&self) -> StoreResult<PgStore> {
        let options = self.backend.options.clone();
        Ok(Core::new(PgBackend::connect_with(options).await?))
    }
}

impl PgBackend {
    async fn connect_with(options: PgConnectOptions) -> StoreResult<PgBackend> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(other)?;
        Ok(PgBackend {
            pool,
            options,
            texts: Mutex::new(HashMap::new()),
        })
    }

    /// The statement's PostgreSQL text.
    fn text(&self, sql: Sql) -> &'static str {
        match sql {
            Sql::Split { postgres, .. } => postgres,
            Sql::Shared(shared) => {
                let mut texts = self.texts.lock().expect("statement texts");
                // The catalogue is a fixed set of constants: this map and
                // what it leaks are bounded by it.
                texts
                    .entry(shared)
                    .or_insert_with(|| Box::leak(to_postgres(shared).into_boxed_str()))
            }
        }
    }

    fn bind<'q>(&self, stmt: &'q Stmt) -> PgQuery<'q> {
        let mut query = sqlx::query(self.text(stmt.sql));
        for value in &stmt.params {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
                Value::Blob(v) => query.bind(v.as_slice()),
                Value::Bool(v) => query.bind(*v),
                Value::NullInt => query.bind(Option::<i64>::None),
                Value::NullText => query.bind(Option::<String>::None),
            };
        }
        query
    }

    /// Run one statement on `conn`; a statement with result columns (a
    /// query, or a write with RETURNING) hands its rows back.
    async fn exec(&self, conn: &mut PgConnection, stmt: &Stmt) -> Result<Outcome, ExecError> {
        let returns_rows = {
            let text = self.text(stmt.sql).trim_start();
            text.starts_with("SELECT") || text.contains("RETURNING")
        };
        let query = self.bind(stmt);
        if returns_rows {
            let rows = query.fetch_all(conn).await.map_err(classify)?;
            let rows = rows
                .iter()
                .map(decode_row)
                .collect::<StoreResult<Vec<_>>>()
                .map_err(ExecError::Other)?;
            Ok(Outcome {
                changed: rows.len() as u64,
                rows,
            })
        } else {
            let done = query.execute(conn).await.map_err(classify)?;
            Ok(Outcome {
                changed: done.rows_affected(),
                rows: Vec::new(),
            })
        }
    }

    async fn run_once(&self, ops: &[Op]) -> StoreResult<Vec<Vec<Row>>> {
        let mut tx = self.pool.begin().await.map_err(other)?;
        let result = self.run_in(&mut tx, ops).await;
        finish(tx, result).await
    }

    async fn run_in(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        ops: &[Op],
    ) -> StoreResult<Vec<Vec<Row>>> {
        let mut kept = Vec::new();
        for op in ops {
            match op {
                Op::Lock(key) => {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)")
                        .bind(*key)
                        .execute(&mut **tx)
                        .await
                        .map_err(other)?;
                }
                Op::Exec {
                    stmt,
                    expect,
                    on_violation,
                } => {
                    let outcome = self.exec(&mut *tx, stmt).await;
                    let rows = check_outcome(outcome, *expect, *on_violation)?;
                    if *expect == Expect::Rows {
                        kept.push(rows);
                    }
                }
            }
        }
        Ok(kept)
    }
}

#[async_trait]
impl Backend for PgBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn reads_cost_round_trips(&self) -> bool {
        // Every statement is a round trip to the server.
        true
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(other)?;
        let result = async {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATE_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            migrate(&mut tx).await
        }
        .await;
        finish(tx, result).await
    }

    async fn query(&self, stmt: Stmt) -> StoreResult<Vec<Row>> {
        let mut conn = self.pool.acquire().await.map_err(other)?;
        match self.exec(&mut conn, &stmt).await {
            Ok(outcome) => Ok(outcome.rows),
            Err(ExecError::Violation(report)) => {
                Err(StoreError::Backend(format!("constraint: {report}")))
            }
            Err(ExecError::Other(err)) => Err(err),
        }
    }

    /// One transaction; a deadlock victim or serialisation failure wrote
    /// nothing and is run again from the start.
    async fn run(&self, ops: Vec<Op>) -> StoreResult<Vec<Vec<Row>>> {
        let mut attempt = 1;
        loop {
            match self.run_once(&ops).await {
                Err(err) if err == retryable() && attempt < COMMIT_ATTEMPTS => attempt += 1,
                done => return done,
            }
        }
    }
}

fn decode_row(row: &PgRow) -> StoreResult<Row> {
    let mut values = Vec::with_capacity(row.columns().len());
    for (idx, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(idx).map_err(other)?;
        if raw.is_null() {
            values.push(Value::NullText);
            continue;
        }
        let value = match column.type_info().name() {
            "INT8" => Value::Int(row.try_get::<i64, _>(idx).map_err(other)?),
            "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(idx).map_err(other)?)),
            "INT2" => Value::Int(i64::from(row.try_get::<i16, _>(idx).map_err(other)?)),
            "BOOL" => Value::Bool(row.try_get::<bool, _>(idx).map_err(other)?),
            "BYTEA" => Value::Blob(row.try_get::<Vec<u8>, _>(idx).map_err(other)?),
            _ => Value::Text(row.try_get::<String, _>(idx).map_err(other)?),
        };
        values.push(value);
    }
    Ok(Row(values))
}

async fn migrate(conn: &mut PgConnection) -> StoreResult<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
    )
    .await
    .map_err(other)?;
    for (version, sql) in MIGRATIONS {
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *conn)
            .await
            .map_err(other)?;
        if applied.is_none() {
            // No bind parameters: sent as one simple-protocol query, so the
            // whole multi-statement script runs inside this transaction.
            conn.execute(*sql).await.map_err(other)?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)")
                .bind(version)
                .bind(to_ms(Timestamp::now()))
                .execute(&mut *conn)
                .await
                .map_err(other)?;
        }
    }
    Ok(())
}

/// Commit on success; roll back (writing nothing) on failure.
async fn finish<T>(tx: Transaction<'_, Postgres>, result: StoreResult<T>) -> StoreResult<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(other)?;
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

/// What a deadlock or serialisation failure maps to; the backend retries
/// plans that fail with exactly this error.
fn retryable() -> StoreError {
    StoreError::Backend(
        "postgres aborted the transaction (deadlock or serialization failure)".into(),
    )
}

fn other(err: sqlx::Error) -> StoreError {
    match sqlstate(&err).as_deref() {
        Some(DEADLOCK_DETECTED | SERIALIZATION_FAILURE) => retryable(),
        _ => StoreError::Backend(err.to_string()),
    }
}

/// A unique or CHECK violation, reported with the constraint's name (which
/// names its columns); anything else by SQLSTATE class.
/// `numeric_value_out_of_range`: a BIGINT sum that left the 64-bit range.
const OUT_OF_RANGE: &str = "22003";

fn classify(err: sqlx::Error) -> ExecError {
    if let sqlx::Error::Database(db) = &err
        && db.code().as_deref() == Some(OUT_OF_RANGE)
    {
        return ExecError::Other(crate::StoreError::Backend(
            "an amount left the 64-bit integer range".into(),
        ));
    }
    if let sqlx::Error::Database(db) = &err
        && matches!(
            db.code().as_deref(),
            Some(UNIQUE_VIOLATION | CHECK_VIOLATION)
        )
    {
        return ExecError::Violation(db.constraint().unwrap_or_default().to_string());
    }
    ExecError::Other(other(err))
}
