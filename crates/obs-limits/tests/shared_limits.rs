//! The shared counters against a real redis-server (started here, on its own port): the minute window counted
//! across two clients as across two replicas, parallel slots taken, refused and released, concurrent takers never
//! exceeding the limit, and Redis stopped and restarted: errors within the timeout, then counting again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use obs_limits::test_redis::TestRedis;
use obs_limits::{LimitError, SharedLimits};

const TIMEOUT: Duration = Duration::from_millis(500);

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

#[tokio::test]
async fn two_replicas_share_one_minute_window() {
    let Some(redis) = TestRedis::start() else { return };
    let a = SharedLimits::new(&redis.url(), TIMEOUT).unwrap();
    let b = SharedLimits::new(&redis.url(), TIMEOUT).unwrap();
    let key = unique("key");
    let first = a.count_request(&key).await.unwrap();
    let second = b.count_request(&key).await.unwrap();
    let third = a.count_request(&key).await.unwrap();
    assert!((1..=60).contains(&first.reset_seconds), "{first:?}");
    if third.reset_seconds <= first.reset_seconds {
        // Same minute (the usual case): one count across both.
        assert_eq!((first.count, second.count, third.count), (1, 2, 3));
    } else {
        // The minute turned between the calls: the window restarted.
        assert_eq!(third.count, 1);
    }
    // Another key counts on its own.
    assert_eq!(b.count_request(&unique("other")).await.unwrap().count, 1);
}

#[tokio::test]
async fn parallel_slots_are_taken_refused_and_released() {
    let Some(redis) = TestRedis::start() else { return };
    let limits = SharedLimits::new(&redis.url(), TIMEOUT).unwrap();
    let key = unique("parallel");
    let lease = Duration::from_secs(60);
    let one = limits.take_slot(&key, 2, lease).await.unwrap().expect("first slot");
    let two = limits.take_slot(&key, 2, lease).await.unwrap().expect("second slot");
    assert!(limits.take_slot(&key, 2, lease).await.unwrap().is_none(), "a third of 2 is refused");
    drop(one);
    // Released in the background: within the timeout.
    let deadline = Instant::now() + Duration::from_secs(5);
    let three = loop {
        if let Some(slot) = limits.take_slot(&key, 2, lease).await.unwrap() {
            break slot;
        }
        assert!(Instant::now() < deadline, "the dropped slot was never released");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    drop((two, three));

    // A lease that is never released (its replica died) expires.
    let short = unique("short");
    let held = limits.take_slot(&short, 1, Duration::from_millis(200)).await.unwrap().expect("slot");
    std::mem::forget(held);
    assert!(limits.take_slot(&short, 1, lease).await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(limits.take_slot(&short, 1, lease).await.unwrap().is_some(), "the expired lease was dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_takers_never_exceed_the_limit() {
    let Some(redis) = TestRedis::start() else { return };
    let replicas: Vec<SharedLimits> = (0..2).map(|_| SharedLimits::new(&redis.url(), TIMEOUT).unwrap()).collect();
    let key = unique("race");
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let limits = replicas[i % 2].clone();
            let key = key.clone();
            tokio::spawn(async move { limits.take_slot(&key, 5, Duration::from_secs(60)).await.unwrap() })
        })
        .collect();
    let mut held = Vec::new();
    for task in tasks {
        if let Some(slot) = task.await.unwrap() {
            held.push(slot);
        }
    }
    assert_eq!(held.len(), 5, "exactly the limit was granted to 64 concurrent takers");

    let counters: Vec<_> = (0..100)
        .map(|i| {
            let limits = replicas[i % 2].clone();
            let key = format!("{key}-rpm");
            tokio::spawn(async move { limits.count_request(&key).await.unwrap().count })
        })
        .collect();
    let mut counts = Vec::new();
    for task in counters {
        counts.push(task.await.unwrap());
    }
    counts.sort_unstable();
    let windows = counts.iter().filter(|c| **c == 1).count();
    if windows == 1 {
        // One minute: every request got its own number, 1 to 100 — none lost, none counted twice.
        assert_eq!(counts, (1..=100).collect::<Vec<i64>>());
    } else {
        // The minute turned mid-burst: two windows, each counting from 1 without gaps.
        assert_eq!(windows, 2, "{counts:?}");
        let mut seen = std::collections::BTreeMap::new();
        for count in &counts {
            *seen.entry(*count).or_insert(0) += 1;
        }
        assert!(seen.values().all(|n| *n <= 2) && counts.len() == 100, "{counts:?}");
    }
}

#[tokio::test]
async fn a_stopped_redis_is_reported_within_the_timeout_and_counting_resumes() {
    let Some(mut redis) = TestRedis::start() else { return };
    let limits = SharedLimits::new(&redis.url(), TIMEOUT).unwrap();
    let key = unique("outage");
    assert_eq!(limits.count_request(&key).await.unwrap().count, 1);
    redis.stop();
    let asked = Instant::now();
    let error = limits.count_request(&key).await.unwrap_err();
    assert!(matches!(error, LimitError::Unavailable(_)), "{error:?}");
    assert!(asked.elapsed() < TIMEOUT * 3, "took {:?}", asked.elapsed());
    assert!(limits.take_slot(&key, 1, Duration::from_secs(1)).await.is_err());
    redis.restart();
    // Reconnected (at most a second between attempts); the restarted server has no counts.
    let deadline = Instant::now() + Duration::from_secs(10);
    let count = loop {
        match limits.count_request(&key).await {
            Ok(count) => break count.count,
            Err(_) => {
                assert!(Instant::now() < deadline, "never reconnected");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(count, 1);
}

#[tokio::test]
async fn tokens_are_reserved_up_to_the_limit_and_settled_to_the_real_count() {
    let Some(redis) = TestRedis::start() else { return };
    let limits = SharedLimits::new(&redis.url(), TIMEOUT).unwrap();
    let key = unique("tpm");
    let first = limits.reserve_tokens(&key, 600, 1000).await.unwrap();
    let second = limits.reserve_tokens(&key, 600, 1000).await.unwrap();
    if second.minute == first.minute {
        assert_eq!((first.reserved, first.used, second.reserved, second.used), (true, 600, false, 600));
        // The first answer used only 100: 500 given back, and the second fits.
        limits.settle_tokens(&key, first.minute, -500).await.unwrap();
        let third = limits.reserve_tokens(&key, 600, 1000).await.unwrap();
        if third.minute == first.minute {
            assert_eq!((third.reserved, third.used), (true, 700));
        }
    }
    // A minute no longer kept is left alone.
    limits.settle_tokens(&key, 1, 5).await.unwrap();
    assert!(!limits.reserve_tokens(&key, 2000, 1000).await.unwrap().reserved, "more than the limit alone");
}

#[test]
fn a_bad_url_is_refused() {
    assert_eq!(SharedLimits::new("http://x", TIMEOUT).unwrap_err(), LimitError::BadUrl);
}
