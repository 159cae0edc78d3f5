//! A throwaway `redis-server` for tests (`test-redis` feature): its own port and directory, no persistence,
//! killed when dropped. `None` when `redis-server` is not installed — unless `OBS_REQUIRE_REDIS` is set
//! (scripts/test.sh sets it), so CI never skips these tests silently.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct TestRedis {
    child: Option<Child>,
    port: u16,
    dir: std::path::PathBuf,
}

impl TestRedis {
    /// Starts one on a free loopback port.
    ///
    /// # Panics
    /// When `OBS_REQUIRE_REDIS` is set and no server can be started (tests only).
    #[allow(clippy::panic)]
    pub fn start() -> Option<Self> {
        let required = std::env::var_os("OBS_REQUIRE_REDIS").is_some();
        let found = Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_ok();
        if !found {
            if required {
                panic!("OBS_REQUIRE_REDIS is set but redis-server is not installed");
            }
            eprintln!("redis-server not installed: shared-limit tests skipped (scripts/test.sh installs it)");
            return None;
        }
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("obs-test-redis-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let mut redis = TestRedis { child: None, port, dir };
        redis.spawn();
        Some(redis)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (the port stays this one's).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    #[allow(clippy::panic)]
    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else { panic!("redis-server could not be started") };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Option<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
    listener.local_addr().ok().map(|a| a.port())
}
