//! PostgreSQL backend (sqlx). Implemented in postgres/ — placeholder during bring-up.
pub struct PgStore;
impl PgStore {
    pub async fn connect_fresh_schema(_url: &str) -> Result<PgStore, crate::StoreError> {
        Err(crate::StoreError::Backend(
            "postgres backend not built yet".into(),
        ))
    }
}
