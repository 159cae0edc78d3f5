//! Managed keys in the store, on SQLite (file and memory) and on PostgreSQL when `OBS_TEST_POSTGRES_URL` names one:
//! create, read, update, revoke, rotate, the duplicate-secret refusal, and the generation every change bumps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use obs_store::{KeyRow, KeyWrite, Store};

fn unique(prefix: &str) -> String {
    format!("{prefix}{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

fn key(id: &str, digest: &str) -> KeyRow {
    KeyRow {
        id: id.to_owned(),
        secret_digest: digest.to_owned(),
        secret_hint: "abcd".to_owned(),
        name: "ci".to_owned(),
        team: Some("platform".to_owned()),
        models: Some(r#"["gpt-4o-mini","claude"]"#.to_owned()),
        rpm: Some(60),
        tpm: None,
        max_parallel: Some(4),
        budget_micro_usd: Some(12_500_000),
        budget_period: Some("month".to_owned()),
        expires_at: None,
        metadata: Some(r#"{"owner":"ana"}"#.to_owned()),
        created_at: 1_700_000_000,
        updated_at: 1_700_000_000,
        revoked_at: None,
    }
}

async fn lifecycle(store: &Store) {
    let id = unique("key_");
    let digest = unique("d");
    let before = store.key_generation().await.unwrap();
    assert_eq!(store.insert_key(&key(&id, &digest)).await.unwrap(), KeyWrite::Done);
    let after_insert = store.key_generation().await.unwrap();
    assert!(after_insert > before, "an insert bumps the generation");
    assert_eq!(store.key(&id).await.unwrap(), Some(key(&id, &digest)));
    assert!(store.keys().await.unwrap().contains(&key(&id, &digest)));

    // A second key with the same secret is refused, and changes nothing.
    let twin = unique("key_");
    assert_eq!(store.insert_key(&key(&twin, &digest)).await.unwrap(), KeyWrite::DuplicateSecret);
    assert_eq!(store.key(&twin).await.unwrap(), None);

    // Update every field (rotate = new digest and hint; revoke = revoked_at).
    let mut changed = key(&id, &unique("e"));
    changed.secret_hint = "wxyz".to_owned();
    changed.name = "renamed".to_owned();
    changed.team = None;
    changed.models = None;
    changed.rpm = None;
    changed.tpm = Some(10_000);
    changed.max_parallel = None;
    changed.budget_micro_usd = None;
    changed.budget_period = None;
    changed.expires_at = Some(1_900_000_000);
    changed.metadata = None;
    changed.updated_at = 1_700_000_100;
    changed.revoked_at = Some(1_700_000_100);
    changed.created_at = 1; // not written: creation time is kept
    assert_eq!(store.update_key(&changed).await.unwrap(), KeyWrite::Done);
    let stored = store.key(&id).await.unwrap().unwrap();
    assert_eq!(stored, KeyRow { created_at: 1_700_000_000, ..changed.clone() });
    let (generation, keys) = store.keys_at_generation().await.unwrap();
    assert!(generation > after_insert, "an update bumps the generation");
    assert!(keys.contains(&stored));

    // Unknown ids are reported, and do not bump the generation.
    let generation = store.key_generation().await.unwrap();
    assert_eq!(store.update_key(&key(&unique("key_none"), &unique("f"))).await.unwrap(), KeyWrite::NoSuchKey);
    // Another key cannot take this key's secret.
    let other = unique("key_");
    let other_digest = unique("g");
    assert_eq!(store.insert_key(&key(&other, &other_digest)).await.unwrap(), KeyWrite::Done);
    assert_eq!(store.update_key(&key(&other, &stored.secret_digest)).await.unwrap(), KeyWrite::DuplicateSecret);
    assert!(store.key_generation().await.unwrap() > generation);
}

#[tokio::test]
async fn sqlite_memory_key_lifecycle() {
    lifecycle(&Store::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_file_keys_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let store = Store::open(&url).await.unwrap();
    lifecycle(&store).await;
    let kept = store.keys_at_generation().await.unwrap();
    store.close().await;
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.keys_at_generation().await.unwrap(), kept);
}

#[tokio::test]
async fn postgres_key_lifecycle_when_configured() {
    let Ok(url) = std::env::var("OBS_TEST_POSTGRES_URL") else {
        eprintln!("OBS_TEST_POSTGRES_URL not set: PostgreSQL not tested here (scripts/test.sh sets it)");
        return;
    };
    lifecycle(&Store::open(&url).await.unwrap()).await;
}

/// Replicas that start together migrate one after the other (PostgreSQL's catalog races on concurrent
/// `CREATE TABLE IF NOT EXISTS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_opening_at_once_all_succeed_when_configured() {
    let Ok(url) = std::env::var("OBS_TEST_POSTGRES_URL") else { return };
    let opens: Vec<_> = (0..6)
        .map(|_| {
            tokio::spawn({
                let url = url.clone();
                async move { Store::open(&url).await.map(drop) }
            })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap();
    }
}

fn usage_row(
    key: &str,
    team: Option<&str>,
    model: &str,
    at_ms: i64,
    status: i64,
    tokens: (i64, i64),
) -> obs_store::UsageRow {
    obs_store::UsageRow {
        at_ms,
        request_id: unique("req"),
        key_id: key.to_owned(),
        team: team.map(str::to_owned),
        route: "chat_completions".to_owned(),
        model: Some(model.to_owned()),
        provider: Some("openai".to_owned()),
        target: Some(format!("openai/{model}")),
        status,
        input_tokens: tokens.0,
        cache_read_tokens: tokens.0 / 2,
        cache_write_tokens: 1,
        output_tokens: tokens.1,
        reasoning_tokens: 0,
        duration_us: 1_000,
        overhead_us: 50,
        cost_micro_usd: tokens.0 * 3,
    }
}

async fn usage(store: &Store) {
    use obs_store::{UsageGroup, UsageQuery, UsageTotals};
    let (a, b) = (unique("key_a"), unique("key_b"));
    let day = 1_764_547_200_000; // 2025-12-01T00:00:00Z
    let mut rows = vec![
        usage_row(&a, Some("red"), "gpt-4o", day + 1, 200, (10, 5)),
        usage_row(&a, Some("red"), "claude", day + 2, 429, (0, 0)),
        usage_row(&b, None, "gpt-4o", day + 86_400_000, 200, (100, 50)),
    ];
    // More than one INSERT's worth.
    rows.extend((0..450).map(|i| usage_row(&b, None, "gpt-4o", day + 86_400_000 + i, 200, (1, 1))));
    store.insert_usage(rows).await.unwrap();
    let only = |key: &str| UsageQuery { key_id: Some(key.to_owned()), ..UsageQuery::default() };
    assert_eq!(
        store.usage_totals(&only(&a)).await.unwrap(),
        [UsageTotals {
            group: None,
            requests: 2,
            errors: 1,
            input_tokens: 10,
            cache_read_tokens: 5,
            cache_write_tokens: 2,
            output_tokens: 5,
            reasoning_tokens: 0,
            cost_micro_usd: 30
        }]
    );
    let by_model = UsageQuery { group_by: Some(UsageGroup::Model), ..only(&a) };
    let models: Vec<(Option<String>, i64)> =
        store.usage_totals(&by_model).await.unwrap().into_iter().map(|t| (t.group, t.requests)).collect();
    assert_eq!(models, [(Some("gpt-4o".to_owned()), 1), (Some("claude".to_owned()), 1)]);
    let by_day = UsageQuery { group_by: Some(UsageGroup::Day), ..only(&b) };
    let days: Vec<(Option<String>, i64, i64)> =
        store.usage_totals(&by_day).await.unwrap().into_iter().map(|t| (t.group, t.requests, t.input_tokens)).collect();
    assert_eq!(days, [(Some("1764633600".to_owned()), 451, 550)]);
    let window = UsageQuery { from_ms: Some(day), to_ms: Some(day + 2), ..only(&a) };
    assert_eq!(store.usage_totals(&window).await.unwrap()[0].requests, 1, "from inclusive, to exclusive");
    let team = UsageQuery { team: Some("red".to_owned()), group_by: Some(UsageGroup::Key), ..UsageQuery::default() };
    let teams = store.usage_totals(&team).await.unwrap();
    assert!(teams.iter().any(|t| t.group.as_deref() == Some(a.as_str()) && t.requests == 2), "{teams:?}");
    let spend = store.spend_since(day + 86_400_000).await.unwrap();
    assert!(spend.contains(&(b.clone(), 100 * 3 + 450 * 3)) && !spend.iter().any(|(k, _)| *k == a), "{spend:?}");
    let none = UsageQuery { key_id: Some(unique("nobody")), ..UsageQuery::default() };
    assert_eq!(store.usage_totals(&none).await.unwrap(), []);

    // Every value comes back as written: text that needs escaping, absent values, the largest numbers.
    let c = unique("key_c");
    // Dated in 2100, so it is among the newest rows even in a PostgreSQL database other tests write to at once.
    let odd = obs_store::UsageRow {
        at_ms: 4_102_444_800_000,
        request_id: unique("req \"quoted\" \\ back"),
        key_id: c.clone(),
        team: Some("équipe 🚀 'x'\n\t".to_owned()),
        route: "messages".to_owned(),
        model: None,
        provider: None,
        target: None,
        status: 499,
        input_tokens: i64::MAX,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: -1,
        reasoning_tokens: 7,
        duration_us: 1,
        overhead_us: 0,
        cost_micro_usd: 0,
    };
    store.insert_usage(vec![odd.clone()]).await.unwrap();
    let back: Vec<_> = store.recent_usage(20).await.unwrap().into_iter().filter(|row| row.key_id == c).collect();
    assert_eq!(back, [odd]);
    store.insert_usage(Vec::new()).await.unwrap();
}

#[tokio::test]
async fn sqlite_memory_usage_records_and_totals() {
    usage(&Store::open("sqlite::memory:").await.unwrap()).await;
}

/// A file store writes usage through its own connection, not the pool's.
#[tokio::test]
async fn sqlite_file_usage_records_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("obs.db").display())).await.unwrap();
    usage(&store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_usage_records_and_totals_when_configured() {
    let Ok(url) = std::env::var("OBS_TEST_POSTGRES_URL") else { return };
    usage(&Store::open(&url).await.unwrap()).await;
}
