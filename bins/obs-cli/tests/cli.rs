//! The obs-cli binary end to end against obs-server in demo mode (obs-mock behind it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use obs_server::{RunningServer, ServeOptions};
use serde_json::{Value, json};

const KEY: &str = "test-key";

async fn demo_server() -> RunningServer {
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    config.server.api_keys = vec![secrecy::SecretString::from(KEY.to_owned())];
    obs_server::start(ServeOptions { config, no_auth: false, demo: true }).await.unwrap()
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Cli { dir: tempfile::tempdir().unwrap() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_obs-cli"));
        for key in [
            "API_KEY",
            "ADMIN_API_KEY",
            "CHAT_API_KEY",
            "CHAT_SERVER_URL",
            "CHAT_MODEL",
            "AWS_PROFILE",
            "AWS_REGION",
            "OBS_CONFIG",
        ] {
            command.env_remove(key);
        }
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("OBS_HISTORY_DIR", self.dir.path().join("history"))
            .env("AWS_EC2_METADATA_DISABLED", "true");
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c52_piped_chat_without_streaming() {
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let output = cli.run(
        &["chat", "--model", "test-model", "--api-key", KEY, "--no-stream", "--server-url", &url],
        "Hello\nexit\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Off a terminal stdout carries the answer and nothing else; the banner goes to stderr.
    assert_eq!(text(&output.stdout), "You said: Hello\n");
    assert!(text(&output.stderr).starts_with("obs chat — server "), "{}", text(&output.stderr));
    let upstream = server.demo_upstream().unwrap().recorder().last().unwrap();
    assert_eq!(
        upstream.json(),
        json!({"model":"test-model","messages":[{"role":"user","content":"Hello"}],"stream":false})
    );
    // A piped run saves nothing unless asked.
    assert_eq!(text(&cli.run(&["history", "list"], "").stdout), "No chat sessions found.\n");
    let saved = cli.run(
        &["chat", "--model", "test-model", "--api-key", KEY, "--no-stream", "--server-url", &url, "--save"],
        "Hello\nexit\n",
    );
    assert_eq!(text(&saved.stdout), "You said: Hello\n");
    assert!(text(&saved.stderr).contains(" saved."), "{}", text(&saved.stderr));
    let listed = text(&cli.run(&["history", "list"], "").stdout);
    assert!(listed.contains("test-model") && listed.contains(" 2 "), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_chat_keeps_the_conversation_and_slash_commands_work() {
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let input = "first question\n/system Be terse.\nsecond question\n/model meta.llama3\nthird\n/clear\n/help\n/exit\n";
    let output = cli.run(
        &["chat", "--model", "anthropic.claude-v2", "--api-key", KEY, "--server-url", &url, "--session-name", "demo"],
        input,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // The answers, streamed, are all stdout holds; command feedback goes to stderr.
    assert_eq!(text(&output.stdout), "You said: first question\nYou said: second question\nYou said: third\n");
    let stderr = text(&output.stderr);
    for expected in ["System prompt set.", "Model: meta.llama3", "Conversation cleared.", "/system TEXT"] {
        assert!(stderr.contains(expected), "missing {expected:?} in {stderr}");
    }
    let requests = server.demo_upstream().unwrap().recorder().requests();
    let second = requests.iter().find(|r| r.json().to_string().contains("second question")).unwrap().json();
    assert_eq!(
        second,
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"messages":[
            {"role":"user","content":"first question"},{"role":"assistant","content":"You said: first question"},
            {"role":"user","content":"second question"}],"system":"Be terse."}),
        "the whole conversation and the system prompt reach Claude"
    );
    assert_eq!(requests.last().unwrap().path, "/model/meta.llama3/converse-stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_call_round_trip() {
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let output = Cli::new().run(
        &["chat", "--model", "gpt-tool", "--api-key", KEY, "--server-url", &url],
        "weather in Paris?\n21C and sunny\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    let last = server.demo_upstream().unwrap().recorder().last().unwrap().json();
    // The emulator's call ids are random, like OpenAI's: `call_` + 24 characters.
    let id = last["messages"][1]["tool_calls"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), "call_".len() + 24, "{id}");
    assert!(stderr.contains(&format!("Tool call get_weather ({id}): {{\"location\":\"Paris\"}}")), "{stderr}");
    assert!(stdout.ends_with("The tool returned: 21C and sunny\n"), "{stdout}");
    assert!(!stdout.contains("Tool call") && !stdout.contains("Assistant:"), "{stdout}");
    assert_eq!(last["messages"][2], json!({"role":"tool","tool_call_id":id,"content":"21C and sunny"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_print_one_line_drop_the_turn_and_fail_the_command() {
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let output = cli.run(&["chat", "--model", "gpt-throttle", "--api-key", KEY, "--server-url", &url], "x\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("Error: request failed (HTTP 429, rate_limit_exceeded): Rate limit reached"));
    assert_eq!(text(&output.stdout), "", "no answer, nothing on stdout");
    assert_eq!(
        text(&cli.run(&["history", "list"], "").stdout),
        "No chat sessions found.\n",
        "the failed turn left nothing"
    );

    let output = cli.run(&["chat", "--model", "gpt-4o", "--api-key", "wrong", "--server-url", &url], "x\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("authentication failed (HTTP 401: Invalid API key) — pass --api-key"),
        "{}",
        text(&output.stderr)
    );

    let output = cli.run(&["models", "--server-url", "http://127.0.0.1:1"], "");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr).trim(),
        "Error: cannot connect to the gateway at http://127.0.0.1:1 — is it running? (start one with `obs-cli serve`)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c53_models_table_and_json() {
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let output = cli.run(&["models", "--api-key", KEY, "--server-url", &url], "");
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("ID "), "{stdout}");
    let line = |id: &str| stdout.lines().find(|l| l.starts_with(id)).map(|l| l.split_whitespace().collect::<Vec<_>>());
    assert_eq!(line("gpt-4o "), Some(vec!["gpt-4o", "openai"]));
    assert_eq!(
        line("anthropic.claude-3-haiku-20240307-v1:0"),
        Some(vec!["anthropic.claude-3-haiku-20240307-v1:0", "bedrock"])
    );
    let json: Value =
        serde_json::from_slice(&cli.run(&["models", "--json", "--api-key", KEY, "--server-url", &url], "").stdout)
            .unwrap();
    assert_eq!(json["object"], "list");
    assert_eq!(cli.run(&["models", "--server-url", &url], "").status.code(), Some(1), "401 without a key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_create_list_use_and_revoke() {
    const ADMIN: &str = "test-admin-key";
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    config.server.admin_keys = vec![secrecy::SecretString::from(ADMIN.to_owned())];
    let server = obs_server::start(ServeOptions { config, no_auth: false, demo: true }).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let keys = |args: &[&str]| {
        let mut all = vec!["keys", "--server-url", &url, "--admin-key", ADMIN];
        all.extend_from_slice(args);
        cli.run(&all, "")
    };

    let output = keys(&["create", "--name", "ci", "--team", "platform", "--models", "gpt-4o,claude-*", "--rpm", "5"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "NAME", "TEAM", "STATUS", "KEY_HINT", "MODELS", "RPM", "MAX_PARALLEL"]
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    let (id, hint) = (row[0].to_owned(), row[4].to_owned());
    assert_eq!(
        row[1..].iter().filter(|c| **c != hint).copied().collect::<Vec<_>>(),
        ["ci", "platform", "active", "gpt-4o,claude-*", "5", "-"]
    );
    let secret = lines[2].strip_prefix("key: ").unwrap().to_owned();
    assert!(secret.starts_with("obs-sk-") && hint == format!("…{}", &secret[secret.len() - 4..]), "{stdout}");
    assert_eq!(lines[3], "(shown once: store it now; obs keeps only its hash)");

    // The new key calls models through the CLI's own client.
    let output = cli.run(&["models", "--api-key", &secret, "--server-url", &url], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let listed = keys(&["list"]);
    let stdout = text(&listed.stdout);
    assert!(stdout.lines().nth(1).unwrap().starts_with(&id) && stdout.ends_with("1 keys\n"), "{stdout}");
    let shown: Value = serde_json::from_slice(&keys(&["show", &id, "--json"]).stdout).unwrap();
    assert_eq!((shown["id"].as_str(), shown.get("key")), (Some(id.as_str()), None), "{shown}");

    let updated: Value =
        serde_json::from_slice(&keys(&["update", &id, "--clear", "models", "--max-parallel", "2", "--json"]).stdout)
            .unwrap();
    assert_eq!((updated["models"].clone(), updated["max_parallel"].clone()), (Value::Null, json!(2)));

    let output = keys(&["revoke", &id]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout).lines().nth(1).unwrap().split_whitespace().nth(3), Some("revoked"));
    let output = cli.run(&["models", "--api-key", &secret, "--server-url", &url], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("This API key has been revoked."), "{}", text(&output.stderr));

    // Errors: one line each.
    let output = keys(&["create", "--name", "x", "--budget-period", "year", "--budget-usd", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr).trim(),
        "Error: request failed (HTTP 400, invalid_value): 'budget_period' must be \"day\", \"week\" or \"month\"."
    );
    let output = cli.run(&["keys", "--server-url", &url, "list"], "");
    assert_eq!(text(&output.stderr).trim(), "Error: no admin key: pass --admin-key or set ADMIN_API_KEY");
    let output = cli.run(&["keys", "--server-url", &url, "--admin-key", "wrong", "list"], "");
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_prints_totals_by_model() {
    const ADMIN: &str = "test-admin-key";
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    config.server.api_keys = vec![secrecy::SecretString::from(KEY.to_owned())];
    config.server.admin_keys = vec![secrecy::SecretString::from(ADMIN.to_owned())];
    let server = obs_server::start(ServeOptions { config, no_auth: false, demo: true }).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    for _ in 0..2 {
        let output =
            cli.run(&["chat", "--api-key", KEY, "--server-url", &url, "--model", "gpt-4o", "--no-stream"], "hi\n");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    // Records are written in the background: poll until both are in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let table = loop {
        let output = cli.run(&["usage", "--server-url", &url, "--admin-key", ADMIN, "--group-by", "model"], "");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        if stdout.lines().nth(1).is_some_and(|l| l.split_whitespace().nth(1) == Some("2")) {
            break stdout;
        }
        assert!(std::time::Instant::now() < deadline, "{stdout}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let lines: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        lines[0],
        ["MODEL", "REQUESTS", "ERRORS", "INPUT", "CACHE_READ", "CACHE_WRITE", "OUTPUT", "REASONING", "COST_USD"]
    );
    assert_eq!((lines[1][0], lines[1][1], lines[1][2]), ("gpt-4o", "2", "0"));
    assert!(lines[1][3].parse::<u64>().unwrap() > 0 && lines[1][6].parse::<u64>().unwrap() > 0, "{table}");
    let json: Value = serde_json::from_slice(
        &cli.run(&["usage", "--server-url", &url, "--admin-key", ADMIN, "--key", "static", "--json"], "").stdout,
    )
    .unwrap();
    assert_eq!((json["group_by"].clone(), json["data"][0]["requests"].clone()), (Value::Null, json!(2)));
    // gpt-4o is in the shipped price table: the cost column is the total's cost_usd, to the millionth.
    let cost = json["data"][0]["cost_usd"].as_f64().unwrap();
    assert!(cost > 0.0, "{json}");
    assert_eq!(lines[1][8], format!("{cost:.6}"), "{table}");
    let output = cli.run(&["usage", "--server-url", &url, "--admin-key", ADMIN, "--group-by", "colour"], "");
    assert_eq!(
        text(&output.stderr).trim(),
        "Error: request failed (HTTP 400, invalid_value): 'group_by' must be key, team, model, provider or day."
    );
}

#[test]
fn c54_config_set_show_and_masking() {
    let cli = Cli::new();
    let output = cli.run(&["config", "set", "API_KEY", "test-key"], "");
    assert_eq!(
        (output.status.code(), text(&output.stdout)),
        (Some(0), "Set API_KEY to: ******** (in .env)\n".to_owned())
    );
    assert_eq!(std::fs::read_to_string(cli.dir.path().join(".env")).unwrap(), "API_KEY=test-key\n");
    cli.run(&["config", "set", "LOG_LEVEL", "debug"], "");
    let show = text(&cli.run(&["config", "show"], "").stdout);
    assert!(
        show.contains("API_KEY                      ********") && show.contains("LOG_LEVEL                    debug"),
        "{show}"
    );
    assert!(!show.contains("test-key"));
    assert!(text(&cli.run(&["config", "show", "--show-secrets"], "").stdout).contains("test-key"));
    assert_eq!(text(&cli.run(&["config", "get", "API_KEY", "--show-secrets"], "").stdout), "test-key\n");
    let bad = cli.run(&["config", "set", "LOG_LEVEL", "loud"], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("invalid value for LOG_LEVEL"));
    let unknown = cli.run(&["config", "set", "NOPE", "1"], "");
    assert!(text(&unknown.stderr).contains("unknown configuration key NOPE; known keys: API_KEY, HOST"));
    assert_eq!(cli.run(&["config", "unset", "LOG_LEVEL"], "").status.code(), Some(0));
    assert_eq!(cli.run(&["config", "get", "LOG_LEVEL"], "").status.code(), Some(1));
    let path = text(&cli.run(&["config", "path", "--file", "custom.env"], "").stdout);
    assert_eq!(path.trim(), cli.dir.path().join("custom.env").display().to_string());
    // Interactive `config set`: Enter keeps, a value sets, '-' removes.
    let answers = format!("\n{}\n", "0.0.0.0") + "8080\nloud\ninfo\n-\n";
    let output = cli.run(&["config", "set", "--file", "wizard.env"], &answers);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("invalid: must be trace, debug, info, warn or error"));
    assert_eq!(
        std::fs::read_to_string(cli.dir.path().join("wizard.env")).unwrap(),
        "HOST=0.0.0.0\nPORT=8080\nLOG_LEVEL=info\n"
    );
}

#[test]
fn c55_history_on_a_missing_id_fails() {
    let cli = Cli::new();
    assert_eq!(text(&cli.run(&["history", "list"], "").stdout), "No chat sessions found.\n");
    for args in [["history", "export", "nope"], ["history", "delete", "nope"]] {
        let output = cli.run(&args, "");
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(text(&output.stderr), "Error: chat session nope not found\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_export_and_delete() {
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let args =
        ["chat", "--model", "gpt-4o", "--api-key", KEY, "--server-url", &url, "--session-name", "kept", "--save"];
    cli.run(&args, "hi\n");
    let listed = text(&cli.run(&["history", "list"], "").stdout);
    let id = listed.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let output = cli.run(&["history", "export", &id, "-o", "out.json"], "");
    assert_eq!(text(&output.stdout), "Session exported to: out.json\n");
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(cli.dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!((exported["name"].clone(), exported["messages"].as_array().unwrap().len()), (json!("kept"), 2));
    // --session continues it.
    cli.run(&["chat", "--model", "gpt-4o", "--api-key", KEY, "--server-url", &url, "--session", &id], "again\n");
    let last = server.demo_upstream().unwrap().recorder().last().unwrap().json();
    assert_eq!(last["messages"].as_array().unwrap().len(), 3);
    assert_eq!(text(&cli.run(&["history", "delete", &id], "").stdout), format!("Session {id} deleted.\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_aws_reports_the_identity() {
    let mock = obs_mock::spawn(obs_mock::MockConfig::default()).await.unwrap();
    let cli = Cli::new();
    let output = cli
        .command(&["config", "test-aws"])
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDTESTAWS")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_ENDPOINT_URL_STS", mock.base_url())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "Region:      us-east-1\nCredentials: static keys\nAccess key:  AKID…\nAccount:     123456789012\nIdentity:    arn:aws:iam::123456789012:user/obs-mock\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_chat_through_a_pseudo_terminal() {
    use expectrl::Expect;
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let mut command = cli.command(&["chat", "--model", "gpt-4o", "--api-key", KEY, "--server-url", &url]);
    command.env("HOME", cli.dir.path()).env("TERM", "dumb");
    let handle = tokio::task::spawn_blocking(move || {
        let mut session = expectrl::Session::spawn(command).unwrap();
        session.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        session.expect("Type /help for commands").unwrap();
        session.expect("You: ").unwrap();
        session.send_line("hello pty").unwrap();
        session.expect("You said: hello pty").unwrap();
        session.expect("You: ").unwrap();
        session.send_line("/exit").unwrap();
        session.expect("saved").unwrap();
    });
    handle.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_aws_with_a_profile_and_a_role_on_top_of_it() {
    let mock = obs_mock::spawn(obs_mock::MockConfig::default()).await.unwrap();
    let cli = Cli::new();
    let credentials = cli.dir.path().join("credentials");
    let config = cli.dir.path().join("config");
    std::fs::write(&credentials, "[dev]\naws_access_key_id = AKIDPROFILEDEV\naws_secret_access_key = profile-secret\n")
        .unwrap();
    std::fs::write(&config, "[profile dev]\nregion = eu-west-1\n").unwrap();
    let run = |role: Option<&str>| {
        let mut command = cli.command(&["config", "test-aws"]);
        command
            .env("AWS_PROFILE", "dev")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_ENDPOINT_URL_STS", mock.base_url())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_DEFAULT_REGION");
        if let Some(role) = role {
            command.env("AWS_ROLE_ARN", role);
        }
        command.output().unwrap()
    };

    let output = run(None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("Region:      eu-west-1\nCredentials: profile\nAccess key:  AKID…\n"), "{stdout}");
    let identity_call = mock.recorder().last().unwrap();
    assert!(
        identity_call.header("authorization").unwrap().contains("Credential=AKIDPROFILEDEV/"),
        "signed with the profile's keys"
    );

    let output = run(Some("arn:aws:iam::123456789012:role/on-top"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("Credentials: profile + assumed role\nAccess key:  ASIA…\n"),
        "{}",
        text(&output.stdout)
    );
    let calls = mock.recorder().requests();
    let (assume, identity) = (&calls[calls.len() - 2], &calls[calls.len() - 1]);
    assert!(String::from_utf8_lossy(&assume.body).contains("Action=AssumeRole"));
    assert!(
        assume.header("authorization").unwrap().contains("Credential=AKIDPROFILEDEV/"),
        "the role is assumed with the profile's keys"
    );
    assert!(identity.header("authorization").unwrap().contains("Credential=ASIAOBSMOCKASSUMED/"), "then used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_reply_not_the_session() {
    use expectrl::{ControlCode, Expect};
    let server = demo_server().await;
    let url = format!("http://{}", server.local_addr());
    let cli = Cli::new();
    let mut command = cli.command(&["chat", "--model", "gpt-4o", "--api-key", KEY, "--server-url", &url]);
    command.env("HOME", cli.dir.path()).env("TERM", "dumb");
    tokio::task::spawn_blocking(move || {
        let mut session = expectrl::Session::spawn(command).unwrap();
        session.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        session.expect("You: ").unwrap();
        // The emulator's `timeout` scenario keeps the upstream silent for 30 s.
        session.send_line("/model gpt-timeout").unwrap();
        session.expect("You: ").unwrap();
        session.send_line("this will hang").unwrap();
        // The request is in flight (no spinner on a TERM=dumb terminal).
        std::thread::sleep(std::time::Duration::from_millis(700));
        session.send(ControlCode::EndOfText).unwrap();
        session.expect("(cancelled)").unwrap();
        session.expect("You: ").unwrap();
        session.send_line("/model gpt-4o").unwrap();
        session.expect("You: ").unwrap();
        session.send_line("still here").unwrap();
        session.expect("You said: still here").unwrap();
        session.send_line("/history").unwrap();
        session.expect("assistant: You said: still here").unwrap();
        session.send_line("/exit").unwrap();
        session.expect("saved").unwrap();
    })
    .await
    .unwrap();
}
