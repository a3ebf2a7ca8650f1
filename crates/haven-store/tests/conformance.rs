//! The conformance suite on SQLite always, and on PostgreSQL when
//! `HAVEN_TEST_DATABASE_URL` names a server.

use std::sync::Arc;

use haven_store::sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<SqliteStore> =
        Arc::new(SqliteStore::open(&dir.path().join("haven.db")).unwrap());
    haven_store::conformance::run_all(store.clone()).await;
    // Again on the same database: every check makes its own rows.
    haven_store::conformance::run_all(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_conformance() {
    let Ok(url) = std::env::var("HAVEN_TEST_DATABASE_URL") else {
        eprintln!("HAVEN_TEST_DATABASE_URL not set: skipping the PostgreSQL half");
        return;
    };
    let store = haven_store::postgres::PgStore::connect_fresh_schema(&url)
        .await
        .unwrap();
    haven_store::conformance::run_all(Arc::new(store)).await;
}
