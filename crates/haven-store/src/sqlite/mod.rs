//! SQLite backend.
//!
//! SQLite allows one writer at a time, so every write goes to one dedicated
//! thread that owns the only read-write connection. It drains whatever jobs
//! are queued (up to [`MAX_BATCH`]), runs each inside its own SAVEPOINT, and
//! commits the whole batch once (group commit): one fsync for many requests.
//! A job's caller is answered only after that COMMIT is durable. A failing
//! job rolls back to its savepoint without disturbing the rest of the batch.
//!
//! Reads run on a small pool of read-only connections (WAL lets them proceed
//! while the writer commits).

mod apply;
mod read;

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::{StoreError, StoreResult};

/// Most jobs folded into one transaction. Bounded so one COMMIT never holds
/// an unbounded amount of work or latency.
pub const MAX_BATCH: usize = 512;
/// Requests waiting for the writer; callers wait (back-pressure) past this.
const WRITE_QUEUE_DEPTH: usize = 8_192;
const MAX_READERS: usize = 8;
const BUSY_TIMEOUT_MS: u64 = 5_000;

type AnyBox = Box<dyn Any + Send>;
type WorkFn = Box<dyn FnOnce(&Connection) -> StoreResult<AnyBox> + Send>;

struct WriteJob {
    work: WorkFn,
    reply: oneshot::Sender<StoreResult<AnyBox>>,
}

pub struct SqliteStore {
    path: PathBuf,
    writer: mpsc::Sender<WriteJob>,
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_slots: Arc<Semaphore>,
}

pub(crate) fn backend_err(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and start its writer.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(backend_err)?;
        }
        let conn = Connection::open(path).map_err(backend_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(backend_err)?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(backend_err)?;
        let (tx, rx) = mpsc::channel(WRITE_QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("haven-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(backend_err)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            reader_slots: Arc::new(Semaphore::new(MAX_READERS)),
        })
    }

    /// Run `work` on the writer thread inside the current batch.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
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

    /// Run `work` on a read-only connection from the pool.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let permit = self
            .reader_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(backend_err)?;
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = readers.lock().expect("reader pool").pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_reader(&path)?,
            };
            let result = work(&conn);
            readers.lock().expect("reader pool").push(conn);
            result
        })
        .await
        .map_err(backend_err)?
    }
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(backend_err)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(backend_err)?;
    Ok(conn)
}

fn writer_loop(conn: Connection, mut jobs: mpsc::Receiver<WriteJob>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, batch);
    }
}

fn run_batch(conn: &Connection, batch: Vec<WriteJob>) {
    let mut answers: Vec<(oneshot::Sender<StoreResult<AnyBox>>, StoreResult<AnyBox>)> =
        Vec::with_capacity(batch.len());
    let mut in_transaction = false;
    for job in batch {
        if !in_transaction {
            if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
                let _ = job.reply.send(Err(backend_err(&err)));
                continue;
            }
            in_transaction = true;
        }
        match run_in_savepoint(conn, job.work) {
            Ok(result) if !conn.is_autocommit() => answers.push((job.reply, result)),
            // SQLite rolled back the whole transaction (disk full, I/O error)
            // or a savepoint could not be undone: everything run in it so far
            // is gone or suspect. Tell those callers, and start afresh.
            outcome => {
                let _ = conn.execute_batch("ROLLBACK");
                in_transaction = false;
                let lost = || {
                    Err(StoreError::Backend(
                        "the batch's transaction was rolled back; retry".into(),
                    ))
                };
                for (reply, _) in answers.drain(..) {
                    let _ = reply.send(lost());
                }
                let _ = job.reply.send(match outcome {
                    Err(err) => Err(backend_err(err)),
                    Ok(_) => lost(),
                });
            }
        }
    }
    if in_transaction {
        commit_batch(conn, answers);
    }
}

fn commit_batch(
    conn: &Connection,
    answers: Vec<(oneshot::Sender<StoreResult<AnyBox>>, StoreResult<AnyBox>)>,
) {
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

/// Run one job inside its own savepoint. The outer `Err` means the savepoint
/// machinery itself failed, so the job's writes may not have been undone.
fn run_in_savepoint(
    conn: &Connection,
    work: WorkFn,
) -> Result<StoreResult<AnyBox>, rusqlite::Error> {
    conn.execute_batch("SAVEPOINT job")?;
    // A panic inside one job must not take the writer (and every later
    // request) down with it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("write job panicked".into())));
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

    /// A job whose failure makes SQLite abandon the whole transaction must
    /// not leave earlier jobs of the batch reported as committed.
    #[test]
    fn a_lost_transaction_fails_every_job_in_it_and_later_jobs_still_commit() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT)").unwrap();
        let insert = |v: &'static str| -> WorkFn {
            Box::new(move |c: &Connection| {
                c.execute("INSERT INTO t (v) VALUES (?1)", [v])
                    .map_err(backend_err)?;
                Ok(Box::new(()) as AnyBox)
            })
        };
        // Stands in for SQLITE_FULL/IOERR: the transaction ends under the job.
        let abandon: WorkFn = Box::new(|c: &Connection| {
            c.execute_batch("ROLLBACK").map_err(backend_err)?;
            Err(StoreError::Backend("disk full".into()))
        });
        let mut receivers = Vec::new();
        let mut batch = Vec::new();
        for work in [insert("first"), abandon, insert("third")] {
            let (reply, answer) = oneshot::channel();
            batch.push(WriteJob { work, reply });
            receivers.push(answer);
        }
        run_batch(&conn, batch);
        let results: Vec<bool> = receivers
            .into_iter()
            .map(|mut r| r.try_recv().unwrap().is_ok())
            .collect();
        assert_eq!(results, vec![false, false, true]);
        let stored: Vec<String> = conn
            .prepare("SELECT v FROM t")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            stored,
            vec!["third".to_string()],
            "what callers were told matches what is stored"
        );
    }
}
