//! The one storage core both backends share.
//!
//! - [`sql`]: the statement catalogue. Each statement is written once, in
//!   SQLite's `?N` syntax; PostgreSQL gets it with `$N` placeholders. The few
//!   that must differ (row order of postings, timer claims with
//!   `FOR UPDATE SKIP LOCKED`) carry both texts.
//! - [`plan`]: the planner. It turns a [`Changeset`] into an ordered list of
//!   [`Op`]s, each with what it must achieve (one row changed, a unique key
//!   not taken, a balance not below zero) and the [`Conflict`] it reports
//!   otherwise. The order is decided here, once, for both databases.
//! - [`read`]: every query of the [`Store`](crate::Store) trait and the
//!   decoders from [`Row`]s to domain types, written once.
//!
//! A backend ([`Backend`]) only runs statements: reads on its read pool, and
//! a plan inside one transaction. SQLite's group commit and PostgreSQL's
//! retries of deadlock victims stay in `sqlite/` and `postgres/`, with each
//! database's schema.

mod commerce;
mod listings;
pub mod plan;
pub mod read;
mod reputation;
mod risk;
pub mod sql;

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::clock::from_ms;

use crate::{Conflict, StoreError, StoreResult};

/// A bound parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    Bool(bool),
    /// A NULL of integer type (PostgreSQL needs to know which).
    NullInt,
    NullText,
}

impl Value {
    pub fn opt_int(value: Option<i64>) -> Value {
        value.map_or(Value::NullInt, Value::Int)
    }

    pub fn opt_text(value: Option<String>) -> Value {
        value.map_or(Value::NullText, Value::Text)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::NullInt | Value::NullText)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Int(v.as_millisecond())
    }
}

impl From<Option<Timestamp>> for Value {
    fn from(v: Option<Timestamp>) -> Self {
        Value::opt_int(v.map(|t| t.as_millisecond()))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::opt_text(v)
    }
}

impl From<uuid::Uuid> for Value {
    fn from(v: uuid::Uuid) -> Self {
        Value::Text(v.to_string())
    }
}

/// Build a parameter list: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::core::Value::from($value)),*]
    };
}

/// One result row, read by column index.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("unreadable column: {what}"))
}

impl Row {
    fn get(&self, idx: usize) -> StoreResult<&Value> {
        self.0
            .get(idx)
            .ok_or_else(|| corrupt(format!("no column {idx}")))
    }

    pub fn int(&self, idx: usize) -> StoreResult<i64> {
        match self.get(idx)? {
            Value::Int(v) => Ok(*v),
            Value::Bool(b) => Ok(i64::from(*b)),
            other => Err(corrupt(format!(
                "column {idx} is {other:?}, not an integer"
            ))),
        }
    }

    pub fn opt_int(&self, idx: usize) -> StoreResult<Option<i64>> {
        match self.get(idx)? {
            v if v.is_null() => Ok(None),
            _ => self.int(idx).map(Some),
        }
    }

    pub fn text(&self, idx: usize) -> StoreResult<String> {
        match self.get(idx)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(corrupt(format!("column {idx} is {other:?}, not text"))),
        }
    }

    pub fn opt_text(&self, idx: usize) -> StoreResult<Option<String>> {
        match self.get(idx)? {
            v if v.is_null() => Ok(None),
            _ => self.text(idx).map(Some),
        }
    }

    pub fn blob(&self, idx: usize) -> StoreResult<Vec<u8>> {
        match self.get(idx)? {
            Value::Blob(v) => Ok(v.clone()),
            other => Err(corrupt(format!("column {idx} is {other:?}, not bytes"))),
        }
    }

    pub fn time(&self, idx: usize) -> StoreResult<Timestamp> {
        self.int(idx).map(from_ms)
    }

    pub fn opt_time(&self, idx: usize) -> StoreResult<Option<Timestamp>> {
        Ok(self.opt_int(idx)?.map(from_ms))
    }

    pub fn uuid(&self, idx: usize) -> StoreResult<uuid::Uuid> {
        uuid::Uuid::parse_str(&self.text(idx)?).map_err(corrupt)
    }

    pub fn opt_uuid(&self, idx: usize) -> StoreResult<Option<uuid::Uuid>> {
        self.opt_text(idx)?
            .map(|raw| uuid::Uuid::parse_str(&raw).map_err(corrupt))
            .transpose()
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, idx: usize) -> StoreResult<T> {
        match self.get(idx)? {
            Value::Text(raw) => serde_json::from_str(raw).map_err(corrupt),
            other => Err(corrupt(format!("column {idx} is {other:?}, not JSON"))),
        }
    }
}

/// A statement's text for each dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sql {
    /// One text for both, with `?N` placeholders.
    Shared(&'static str),
    /// Where the dialects differ; the PostgreSQL text uses `$N`.
    Split {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

/// A statement with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: Sql,
    pub params: Vec<Value>,
}

impl Stmt {
    pub fn new(sql: Sql, params: Vec<Value>) -> Stmt {
        Stmt { sql, params }
    }
}

/// What a write must achieve; anything else rolls the whole plan back with
/// the given conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Any number of rows (an idempotent insert, a cleanup).
    Any,
    /// Exactly one row changed (a versioned update, a token used once).
    One(Conflict),
    /// The statement returns one integer that must not be negative (a
    /// balance after a posting).
    NonNegative(Conflict),
    /// The statement returns one integer that must be zero (a balance
    /// minus the value the caller read: unchanged since).
    Zero(Conflict),
    /// Keep the returned rows (a claim that hands back what it leased).
    Rows,
}

/// Maps a unique or CHECK violation to the conflict the caller expects.
/// `by_constraint` picks a more specific conflict when the backend's report
/// (SQLite's message, PostgreSQL's constraint name) names that column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnViolation {
    pub default: Conflict,
    pub by_constraint: &'static [(&'static str, Conflict)],
}

impl OnViolation {
    pub fn conflict_for(&self, report: &str) -> Conflict {
        self.by_constraint
            .iter()
            .find(|(needle, _)| report.contains(needle))
            .map_or(self.default, |(_, conflict)| *conflict)
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Exec {
        stmt: Stmt,
        expect: Expect,
        /// `None`: a violation is a bug upstream, reported as a backend error.
        on_violation: Option<OnViolation>,
    },
    /// A transaction-scoped lock, for the few writes that must not run
    /// concurrently on PostgreSQL; SQLite's single writer needs none.
    Lock(i64),
}

impl Op {
    pub fn exec(sql: Sql, params: Vec<Value>) -> Op {
        Op::Exec {
            stmt: Stmt::new(sql, params),
            expect: Expect::Any,
            on_violation: None,
        }
    }

    pub fn expect(self, want: Expect) -> Op {
        match self {
            Op::Exec {
                stmt, on_violation, ..
            } => Op::Exec {
                stmt,
                expect: want,
                on_violation,
            },
            other => other,
        }
    }

    pub fn on_violation(self, conflict: Conflict) -> Op {
        self.on_violation_by(conflict, &[])
    }

    pub fn on_violation_by(
        self,
        default: Conflict,
        by_constraint: &'static [(&'static str, Conflict)],
    ) -> Op {
        match self {
            Op::Exec { stmt, expect, .. } => Op::Exec {
                stmt,
                expect,
                on_violation: Some(OnViolation {
                    default,
                    by_constraint,
                }),
            },
            other => other,
        }
    }
}

/// What a statement did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub changed: u64,
    pub rows: Vec<Row>,
}

/// Why a single statement failed, as a backend reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecError {
    /// A unique or CHECK constraint; the report names the constraint or
    /// its columns.
    Violation(String),
    Other(StoreError),
}

/// Check one executed step against what it had to achieve.
pub fn check_outcome(
    outcome: Result<Outcome, ExecError>,
    expect: Expect,
    on_violation: Option<OnViolation>,
) -> StoreResult<Vec<Row>> {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(ExecError::Violation(report)) => {
            return Err(match on_violation {
                Some(map) => StoreError::Conflict(map.conflict_for(&report)),
                None => StoreError::Backend(format!("constraint violated: {report}")),
            });
        }
        Err(ExecError::Other(err)) => return Err(err),
    };
    match expect {
        Expect::Any => Ok(Vec::new()),
        Expect::Rows => Ok(outcome.rows),
        Expect::One(conflict) => {
            if outcome.changed == 1 {
                Ok(Vec::new())
            } else {
                Err(StoreError::Conflict(conflict))
            }
        }
        Expect::NonNegative(conflict) | Expect::Zero(conflict) => {
            let value = outcome
                .rows
                .first()
                .map(|row| row.int(0))
                .transpose()?
                .ok_or_else(|| StoreError::Backend("expected a returned value".into()))?;
            let holds = match expect {
                Expect::Zero(_) => value == 0,
                _ => value >= 0,
            };
            if holds {
                Ok(Vec::new())
            } else {
                Err(StoreError::Conflict(conflict))
            }
        }
    }
}

/// What a database must do for the core: run a read, and run a plan in one
/// transaction (all of it, or nothing).
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Whether several small reads are dearer as separate statements than
    /// as one combined statement: true across a network (each statement a
    /// round trip), false in process, where separate reads run on several
    /// reader connections at once.
    fn reads_cost_round_trips(&self) -> bool;
    async fn migrate(&self) -> StoreResult<()>;
    async fn query(&self, stmt: Stmt) -> StoreResult<Vec<Row>>;
    /// Run `ops` in order in one transaction. Returns the rows of the steps
    /// that keep them ([`Expect::Rows`]), in order.
    async fn run(&self, ops: Vec<Op>) -> StoreResult<Vec<Vec<Row>>>;
}

/// The [`Store`](crate::Store) over any [`Backend`].
pub struct Core<B> {
    pub(crate) backend: B,
}

impl<B: Backend> Core<B> {
    pub fn new(backend: B) -> Core<B> {
        Core { backend }
    }

    pub fn backend_ref(&self) -> &B {
        &self.backend
    }

    async fn rows(&self, sql: Sql, params: Vec<Value>) -> StoreResult<Vec<Row>> {
        self.backend.query(Stmt::new(sql, params)).await
    }

    async fn first(&self, sql: Sql, params: Vec<Value>) -> StoreResult<Option<Row>> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }
}

/// `?N` placeholders to PostgreSQL's `$N`, outside string literals.
pub fn to_postgres(sqlite: &str) -> String {
    let mut out = String::with_capacity(sqlite.len() + 8);
    let mut in_literal = false;
    for c in sqlite.chars() {
        match c {
            '\'' => {
                in_literal = !in_literal;
                out.push(c);
            }
            '?' if !in_literal => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_literals() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = '?' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $12"
        );
    }

    #[test]
    fn violations_map_to_the_named_constraint_or_the_default() {
        let map = OnViolation {
            default: Conflict::EmailTaken,
            by_constraint: &[("name_skeleton", Conflict::NameTaken)],
        };
        assert_eq!(
            map.conflict_for("UNIQUE constraint failed: users.name_skeleton"),
            Conflict::NameTaken
        );
        assert_eq!(map.conflict_for("users_email_key"), Conflict::EmailTaken);
    }
}
