//! The store against SQLite (a temporary file, and memory), and against PostgreSQL when `OBS_TEST_POSTGRES_URL`
//! names one (scripts/test.sh starts one): the same tests, the same code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use obs_store::{Backend, Store, StoredResponse};

fn row(id: &str, key: &str, expires_at: Option<i64>) -> StoredResponse {
    StoredResponse {
        id: id.to_owned(),
        key_id: key.to_owned(),
        created_at: 1_700_000_000,
        expires_at,
        response: format!(r#"{{"id":"{id}"}}"#),
        input_items: "[]".to_owned(),
        conversation: r#"[{"role":"user","content":"hi"}]"#.to_owned(),
    }
}

async fn exercise(store: &Store) {
    let id =
        format!("resp_{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    store.put_response(&row(&id, "key-a", None)).await.unwrap();
    assert_eq!(store.get_response("key-a", &id).await.unwrap(), Some(row(&id, "key-a", None)));
    assert_eq!(store.get_response("key-b", &id).await.unwrap(), None, "another key's response is invisible");
    // Another key cannot overwrite it either.
    let mut other = row(&id, "key-b", None);
    other.response = "{}".to_owned();
    store.put_response(&other).await.unwrap();
    assert_eq!(store.get_response("key-a", &id).await.unwrap().unwrap().response, row(&id, "key-a", None).response);
    assert!(!store.delete_response("key-b", &id).await.unwrap());
    assert!(store.delete_response("key-a", &id).await.unwrap());
    assert_eq!(store.get_response("key-a", &id).await.unwrap(), None);
    // Expired rows are not returned.
    let old = format!("{id}_old");
    store.put_response(&row(&old, "key-a", Some(1))).await.unwrap();
    assert_eq!(store.get_response("key-a", &old).await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_file_keeps_responses_per_key_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("obs.db").display());
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    exercise(&store).await;
    store.put_response(&row("resp_kept", "k", None)).await.unwrap();
    store.close().await;
    // Reopened: migrations are not run twice, the row is there.
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.get_response("k", "resp_kept").await.unwrap(), Some(row("resp_kept", "k", None)));
    assert!(dir.path().join("obs.db-wal").exists() || dir.path().join("obs.db").exists());
}

#[tokio::test]
async fn sqlite_in_memory() {
    exercise(&Store::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
async fn postgres_when_configured() {
    let Ok(url) = std::env::var("OBS_TEST_POSTGRES_URL") else {
        eprintln!("OBS_TEST_POSTGRES_URL not set: PostgreSQL not tested here (scripts/test.sh sets it)");
        return;
    };
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    exercise(&store).await;
    // Migrating again is a no-op.
    exercise(&Store::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn unknown_backends_are_refused() {
    assert!(matches!(Store::open("mysql://x").await, Err(obs_store::StoreError::UnknownBackend)));
}
