//! Named providers and model groups in the configuration: what a good one resolves to, and every mistake reported
//! as one error naming its key — by `Config::validate` and, for everything the routing table resolves, by
//! `Gateway::new` too (an embedder may build a `Config` without `Config::load`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write as _;

use obs_service::config::{Affinity, Config, ConfigError, ConfigSources, ProviderConfig, Strategy};
use obs_service::routing::RouteRule;
use obs_service::{ChatService, Gateway, RequestContext};
use pretty_assertions::assert_eq;

/// A valid OpenAI-kind provider `x`, to aim groups at.
const X: &str = "[providers.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n";
/// A Bedrock ARN: slashes of its own, and no provider in front.
const ARN: &str =
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0";
/// A valid Bedrock-kind provider `br`.
const BR: &str = "[providers.br]\nkind = \"bedrock\"\nregion = \"eu-west-1\"\n";

/// The first error of parsing, then validating `toml`, and whether it came from the parser.
fn first_error(toml: &str) -> (ConfigError, bool) {
    match Config::from_toml(toml) {
        Err(e) => (e, true),
        Ok(config) => match config.validate() {
            Err(e) => (e, false),
            Ok(()) => panic!("accepted:\n{toml}"),
        },
    }
}

/// Where the check happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Parsing the TOML.
    Parse,
    /// `Config::validate` only.
    Validate,
    /// The routing table: `Config::validate` and `Gateway::new` alike.
    Routing,
}

#[test]
fn every_provider_and_group_mistake_names_its_key() {
    use At::{Parse, Routing, Validate};
    let cases: Vec<(String, At, &str, &str)> = vec![
        // Groups.
        (
            format!("{X}[models.g]\ntargets = [\"nope/gpt-4o\"]\n"),
            Routing,
            "models.g.targets[0]",
            "unknown provider 'nope' in 'nope/gpt-4o' (configured: openai, bedrock, x)",
        ),
        (
            format!("{X}[models.a]\ntargets = [\"b\"]\n[models.b]\ntargets = [\"a\"]\n"),
            Routing,
            "models.b.targets[0]",
            "groups form a cycle: a → b → a",
        ),
        (format!("{X}[models.a]\ntargets = [\"a\"]\n"), Routing, "models.a.targets[0]", "groups form a cycle: a → a"),
        (
            format!(
                "{X}[models.a]\ntargets = [\"x/m\", \"b\"]\n[models.b]\ntargets = [\"c\"]\n[models.c]\ntargets = [\"x/m\", \"a\"]\n"
            ),
            Routing,
            "models.c.targets[1]",
            "groups form a cycle: a → b → c → a",
        ),
        (format!("{X}[models.g]\ntargets = []\n"), Routing, "models.g.targets", "a group needs at least one target"),
        (
            format!("{X}[models.g]\nstrategy = \"weighted\"\n"),
            Parse,
            "config file",
            "models.g: missing field `targets` (line 4)",
        ),
        (
            format!("{X}[models.g]\ntargets = [\"x/a\", {{ model = \"x/b\", weight = 0 }}]\n"),
            Routing,
            "models.g.targets[1]",
            "weight must be at least 1",
        ),
        (
            format!("{X}[models.g]\ntargets = [{{ model = \"x/b\", weight = -2 }}]\n"),
            Parse,
            "config file",
            "models.g: invalid value: integer `-2`, expected u32 (line 4)",
        ),
        (
            format!("{X}[models.g]\ntargets = [{{ model = \"x/b\", wieght = 2 }}]\n"),
            Parse,
            "config file",
            "models.g: unknown field `wieght`, expected `model` or `weight` (line 4)",
        ),
        (
            format!("{X}[models.g]\ntargets = [5]\n"),
            Parse,
            "config file",
            "models.g: a target is \"<provider>/<model-id>\" or a table { model = \"…\", weight = N } (line 4)",
        ),
        (format!("{X}[models.g]\ntargets = [\"\"]\n"), Routing, "models.g.targets[0]", "a target must not be empty"),
        (
            format!("{X}[models.g]\ntargets = [\"x/\"]\n"),
            Routing,
            "models.g.targets[0]",
            "'x/' names provider 'x' but no model",
        ),
        (
            format!("{X}[models.g]\ntargets = [\"x/m\"]\naffinity = \"session\"\n"),
            Parse,
            "config file",
            "models.g: affinity 'session' must be \"user\" or \"header:<header-name>\" (line 4)",
        ),
        (
            // The line is the group's own table, not the first of [models].
            format!("{X}[models.a]\ntargets = [\"x/m\"]\n\n[models.g]\ntargets = [\"x/m\"]\naffinity = \"header:\"\n"),
            Parse,
            "config file",
            "models.g: affinity 'header:' must be \"user\" or \"header:<header-name>\" (line 7)",
        ),
        (
            format!("{X}[models.g]\ntargets = [\"x/m\"]\naffinity = \"header:x session\"\n"),
            Parse,
            "config file",
            "models.g: affinity 'header:x session' must be \"user\" or \"header:<header-name>\" (line 4)",
        ),
        (
            format!("{X}[models.g]\ntargets = [\"x/m\"]\nstrategy = \"random\"\n"),
            Parse,
            "config file",
            "models.g: unknown variant `random`, expected one of `fallback`, `round_robin`, `weighted`, `least_busy` (line 4)",
        ),
        (
            format!("{X}[models.g]\ntargets = [\"x/m\"]\nretries = 2\n"),
            Parse,
            "config file",
            "models.g: unknown field `retries`, expected one of `targets`, `strategy`, `affinity`, `guardrail`, `cache`, `rpm`, `tpm`, `max_parallel` (line 4)",
        ),
        (
            "[models]\ng = \"x/m\"\n".to_owned(),
            Parse,
            "config file",
            "models.g: a model group is a table ([models.g] with targets = [...]) (line 1)",
        ),
        (
            "[models.g]\ntargets = [\"bedrock/amazon.titan-embed-text-v2:0\", \"bedrock/amazon.nova-lite-v1:0\"]\n"
                .to_owned(),
            Routing,
            "models.g",
            "mixes embedding models ('bedrock/amazon.titan-embed-text-v2:0') and chat models ('bedrock/amazon.nova-lite-v1:0'): a group serves one kind of request; make one group of each",
        ),
        (
            format!(
                "{BR}[models.g]\ntargets = [\"br/meta.llama3-8b-instruct-v1:0\", \"br/stability.sd3-5-large-v1:0\"]\n"
            ),
            Routing,
            "models.g.targets[1]",
            "'stability.sd3-5-large-v1:0' is not a chat model: /v1/chat/completions serves text-generation models only.",
        ),
        (
            "[models.g]\ntargets = [\"gpt-4o\", \"arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0\"]\n"
                .to_owned(),
            Routing,
            "models.g",
            "mixes chat models ('openai/gpt-4o') and embedding models ('bedrock/arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0'): a group serves one kind of request; make one group of each",
        ),
        (
            // A slash in a target names a provider, unless the whole id is a Bedrock ARN: a typo is caught.
            format!("{X}[models.g]\ntargets = [\"meta-llama/Llama-3.1-8B-Instruct\"]\n"),
            Routing,
            "models.g.targets[0]",
            "unknown provider 'meta-llama' in 'meta-llama/Llama-3.1-8B-Instruct' (configured: openai, bedrock, x)",
        ),
        (
            format!("{X}[models.\"x/m\"]\ntargets = [\"x/m\"]\n"),
            Routing,
            "models.x/m",
            "a group name starting with 'x/' would read as provider 'x'; rename the group",
        ),
        (
            format!("{X}[models.fast]\ntargets = [\"x/m\"]\n[aliases]\nfast = \"x:m\"\n"),
            Routing,
            "models.fast",
            "'fast' is also an alias: one name, one meaning",
        ),
        // Providers.
        (
            "[providers.openai]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n".to_owned(),
            Routing,
            "providers.openai",
            "the name 'openai' is the built-in provider of [openai] and its environment variables; give this provider another name",
        ),
        (
            "[providers.bedrock]\nkind = \"bedrock\"\nregion = \"us-east-1\"\n".to_owned(),
            Routing,
            "providers.bedrock",
            "the name 'bedrock' is the built-in provider of [bedrock] and its environment variables; give this provider another name",
        ),
        (format!("{X}{X}"), Parse, "config file", "duplicate key (line 4, at `[providers.x]`)"),
        (
            format!(
                "{X}[server]\nport = 1\n[providers.x.timeouts]\nidle_seconds = 1\n[providers.x]\nkind = \"openai\"\n"
            ),
            Parse,
            "config file",
            "duplicate key (line 8, at `[providers.x]`)",
        ),
        (format!("{X}kind = \"bedrock\"\n"), Parse, "config file", "duplicate key (line 4, at `kind`)"),
        (
            format!("{X}\n[providers.z]\nkind = \"azure\"\n"),
            Parse,
            "config file",
            "providers.z.kind: unknown kind 'azure' (use \"openai\" or \"bedrock\") (line 5)",
        ),
        (
            "[providers.x]\nkind = 1\n".to_owned(),
            Parse,
            "config file",
            "providers.x.kind: must be \"openai\" or \"bedrock\" (line 1)",
        ),
        (
            "[providers.x]\nbase_url = \"http://127.0.0.1:9/v1\"\n".to_owned(),
            Parse,
            "config file",
            "providers.x.kind: missing (\"openai\" or \"bedrock\") (line 1)",
        ),
        (
            "[providers.x]\nkind = \"openai\"\nbase_ur = \"http://127.0.0.1:9/v1\"\n".to_owned(),
            Parse,
            "config file",
            "providers.x: unknown field `base_ur`, expected one of `api_key`, `base_url`, `organization`, `extra_headers`, `models`, `timeouts`, `responses`, `apply_guardrail` (line 1)",
        ),
        (
            // An OpenAI-kind key on a Bedrock provider (a Bedrock API key is `api_key`, which is valid).
            format!("{BR}base_url = \"http://x\"\n"),
            Parse,
            "config file",
            "providers.br: unknown field `base_url`, expected one of `region`, `claude_api`, `structured_output`, `guardrail`, `cache`, `api_key`, `endpoint_url`, `control_endpoint_url`, `default_max_tokens_claude`, `default_max_tokens_titan`, `models`, `timeouts` (line 1)",
        ),
        (
            format!("{BR}[providers.br.aws]\naccess_key = \"AKID\"\n"),
            Parse,
            "config file",
            "providers.br.aws: unknown field `access_key`, expected one of `access_key_id`, `secret_access_key`, `session_token`, `profile`, `role_arn`, `external_id`, `role_session_name`, `role_session_duration`, `web_identity_token_file`, `sts_endpoint_url`, `team_sessions`, `team_tag_key` (line 4)",
        ),
        (
            "[reasoning.budgets]\nlow = 1000\n".to_owned(),
            Validate,
            "reasoning.budgets.low",
            "must be at least 1024 tokens (Claude's smallest thinking budget)",
        ),
        (
            format!("{BR}[providers.br.aws]\nteam_sessions = true\n"),
            Validate,
            "providers.br.aws.team_sessions",
            "needs a role to assume (role_arn): a team is passed to AWS in the session of an assumed role",
        ),
        (
            format!("{BR}api_key = \"bedrock-key\"\n[providers.br.aws]\nrole_arn = \"arn:aws:iam::1:role/r\"\nteam_sessions = true\n"),
            Validate,
            "providers.br.aws.team_sessions",
            "cannot be used with a Bedrock API key, which replaces AWS credentials",
        ),
        (
            format!("{BR}[providers.br.aws]\nrole_arn = \"arn:aws:iam::1:role/r\"\nteam_sessions = true\nteam_tag_key = \"team#1\"\n"),
            Validate,
            "providers.br.aws.team_tag_key",
            "must be 1 to 128 letters, digits, spaces or _ . : / = + - @ (an STS session tag key)",
        ),
        (
            format!("{BR}[providers.br.aws]\naccess_key_id = \"AKID\"\n"),
            Validate,
            "providers.br.aws.secret_access_key",
            "static AWS credentials need both an access key id and a secret access key",
        ),
        (
            format!("{BR}claude_api = \"grpc\"\n"),
            Parse,
            "config file",
            "providers.br: unknown variant `grpc`, expected `invoke` or `converse` (line 1)",
        ),
        (
            "[providers.x]\nkind = \"openai\"\nbase_url = \"localhost:8000\"\n".to_owned(),
            Validate,
            "providers.x.base_url",
            "'localhost:8000' is not an http(s) URL",
        ),
        (
            format!("{X}[providers.x.timeouts]\nfirst_byte_seconds = 0\n"),
            Validate,
            "providers.x.timeouts.first_byte_seconds",
            "must be a number of seconds above 0 (at most a day)",
        ),
        (
            "[providers.\"bad name\"]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n".to_owned(),
            Validate,
            "providers.bad name",
            "a provider name is letters, digits, '-', '_' and '.'",
        ),
        (
            format!(
                "{X}models = [\"shared\"]\n[providers.y]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodels = [\"shared\"]\n"
            ),
            Routing,
            "providers.y.models",
            "'shared' is also listed by provider 'x': put both in a model group to share it",
        ),
        (
            format!("{BR}models = [\"shared\"]\n[openai]\nmodels = [\"shared\"]\n"),
            Routing,
            "providers.br.models",
            "'shared' is also listed by provider 'openai': put both in a model group to share it",
        ),
        (format!("{X}models = [\" \"]\n"), Validate, "providers.x.models[0]", "must not be empty"),
        (
            format!("{X}[routing]\ndefault_provider = \"nope\"\n"),
            Routing,
            "routing.default_provider",
            "unknown provider 'nope' (configured: openai, bedrock, x)",
        ),
        (
            format!("{X}[aliases]\nq = \"nope:m\"\n"),
            Routing,
            "aliases.q",
            "unknown provider 'nope' (configured: openai, bedrock, x)",
        ),
        (
            format!("{X}[routing]\ncooldown_seconds = 60\nmax_cooldown_seconds = 30\n"),
            Validate,
            "routing.cooldown_seconds",
            "must not exceed routing.max_cooldown_seconds",
        ),
        (format!("{X}[routing]\nfailure_threshold = 0\n"), Validate, "routing.failure_threshold", "must be at least 1"),
        // Toml's own messages name no key: the line's key does (never its value).
        (
            "[openai]\napi_key = sk-not-quoted\n".to_owned(),
            Parse,
            "config file",
            "string values must be quoted, expected literal string (line 2, at `api_key`)",
        ),
        (
            "[routing]\nfailure_threshold = \"3\"\n".to_owned(),
            Parse,
            "config file",
            "invalid type: string \"3\", expected u32 (line 2, at `failure_threshold`)",
        ),
    ];
    for (toml, at, key, message) in &cases {
        let (error, parse) = first_error(toml);
        assert_eq!((error.key.as_str(), error.message.as_str(), parse), (*key, *message, *at == At::Parse), "\n{toml}");
        assert_eq!(error.to_string(), format!("configuration `{key}`: {message}"));
        assert!(!error.to_string().contains("sk-not-quoted"), "a value may be a secret");
        if *at != At::Parse {
            // Gateway::new makes every check Config::load makes, on a configuration built by hand as well.
            let built = Gateway::new(Config::from_toml(toml).unwrap());
            assert_eq!(built.err(), Some(error), "Gateway::new checks it too:\n{toml}");
        }
    }
}

fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(toml.as_bytes()).unwrap();
    let map: HashMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let lookup = move |key: &str| map.get(key).cloned();
    Config::load(ConfigSources { file: Some(file.path().to_owned()), env: &lookup })
}

#[test]
fn the_default_provider_from_the_environment_must_be_configured() {
    let error = load(X, &[("OBS_DEFAULT_PROVIDER", "vllm")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration `OBS_DEFAULT_PROVIDER`: 'vllm' is not a configured provider (openai, bedrock, or a [providers.<name>] table)"
    );
    let config = load(X, &[("OBS_DEFAULT_PROVIDER", "x")]).unwrap();
    assert_eq!(config.routing.default_provider.as_deref(), Some("x"));
    let gateway = Gateway::new(config).unwrap();
    let plan = gateway.plan(&request("my-local-model"), &RequestContext::default()).unwrap();
    assert_eq!((plan.rule(), plan.targets().collect::<Vec<_>>()), (RouteRule::Default, vec![("x", "my-local-model")]));
}

#[test]
fn a_parse_error_from_a_file_names_the_file_and_the_key() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(format!("{X}{X}").as_bytes()).unwrap();
    let error = Config::load(ConfigSources { file: Some(file.path().to_owned()), env: &|_| None }).unwrap_err();
    assert_eq!(error.key, file.path().display().to_string());
    assert_eq!(error.message, "duplicate key (line 4, at `[providers.x]`)");
}

fn request(model: &str) -> obs_models::openai::ChatCompletionRequest {
    serde_json::from_value(serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .unwrap()
}

#[test]
fn a_good_configuration_resolves_every_form() {
    let config = load(
        &format!(
            "{X}organization = \"org-1\"\nmodels = [\"local-llama\"]\n[providers.x.extra_headers]\napi-key = \"k\"\n\
             [providers.x.timeouts]\nfirst_byte_seconds = 5\n\
             {BR}claude_api = \"converse\"\n[providers.br.aws]\nprofile = \"eu\"\n\
             [models]\ncache_seconds = 60\n\
             [models.inner]\nstrategy = \"round_robin\"\ntargets = [\"x/a\", {{ model = \"br/meta.llama3-8b-instruct-v1:0\", weight = 2 }}]\n\
             [models.outer]\nstrategy = \"weighted\"\naffinity = \"header:X-Session\"\n\
             targets = [{{ model = \"inner\", weight = 3 }}, \"local-llama\", \"gpt-4o\"]\n\
             [models.sticky]\naffinity = \"user\"\nstrategy = \"least_busy\"\ntargets = [\"x/a\", \"{ARN}\"]\n"
        ),
        &[],
    )
    .unwrap();
    let kinds: Vec<(&str, &str)> = config.providers.iter().map(|(n, p)| (n.as_str(), p.kind())).collect();
    assert_eq!(kinds, [("br", "bedrock"), ("x", "openai")]);
    let ProviderConfig::Bedrock(br) = &config.providers["br"] else { panic!() };
    assert_eq!((br.bedrock.region.as_deref(), br.aws.profile.as_deref()), (Some("eu-west-1"), Some("eu")));
    let ProviderConfig::OpenAi(x) = &config.providers["x"] else { panic!() };
    assert_eq!((x.organization.as_deref(), x.timeouts.as_ref().unwrap().first_byte_seconds), (Some("org-1"), 5.0));
    assert_eq!(config.models.cache_seconds, 60);
    let outer = &config.models.groups["outer"];
    assert_eq!(
        (outer.strategy, outer.affinity.clone()),
        (Strategy::Weighted, Some(Affinity::Header("x-session".into())))
    );
    let sticky = &config.models.groups["sticky"];
    assert_eq!((sticky.strategy, sticky.affinity.clone()), (Strategy::LeastBusy, Some(Affinity::User)));

    // A nested group's targets take its place, weights multiplied; bare ids route as requests would.
    let gateway = Gateway::new(config).unwrap();
    let targets: Vec<(String, String, u32)> =
        gateway.targets().into_iter().map(|t| (t.group, t.target, t.weight)).collect();
    let row = |g: &str, t: &str, w: u32| (g.to_owned(), t.to_owned(), w);
    assert_eq!(
        targets,
        [
            row("inner", "x/a", 1),
            row("inner", "br/meta.llama3-8b-instruct-v1:0", 2),
            row("outer", "x/a", 3),
            row("outer", "br/meta.llama3-8b-instruct-v1:0", 6),
            row("outer", "x/local-llama", 1),
            row("outer", "openai/gpt-4o", 1),
            row("sticky", "x/a", 1),
            row("sticky", &format!("bedrock/{ARN}"), 1),
        ]
    );
    let plan = gateway.plan(&request("outer"), &RequestContext::default()).unwrap();
    assert_eq!((plan.rule(), plan.group()), (RouteRule::Group, Some("outer")));
    assert_eq!(plan.targets().count(), 4, "the first target, then every other as a fallback");
    assert_eq!(gateway.built_adapters(), 0, "planning builds nothing");
}

#[test]
fn gateway_new_refuses_unusable_cool_downs_without_panicking() {
    for (cooldown, max, key) in [
        (-1.0, 1.0, "routing.cooldown_seconds"),
        (f64::NAN, 1.0, "routing.cooldown_seconds"),
        (1.0, f64::INFINITY, "routing.max_cooldown_seconds"),
    ] {
        // Built by hand, as an embedder might: never through `Config::validate`.
        let mut config = Config::default();
        config.routing.cooldown_seconds = cooldown;
        config.routing.max_cooldown_seconds = max;
        let error = Gateway::new(config).err().unwrap();
        assert_eq!(
            error.to_string(),
            format!("configuration `{key}`: must be a number of seconds above 0 (at most a day)"),
            "{cooldown} {max}"
        );
    }
}
