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
    if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
        for job in batch {
            let _ = job.reply.send(Err(backend_err(&err)));
        }
        return;
    }
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let result = run_in_savepoint(conn, job.work);
        answers.push((job.reply, result));
    }
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

fn run_in_savepoint(conn: &Connection, work: WorkFn) -> StoreResult<AnyBox> {
    conn.execute_batch("SAVEPOINT job").map_err(backend_err)?;
    // A panic inside one job must not take the writer (and every later
    // request) down with it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("write job panicked".into())));
    if result.is_err() {
        conn.execute_batch("ROLLBACK TO job").map_err(backend_err)?;
    }
    conn.execute_batch("RELEASE job").map_err(backend_err)?;
    result
}
