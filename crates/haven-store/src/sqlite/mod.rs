//! SQLite backend: only the transaction mechanics. The statements, their
//! order and the row decoders are the shared core's (`crate::core`).
//!
//! SQLite allows one writer at a time, so every write goes to one dedicated
//! thread that owns the only read-write connection. It drains whatever jobs
//! are queued (up to [`MAX_BATCH`]), runs them in one transaction and
//! commits the whole batch once (group commit): one fsync for many requests.
//! A job's caller is answered only after that COMMIT is durable. A failing
//! job is undone without disturbing the rest of the batch (see
//! [`run_batch`]).
//!
//! Reads run on a small pool of read-only connections (WAL lets them proceed
//! while the writer commits).

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::clock::to_ms;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::core::{Backend, Core, ExecError, Op, Outcome, Row, Sql, Stmt, Value, check_outcome};
use crate::{StoreError, StoreResult};

/// Most jobs folded into one transaction. Bounded so one COMMIT never holds
/// an unbounded amount of work or latency.
pub const MAX_BATCH: usize = 512;
/// Requests waiting for the writer; callers wait (back-pressure) past this.
const WRITE_QUEUE_DEPTH: usize = 8_192;
const MAX_READERS: usize = 8;
const BUSY_TIMEOUT_MS: u64 = 5_000;
/// Prepared statements kept per connection: the catalogue has about 130.
const STATEMENT_CACHE: usize = 256;

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

type AnyBox = Box<dyn Any + Send>;
/// A job may run more than once (see [`run_batch`]), so it is `Fn`.
type WorkFn = Box<dyn Fn(&Connection) -> StoreResult<AnyBox> + Send>;

struct WriteJob {
    work: WorkFn,
    reply: oneshot::Sender<StoreResult<AnyBox>>,
}

/// The SQLite store: the shared core over this backend.
pub type SqliteStore = Core<SqliteBackend>;

pub struct SqliteBackend {
    path: PathBuf,
    writer: mpsc::Sender<WriteJob>,
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_slots: Arc<Semaphore>,
    /// Dropping it stops the checkpoint thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

pub(crate) fn backend_err(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

impl Core<SqliteBackend> {
    /// Open (creating if needed) the database at `path` and start its writer.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        Ok(Core::new(SqliteBackend::open(path)?))
    }
}

impl SqliteBackend {
    fn open(path: &Path) -> StoreResult<SqliteBackend> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(backend_err)?;
        }
        let conn = Connection::open(path).map_err(backend_err)?;
        // The statement journal (savepoints after a failed job, statements
        // that may fail half-way) stays in memory: it spilled to a temp file
        // before, ~90 pwrite calls an order,
        // and the WAL is checkpointed by its own thread, not the writer.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(backend_err)?;
        let restart_wal = Arc::new(AtomicBool::new(false));
        let checkpointer = spawn_checkpointer(path, restart_wal.clone())?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(backend_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let (tx, rx) = mpsc::channel(WRITE_QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("haven-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, restart_wal))
            .map_err(backend_err)?;
        Ok(SqliteBackend {
            path: path.to_path_buf(),
            writer: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            reader_slots: Arc::new(Semaphore::new(MAX_READERS)),
            _checkpointer: checkpointer,
        })
    }

    /// Run `work` on the writer thread inside the current batch.
    async fn write<T: Send + 'static>(
        &self,
        work: impl Fn(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let work: WorkFn = Box::new(move |conn| work(conn).map(|value| Box::new(value) as AnyBox));
        self.writer
            .send(WriteJob { work, reply })
            .await
            .map_err(|_| StoreError::Backend("sqlite writer stopped".into()))?;
        let boxed = answer
            .await
            .map_err(|_| StoreError::Backend("sqlite writer dropped a job".into()))??;
        Ok(*boxed
            .downcast::<T>()
            .expect("writer returns the job's own type"))
    }

    /// Run `work` on a read-only connection from the pool, on the calling
    /// thread: a read is a few microseconds against the page cache, far
    /// less than handing it to another thread and back.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let _permit = self.reader_slots.acquire().await.map_err(backend_err)?;
        let pooled = self.readers.lock().expect("reader pool").pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let result = work(&conn);
        self.readers.lock().expect("reader pool").push(conn);
        result
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn reads_cost_round_trips(&self) -> bool {
        // In process: separate reads run on the reader pool side by side.
        false
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.write(migrate).await
    }

    async fn query(&self, stmt: Stmt) -> StoreResult<Vec<Row>> {
        self.read(move |conn| exec(conn, &stmt).map(|o| o.rows).map_err(exec_err))
            .await
    }

    async fn run(&self, ops: Vec<Op>) -> StoreResult<Vec<Vec<Row>>> {
        self.write(move |conn| run_ops(conn, &ops)).await
    }
}

fn exec_err(err: ExecError) -> StoreError {
    match err {
        ExecError::Violation(report) => StoreError::Backend(format!("constraint: {report}")),
        ExecError::Other(err) => err,
    }
}

/// A plan, inside the writer's savepoint: the first failed step ends it.
fn run_ops(conn: &Connection, ops: &[Op]) -> StoreResult<Vec<Vec<Row>>> {
    let mut kept = Vec::new();
    for op in ops {
        let Op::Exec {
            stmt,
            expect,
            on_violation,
        } = op
        else {
            // One writer: there is nobody to lock out.
            continue;
        };
        let rows = check_outcome(exec(conn, stmt), *expect, *on_violation)?;
        if *expect == crate::core::Expect::Rows {
            kept.push(rows);
        }
    }
    Ok(kept)
}

fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Int(v) => SqlValue::Integer(*v),
        Value::Text(v) => SqlValue::Text(v.clone()),
        Value::Blob(v) => SqlValue::Blob(v.clone()),
        Value::Bool(v) => SqlValue::Integer(i64::from(*v)),
        Value::NullInt | Value::NullText => SqlValue::Null,
    }
}

fn from_sql(value: ValueRef<'_>) -> Result<Value, ExecError> {
    Ok(match value {
        ValueRef::Null => Value::NullText,
        ValueRef::Integer(v) => Value::Int(v),
        // No column is REAL. SQLite turns an integer sum that leaves the
        // 64-bit range into a REAL instead of failing: refuse it, so the
        // transaction that would have stored it rolls back.
        ValueRef::Real(_) => {
            return Err(ExecError::Other(crate::StoreError::Backend(
                "an amount left the 64-bit integer range".into(),
            )));
        }
        ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Blob(v) => Value::Blob(v.to_vec()),
    })
}

/// Run one statement; a statement with result columns (a query, or a write
/// with RETURNING) hands its rows back.
fn exec(conn: &Connection, stmt: &Stmt) -> Result<Outcome, ExecError> {
    let text = match stmt.sql {
        Sql::Shared(text) | Sql::Split { sqlite: text, .. } => text,
    };
    let mut prepared = conn.prepare_cached(text).map_err(classify)?;
    let params: Vec<SqlValue> = stmt.params.iter().map(to_sql).collect();
    let bound = rusqlite::params_from_iter(params.iter());
    let columns = prepared.column_count();
    if columns == 0 {
        let changed = prepared.execute(bound).map_err(classify)?;
        return Ok(Outcome {
            changed: changed as u64,
            rows: Vec::new(),
        });
    }
    let mut cursor = prepared.query(bound).map_err(classify)?;
    let mut rows = Vec::new();
    while let Some(row) = cursor.next().map_err(classify)? {
        let values = (0..columns)
            .map(|i| row.get_ref(i).map_err(classify).and_then(from_sql))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(Row(values));
    }
    Ok(Outcome {
        changed: rows.len() as u64,
        rows,
    })
}

/// A unique, primary-key or CHECK violation is a conflict the plan may
/// expect; anything else (a foreign key naming a missing row) is a bug.
fn classify(err: rusqlite::Error) -> ExecError {
    const UNIQUE: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE;
    const PRIMARY_KEY: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
    const CHECK: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_CHECK;
    match &err {
        rusqlite::Error::SqliteFailure(e, message)
            if e.code == ErrorCode::ConstraintViolation
                && matches!(e.extended_code, UNIQUE | PRIMARY_KEY | CHECK) =>
        {
            ExecError::Violation(message.clone().unwrap_or_default())
        }
        _ => ExecError::Other(backend_err(err)),
    }
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
    )
    .map_err(backend_err)?;
    for (version, sql) in MIGRATIONS {
        let applied: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend_err)?;
        if applied.is_none() {
            conn.execute_batch(sql).map_err(backend_err)?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![version, to_ms(Timestamp::now())],
            )
            .map_err(backend_err)?;
        }
    }
    Ok(())
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(backend_err)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(backend_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// WAL pages past which the log is started again (256 MiB at 4 KiB pages).
const WAL_RESTART_PAGES: i64 = 65_536;

/// Checkpoint the WAL from a connection of its own, PASSIVE (never waiting
/// on the writer or readers), so the writer thread mostly only appends.
///
/// A PASSIVE checkpoint copies frames back but cannot start the log again
/// while the writer keeps it busy, so under steady load the WAL only grew
/// (to 48 GB, filling the disk, in a 500-second checkout benchmark; a
/// TRUNCATE from this thread starved behind the writer too). So once the
/// log passes `WAL_RESTART_PAGES`, this thread raises `restart_wal` and the
/// writer restarts it between two batches, when it holds the write lock
/// anyway: by then PASSIVE has copied almost every frame back, so that
/// costs it little more than waiting for readers and one fsync. RESTART,
/// not TRUNCATE: the next commits overwrite the file's first frames in
/// place, where a truncated file grows again block by block, and every
/// commit's fsync would also have to write the file's new size.
fn spawn_checkpointer(
    path: &Path,
    restart_wal: Arc<AtomicBool>,
) -> StoreResult<std::sync::mpsc::Sender<()>> {
    let conn = Connection::open(path).map_err(backend_err)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(backend_err)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("haven-sqlite-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                    row.get::<_, i64>(1)
                }) {
                    Ok(wal_pages) if wal_pages > WAL_RESTART_PAGES => {
                        restart_wal.store(true, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed"),
                }
            }
        })
        .map_err(backend_err)?;
    Ok(stop)
}

fn writer_loop(conn: Connection, mut jobs: mpsc::Receiver<WriteJob>, restart_wal: Arc<AtomicBool>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, batch);
        if restart_wal.swap(false, Ordering::Relaxed)
            && let Err(err) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
        {
            tracing::warn!(error = %err, "WAL restart failed");
        }
    }
}

type Answer = (oneshot::Sender<StoreResult<AnyBox>>, StoreResult<AnyBox>);

/// Run a batch in one transaction. Most batches have no failing job, so the
/// jobs first run back to back without savepoints: a savepoint copies every
/// page a job touches into the statement journal, which was a fifth of the
/// writer's time. When a job fails, its partial writes cannot be undone
/// alone, so the transaction is rolled back and the batch replayed: the
/// jobs before it again without savepoints (they succeed again, since a job
/// is a deterministic function of the database and nothing else wrote in
/// between), the failed job answered with its error, and the rest each in
/// its own savepoint.
fn run_batch(conn: &Connection, batch: Vec<WriteJob>) {
    if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
        for job in batch {
            let _ = job.reply.send(Err(backend_err(&err)));
        }
        return;
    }
    let (results, stopped) = run_straight(conn, &batch);
    let Some(failure) = stopped else {
        let answers = batch.into_iter().map(|job| job.reply).zip(results);
        commit_batch(conn, answers.collect());
        return;
    };
    let failed_at = results.len();
    let mut jobs = batch.into_iter();
    let mut answers: Vec<Answer> = Vec::with_capacity(jobs.len());
    if conn.is_autocommit() {
        // SQLite abandoned the transaction (disk full, I/O error): the jobs
        // before the failure are gone with it.
        for job in jobs.by_ref().take(failed_at) {
            let _ = job.reply.send(Err(lost_transaction()));
        }
    } else {
        let _ = conn.execute_batch("ROLLBACK");
        let prefix: Vec<WriteJob> = jobs.by_ref().take(failed_at).collect();
        match replay_prefix(conn, &prefix) {
            Some(replayed) => answers.extend(prefix.into_iter().map(|job| job.reply).zip(replayed)),
            None => {
                // Should not happen; if it does, trust nothing run so far.
                let rest: Vec<WriteJob> = prefix.into_iter().chain(jobs).collect();
                return run_with_savepoints(conn, rest, Vec::new());
            }
        }
    }
    if let Some(job) = jobs.next() {
        if conn.is_autocommit() {
            let _ = job.reply.send(failure);
        } else {
            // Answered with the batch's commit, not before: its failure
            // may come from a job before it (the same key inserted twice),
            // and a caller that then reads must find that job's row.
            answers.push((job.reply, failure));
        }
    }
    run_with_savepoints(conn, jobs.collect(), answers);
}

/// Run jobs in order inside the open transaction until one fails or the
/// transaction is lost. Returns the results of the jobs that succeeded and
/// the first failure, if any.
fn run_straight(
    conn: &Connection,
    jobs: &[WriteJob],
) -> (Vec<StoreResult<AnyBox>>, Option<StoreResult<AnyBox>>) {
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let result = run_guarded(conn, &job.work);
        if result.is_err() || conn.is_autocommit() {
            let failure = match result {
                Ok(_) => Err(lost_transaction()),
                err => err,
            };
            return (results, Some(failure));
        }
        results.push(result);
    }
    (results, None)
}

/// Run again, in a fresh transaction, the jobs that succeeded before a
/// failure. `None` (with the transaction rolled back) if any of them fails
/// this time.
fn replay_prefix(conn: &Connection, prefix: &[WriteJob]) -> Option<Vec<StoreResult<AnyBox>>> {
    conn.execute_batch("BEGIN IMMEDIATE").ok()?;
    match run_straight(conn, prefix) {
        (results, None) => Some(results),
        (_, Some(_)) => {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            None
        }
    }
}

/// Run each job in its own savepoint, so a failing one is undone alone,
/// continuing the transaction `answers` belongs to (if one is open), and
/// commit.
fn run_with_savepoints(conn: &Connection, jobs: Vec<WriteJob>, mut answers: Vec<Answer>) {
    let mut in_transaction = !conn.is_autocommit();
    for job in jobs {
        if !in_transaction {
            if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
                let _ = job.reply.send(Err(backend_err(&err)));
                continue;
            }
            in_transaction = true;
        }
        match run_in_savepoint(conn, &job.work) {
            Ok(result) if !conn.is_autocommit() => answers.push((job.reply, result)),
            // SQLite rolled back the whole transaction (disk full, I/O error)
            // or a savepoint could not be undone: everything run in it so far
            // is gone or suspect. Tell those callers, and start afresh.
            outcome => {
                let _ = conn.execute_batch("ROLLBACK");
                in_transaction = false;
                for (reply, _) in answers.drain(..) {
                    let _ = reply.send(Err(lost_transaction()));
                }
                let _ = job.reply.send(match outcome {
                    Err(err) => Err(backend_err(err)),
                    Ok(_) => Err(lost_transaction()),
                });
            }
        }
    }
    if in_transaction {
        commit_batch(conn, answers);
    }
}

fn lost_transaction() -> StoreError {
    StoreError::Backend("the batch's transaction was rolled back; retry".into())
}

fn commit_batch(conn: &Connection, answers: Vec<Answer>) {
    match conn.execute_batch("COMMIT") {
        Ok(()) => {
            for (reply, result) in answers {
                let _ = reply.send(result);
            }
        }
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            for (reply, _) in answers {
                let _ = reply.send(Err(backend_err(&err)));
            }
        }
    }
}

/// Run one job. A panic inside it must not take the writer (and every
/// later request) down with it.
fn run_guarded(conn: &Connection, work: &WorkFn) -> StoreResult<AnyBox> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("write job panicked".into())))
}

/// Run one job inside its own savepoint. The outer `Err` means the savepoint
/// machinery itself failed, so the job's writes may not have been undone.
fn run_in_savepoint(
    conn: &Connection,
    work: &WorkFn,
) -> Result<StoreResult<AnyBox>, rusqlite::Error> {
    conn.execute_batch("SAVEPOINT job")?;
    let result = run_guarded(conn, work);
    if conn.is_autocommit() {
        // The whole transaction is gone; there is nothing left to release.
        return Ok(result);
    }
    if result.is_err() {
        conn.execute_batch("ROLLBACK TO job")?;
    }
    conn.execute_batch("RELEASE job")?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_of(
        works: Vec<WorkFn>,
    ) -> (Vec<WriteJob>, Vec<oneshot::Receiver<StoreResult<AnyBox>>>) {
        let mut receivers = Vec::new();
        let mut batch = Vec::new();
        for work in works {
            let (reply, answer) = oneshot::channel();
            batch.push(WriteJob { work, reply });
            receivers.push(answer);
        }
        (batch, receivers)
    }

    fn insert(v: &'static str) -> WorkFn {
        Box::new(move |c: &Connection| {
            c.execute("INSERT INTO t (v) VALUES (?1)", [v])
                .map_err(backend_err)?;
            Ok(Box::new(()) as AnyBox)
        })
    }

    fn stored(conn: &Connection) -> Vec<String> {
        conn.prepare("SELECT v FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// A job that fails (or panics) after writing is undone alone: the
    /// jobs around it commit, each exactly once, and its writes are gone.
    #[test]
    fn a_failing_job_is_undone_alone_and_the_rest_of_its_batch_commits_once() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT)").unwrap();
        let half_done: WorkFn = Box::new(|c: &Connection| {
            c.execute("INSERT INTO t (v) VALUES ('half')", [])
                .map_err(backend_err)?;
            Err(StoreError::Conflict(crate::Conflict::StaleOrder))
        });
        let panics: WorkFn = Box::new(|c: &Connection| {
            c.execute("INSERT INTO t (v) VALUES ('panicked')", [])
                .map_err(backend_err)?;
            panic!("a bug in one job")
        });
        let works = vec![
            insert("one"),
            insert("two"),
            half_done,
            insert("three"),
            panics,
            insert("four"),
        ];
        let (batch, receivers) = batch_of(works);
        run_batch(&conn, batch);
        let results: Vec<bool> = receivers
            .into_iter()
            .map(|mut r| r.try_recv().unwrap().is_ok())
            .collect();
        assert_eq!(results, vec![true, true, false, true, false, true]);
        assert_eq!(stored(&conn), vec!["one", "two", "three", "four"]);
        assert!(conn.is_autocommit(), "the batch ended its transaction");
    }

    /// A job that fails because of an earlier job in its batch (the same key
    /// written twice) hears of it only once that job is committed, so
    /// reading what won finds it.
    #[test]
    fn a_failed_job_is_answered_only_once_its_batch_is_committed() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT UNIQUE)")
            .unwrap();
        let (winner, _) = oneshot::channel();
        let (loser_reply, loser_answer) = oneshot::channel();
        let (probe_reply, _) = oneshot::channel();
        let loser_answer = Arc::new(Mutex::new(loser_answer));
        let answered_early = Arc::new(AtomicBool::new(false));
        let (seen, early) = (loser_answer.clone(), answered_early.clone());
        let probe: WorkFn = Box::new(move |_: &Connection| {
            if seen.lock().unwrap().try_recv().is_ok() {
                early.store(true, Ordering::SeqCst);
            }
            Ok(Box::new(()) as AnyBox)
        });
        let batch = vec![
            WriteJob {
                work: insert("key"),
                reply: winner,
            },
            WriteJob {
                work: insert("key"),
                reply: loser_reply,
            },
            WriteJob {
                work: probe,
                reply: probe_reply,
            },
        ];
        run_batch(&conn, batch);
        assert!(
            !answered_early.load(Ordering::SeqCst),
            "the loser was told before the winner was committed"
        );
        assert!(loser_answer.lock().unwrap().try_recv().unwrap().is_err());
        assert_eq!(stored(&conn), vec!["key"]);
    }

    /// A job whose failure makes SQLite abandon the whole transaction must
    /// not leave earlier jobs of the batch reported as committed.
    #[test]
    fn a_lost_transaction_fails_every_job_in_it_and_later_jobs_still_commit() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT)").unwrap();
        // Stands in for SQLITE_FULL/IOERR: the transaction ends under the job.
        let abandon: WorkFn = Box::new(|c: &Connection| {
            c.execute_batch("ROLLBACK").map_err(backend_err)?;
            Err(StoreError::Backend("disk full".into()))
        });
        let (batch, receivers) = batch_of(vec![insert("first"), abandon, insert("third")]);
        run_batch(&conn, batch);
        let results: Vec<bool> = receivers
            .into_iter()
            .map(|mut r| r.try_recv().unwrap().is_ok())
            .collect();
        assert_eq!(results, vec![false, false, true]);
        assert_eq!(
            stored(&conn),
            vec!["third".to_string()],
            "what callers were told matches what is stored"
        );
    }
}
