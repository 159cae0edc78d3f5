//! Bedrock Guardrails over a real listener: which guardrail reaches the upstream — the request's body object, else
//! Bedrock's headers, else the model group's, else the provider's — compared in the bodies the emulator received;
//! none for an OpenAI-compatible target; a malformed header refused naming it; and an intervention answered in each
//! target format (OpenAI whole and streamed, Claude, Titan) as documented in docs/reference/formats.md §7.12.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{KEY, TestServer, chat, data_lines, start, status_json};
use obs_mock::{MockConfig, MockHandle};
use obs_service::config::Config;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const BLOCKED: &str = "Sorry, the model cannot answer this question.";

async fn gateway(mock: &MockHandle) -> TestServer {
    let url = mock.base_url();
    let toml = format!(
        "[providers.br]\nkind = \"bedrock\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\n\
         guardrail = {{ id = \"prov1\", version = \"1\" }}\n\
         [providers.br.aws]\naccess_key_id = \"AKIDTEST\"\nsecret_access_key = \"test-secret\"\n\
         [providers.oa]\nkind = \"openai\"\napi_key = \"sk-test\"\nbase_url = \"{url}/v1\"\n\
         [models.guarded]\ntargets = [\"br/amazon.nova-pro-v1:0\"]\n\
         guardrail = {{ id = \"group1\", version = \"2\", trace = \"enabled\" }}\n\
         [models.mixed]\ntargets = [\"oa/gpt-4o\"]\nguardrail = {{ id = \"group1\", version = \"2\" }}\n\
         [models.guarded-claude]\ntargets = [\"br/anthropic.claude-3-haiku-20240307-v1:0\"]\n\
         guardrail = {{ id = \"group1\", version = \"2\", trace = \"enabled\" }}\n"
    );
    let parsed = Config::from_toml(&toml).unwrap();
    start(move |c| {
        c.providers = parsed.providers;
        c.models.groups = parsed.models.groups;
        c.validate().unwrap();
    })
    .await
}

async fn post(server: &TestServer, path: &str, body: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = server.client.post(format!("{}{path}", server.base)).bearer_auth(KEY).json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn converse_body(guardrail: Value) -> Value {
    json!({"messages":[{"role":"user","content":[{"text":"hello obs"}]}],"guardrailConfig":guardrail})
}

#[tokio::test]
async fn the_request_wins_over_the_group_which_wins_over_the_provider() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = gateway(&mock).await;
    let headers = [("x-amzn-bedrock-guardrailidentifier", "own1"), ("x-amzn-bedrock-guardrailversion", "3")];
    let mut with_body = chat("guarded");
    with_body["guardrail"] = json!({"id":"own2","version":"DRAFT"});
    let cases = [
        (chat("br/amazon.nova-pro-v1:0"), &[][..], json!({"guardrailIdentifier":"prov1","guardrailVersion":"1"})),
        (chat("guarded"), &[][..], json!({"guardrailIdentifier":"group1","guardrailVersion":"2","trace":"enabled"})),
        (chat("guarded"), &headers[..], json!({"guardrailIdentifier":"own1","guardrailVersion":"3"})),
        (with_body, &headers[..], json!({"guardrailIdentifier":"own2","guardrailVersion":"DRAFT"})),
    ];
    for (body, headers, mut expected) in cases {
        let (status, answer) = status_json(post(&server, "/v1/chat/completions", &body, headers).await).await;
        assert_eq!(status, 200, "{answer}");
        // The SDK always sends a trace: disabled when none was asked.
        expected.as_object_mut().unwrap().entry("trace").or_insert(json!("disabled"));
        assert_eq!(mock.recorder().last().unwrap().json(), converse_body(expected), "{body}");
    }
}

#[tokio::test]
async fn an_openai_compatible_target_gets_no_guardrail_field() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = gateway(&mock).await;
    let mut body = chat("mixed");
    body["guardrail"] = json!({"id":"own2","version":"1"});
    let (status, answer) = status_json(post(&server, "/v1/chat/completions", &body, &[]).await).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"model":"gpt-4o","messages":[{"role":"user","content":"hello obs"}]})
    );
}

#[tokio::test]
async fn a_malformed_guardrail_is_refused_naming_the_field() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = gateway(&mock).await;
    let only_id = [("x-amzn-bedrock-guardrailidentifier", "own1")];
    let (status, error) = status_json(post(&server, "/v1/chat/completions", &chat("guarded"), &only_id).await).await;
    assert_eq!(
        (status, error),
        (
            400,
            json!({"error":{"message":"`x-amzn-bedrock-guardrailversion` is required with \
                `x-amzn-bedrock-guardrailidentifier`.","type":"invalid_request_error",
                "param":"x-amzn-bedrock-guardrailversion","code":"invalid_value"}})
        )
    );
    let mut body = chat("guarded");
    body["guardrail"] = json!({"id":"own1","version":"latest"});
    let (status, error) = status_json(post(&server, "/v1/chat/completions", &body, &[]).await).await;
    assert_eq!(
        (status, &error["error"]["param"], &error["error"]["code"]),
        (400, &json!("guardrail.version"), &json!("invalid_value"))
    );
    assert_eq!(mock.recorder().count(), 0, "nothing was sent");
}

fn blocking_headers() -> [(&'static str, &'static str); 3] {
    [
        ("x-amzn-bedrock-guardrailidentifier", "grblock"),
        ("x-amzn-bedrock-guardrailversion", "1"),
        ("x-amzn-bedrock-trace", "ENABLED"),
    ]
}

fn converse_trace() -> Value {
    json!({"inputAssessment":{"grblock":{"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH",
        "filterStrength":"HIGH","action":"BLOCKED","detected":true}]},
        "invocationMetrics":{"guardrailProcessingLatency":45,"usage":{"topicPolicyUnits":0,"contentPolicyUnits":1,
            "wordPolicyUnits":0,"sensitiveInformationPolicyUnits":0,"sensitiveInformationPolicyFreeUnits":0,
            "contextualGroundingPolicyUnits":0},"guardrailCoverage":{"textCharacters":{"guarded":24,"total":24}}}}},
        "actionReason":"Guardrail blocked."})
}

fn without_id(mut value: Value) -> Value {
    value.as_object_mut().unwrap().remove("id");
    value.as_object_mut().unwrap().remove("created");
    value
}

#[tokio::test]
async fn an_intervention_in_each_target_format() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = gateway(&mock).await;
    let model = "br/amazon.nova-pro-v1:0";
    let path = "/v1/chat/completions";

    let (_, answer) = status_json(post(&server, path, &chat(model), &blocking_headers()).await).await;
    assert_eq!(
        without_id(answer),
        json!({"object":"chat.completion","model":model,
            "choices":[{"index":0,"message":{"role":"assistant","content":BLOCKED},"finish_reason":"content_filter",
                "logprobs":null}],
            "usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},
            "guardrail":{"action":"INTERVENED","trace":converse_trace()}})
    );

    let (_, answer) =
        status_json(post(&server, &format!("{path}?target_format=claude"), &chat(model), &blocking_headers()).await)
            .await;
    assert_eq!(
        without_id(answer),
        json!({"type":"message","role":"assistant","model":model,"content":[{"type":"text","text":BLOCKED}],
            "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0},
            "amazon-bedrock-guardrailAction":"INTERVENED","amazon-bedrock-trace":{"guardrail":converse_trace()}})
    );

    let (_, answer) =
        status_json(post(&server, &format!("{path}?target_format=titan"), &chat(model), &blocking_headers()).await)
            .await;
    assert_eq!(
        answer,
        json!({"inputTextTokenCount":0,"results":[{"tokenCount":0,"outputText":BLOCKED,
            "completionReason":"CONTENT_FILTERED"}],
            "amazon-bedrock-guardrailAction":"INTERVENED","amazon-bedrock-trace":{"guardrail":converse_trace()}})
    );

    let mut streamed = chat(model);
    streamed["stream"] = json!(true);
    let transcript = post(&server, path, &streamed, &blocking_headers()).await.text().await.unwrap();
    let chunks: Vec<Value> = data_lines(&transcript)
        .iter()
        .filter(|line| *line != "[DONE]")
        .map(|line| without_id(serde_json::from_str(line).unwrap()))
        .collect();
    assert_eq!(
        chunks,
        vec![
            json!({"object":"chat.completion.chunk","model":model,
                "choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,
                    "logprobs":null}]}),
            json!({"object":"chat.completion.chunk","model":model,
                "choices":[{"index":0,"delta":{"content":BLOCKED},"finish_reason":null,"logprobs":null}]}),
            json!({"object":"chat.completion.chunk","model":model,
                "choices":[{"index":0,"delta":{},"finish_reason":"content_filter","logprobs":null}],
                "guardrail":{"action":"INTERVENED","trace":converse_trace()}}),
        ]
    );
}

// ---- the Bedrock runtime routes ----

fn runtime_path(model: &str, operation: &str) -> String {
    format!("/model/{}/{operation}", model.replace(':', "%3A"))
}

async fn post_runtime(server: &TestServer, path: &str, body: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = server.client.post(format!("{}{path}", server.base)).bearer_auth(KEY).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn recorded_guardrail_headers(mock: &MockHandle) -> [Option<String>; 3] {
    let sent = mock.recorder().last().unwrap();
    ["x-amzn-bedrock-guardrailidentifier", "x-amzn-bedrock-guardrailversion", "x-amzn-bedrock-trace"]
        .map(|name| sent.header(name).map(str::to_owned))
}

#[tokio::test]
async fn the_runtime_routes_forward_bedrocks_guardrail_headers_and_apply_the_configured_ones() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = gateway(&mock).await;
    let claude = "br/anthropic.claude-3-haiku-20240307-v1:0";
    let body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":50,
        "messages":[{"role":"user","content":"hi"}]});
    for operation in ["invoke", "invoke-with-response-stream"] {
        let response = post_runtime(&server, &runtime_path(claude, operation), &body, &blocking_headers()).await;
        assert_eq!(response.status(), 200);
        let _ = response.bytes().await.unwrap();
        let expected = [Some("grblock".to_owned()), Some("1".to_owned()), Some("ENABLED".to_owned())];
        assert_eq!(recorded_guardrail_headers(&mock), expected, "{operation}");
        assert_eq!(mock.recorder().last().unwrap().json(), body, "{operation}: the body as the client sent it");
    }
    // Bedrock's own answer comes back as it was, guardrail keys and all.
    let (_, answer) =
        status_json(post_runtime(&server, &runtime_path(claude, "invoke"), &body, &blocking_headers()).await).await;
    assert_eq!(
        (answer["amazon-bedrock-guardrailAction"].clone(), answer["content"][0]["text"].clone()),
        (json!("INTERVENED"), json!(BLOCKED))
    );

    // No headers: the provider's guardrail, also on a Converse body that names none.
    post_runtime(&server, &runtime_path(claude, "invoke"), &body, &[]).await.bytes().await.unwrap();
    assert_eq!(recorded_guardrail_headers(&mock), [Some("prov1".to_owned()), Some("1".to_owned()), None]);
    let converse = json!({"messages":[{"role":"user","content":[{"text":"hi"}]}]});
    post_runtime(&server, &runtime_path("guarded", "converse"), &converse, &[]).await.bytes().await.unwrap();
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"messages":[{"role":"user","content":[{"text":"hi"}]}],
            "guardrailConfig":{"guardrailIdentifier":"group1","guardrailVersion":"2","trace":"enabled"}}),
        "the group's guardrail"
    );
    let own = json!({"messages":[{"role":"user","content":[{"text":"hi"}]}],
        "guardrailConfig":{"guardrailIdentifier":"own1","guardrailVersion":"1"}});
    post_runtime(&server, &runtime_path("guarded", "converse"), &own, &[]).await.bytes().await.unwrap();
    assert_eq!(mock.recorder().last().unwrap().json(), own, "the client's own guardrailConfig wins");
}

#[tokio::test]
async fn a_streamed_intervention_in_the_claude_and_titan_formats_carries_bedrocks_keys() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = gateway(&mock).await;
    let mut streamed = chat("br/amazon.nova-pro-v1:0");
    streamed["stream"] = json!(true);
    let keys =
        json!({"amazon-bedrock-guardrailAction":"INTERVENED","amazon-bedrock-trace":{"guardrail":converse_trace()}});

    let path = "/v1/chat/completions?target_format=claude";
    let transcript = post(&server, path, &streamed, &blocking_headers()).await.text().await.unwrap();
    let events: Vec<Value> = data_lines(&transcript).iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    let tail = &events[events.len() - 2..];
    let mut stop = json!({"type":"message_stop"});
    stop.as_object_mut().unwrap().extend(keys.as_object().unwrap().clone());
    assert_eq!(
        tail,
        [
            json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
                "usage":{"output_tokens":0}}),
            stop,
        ],
        "{transcript}"
    );

    let path = "/v1/chat/completions?target_format=titan";
    let transcript = post(&server, path, &streamed, &blocking_headers()).await.text().await.unwrap();
    let chunks: Vec<Value> = data_lines(&transcript).iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    let mut last = json!({"outputText":"","index":0,"totalOutputTextTokenCount":0,"completionReason":"CONTENT_FILTERED",
        "inputTextTokenCount":0});
    last.as_object_mut().unwrap().extend(keys.as_object().unwrap().clone());
    assert_eq!(
        chunks,
        [json!({"outputText":BLOCKED,"index":0,"totalOutputTextTokenCount":null,"completionReason":null}), last],
        "{transcript}"
    );
}

// ---- ApplyGuardrail for an OpenAI-compatible provider ----

async fn checked_gateway(mock: &MockHandle) -> TestServer {
    let url = mock.base_url();
    let toml = format!(
        "[providers.br]\nkind = \"bedrock\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\n\
         [providers.br.aws]\naccess_key_id = \"AKIDTEST\"\nsecret_access_key = \"test-secret\"\n\
         [providers.oa]\nkind = \"openai\"\napi_key = \"sk-test\"\nbase_url = \"{url}/v1\"\napply_guardrail = \"br\"\n"
    );
    let parsed = Config::from_toml(&toml).unwrap();
    start(move |c| {
        c.providers = parsed.providers;
        c.validate().unwrap();
    })
    .await
}

fn guarded_chat(id: &str, stream: bool) -> Value {
    let mut body = chat("oa/gpt-4o");
    body["guardrail"] = json!({"id": id, "version": "1"});
    body["stream"] = json!(stream);
    body
}

fn paths(mock: &MockHandle) -> Vec<String> {
    mock.recorder().requests().into_iter().map(|r| r.path).collect()
}

fn apply_assessment() -> Value {
    json!({"assessments":[{"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH",
        "filterStrength":"HIGH","action":"BLOCKED","detected":true}]},
        "invocationMetrics":{"guardrailProcessingLatency":45,"usage":{"topicPolicyUnits":0,"contentPolicyUnits":1,
            "wordPolicyUnits":0,"sensitiveInformationPolicyUnits":0,"sensitiveInformationPolicyFreeUnits":0,
            "contextualGroundingPolicyUnits":0},"guardrailCoverage":{"textCharacters":{"guarded":24,"total":24}}}}]})
}

#[tokio::test]
async fn an_openai_provider_with_apply_guardrail_is_checked_before_and_after_the_upstream() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let server = checked_gateway(&mock).await;
    let path = "/v1/chat/completions";

    // Blocked input: answered at once, the upstream never asked.
    let (status, answer) = status_json(post(&server, path, &guarded_chat("grblock", false), &[]).await).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        without_id(answer),
        json!({"object":"chat.completion","model":"oa/gpt-4o",
            "choices":[{"index":0,"message":{"role":"assistant","content":BLOCKED},"finish_reason":"content_filter",
                "logprobs":null}],
            "usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},
            "guardrail":{"action":"INTERVENED","trace":apply_assessment()}})
    );
    assert_eq!(paths(&mock), ["/guardrail/grblock/version/1/apply"]);
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent, json!({"source":"INPUT","content":[{"text":{"text":"hello obs"}}]}));

    // Blocked output: the upstream answered, the guardrail's message replaces its text.
    let (_, answer) = status_json(post(&server, path, &guarded_chat("grblockoutput", false), &[]).await).await;
    assert_eq!(
        (
            &answer["choices"][0]["message"]["content"],
            &answer["choices"][0]["finish_reason"],
            &answer["guardrail"]["action"]
        ),
        (&json!("Sorry, the answer was blocked by a guardrail."), &json!("content_filter"), &json!("INTERVENED"))
    );
    assert_eq!(
        paths(&mock)[1..],
        [
            "/guardrail/grblockoutput/version/1/apply",
            "/v1/chat/completions",
            "/guardrail/grblockoutput/version/1/apply"
        ]
    );

    // A guardrail that lets it through: the upstream's answer as it was; no guardrail, no check.
    let (_, answer) = status_json(post(&server, path, &guarded_chat("grok1", false), &[]).await).await;
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert!(answer.get("guardrail").is_none(), "{answer}");
    let before = mock.recorder().count();
    status_json(post(&server, path, &chat("oa/gpt-4o"), &[]).await).await;
    assert_eq!(paths(&mock)[before as usize..], ["/v1/chat/completions"]);

    // Streamed: the input check.
    let transcript = post(&server, path, &guarded_chat("grblock", true), &[]).await.text().await.unwrap();
    let chunks: Vec<Value> = data_lines(&transcript)
        .iter()
        .filter(|line| *line != "[DONE]")
        .map(|line| without_id(serde_json::from_str(line).unwrap()))
        .collect();
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "content_filter", "{transcript}");
    assert_eq!(chunks.last().unwrap()["guardrail"]["action"], "INTERVENED");

    // Streamed: the output check, on all the text streamed, when the finish chunk arrives.
    let streamed = |transcript: &str| -> (String, Vec<Value>) {
        let chunks: Vec<Value> = data_lines(transcript)
            .iter()
            .filter(|line| *line != "[DONE]")
            .map(|line| without_id(serde_json::from_str(line).unwrap()))
            .collect();
        let text = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
        (text, chunks)
    };
    let before = mock.recorder().count() as usize;
    let transcript = post(&server, path, &guarded_chat("grblockoutput", true), &[]).await.text().await.unwrap();
    let (text, chunks) = streamed(&transcript);
    assert!(!text.is_empty(), "{transcript}");
    let finish = chunks.iter().find(|c| !c["choices"][0]["finish_reason"].is_null()).unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "content_filter", "{transcript}");
    assert_eq!(finish["guardrail"], json!({"action": "INTERVENED", "trace": apply_assessment()}), "{transcript}");
    assert_eq!(
        paths(&mock)[before..],
        [
            "/guardrail/grblockoutput/version/1/apply",
            "/v1/chat/completions",
            "/guardrail/grblockoutput/version/1/apply"
        ]
    );
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"source": "OUTPUT", "content": [{"text": {"text": text}}]}),
        "the whole streamed text is checked"
    );
    let transcript = post(&server, path, &guarded_chat("grok1", true), &[]).await.text().await.unwrap();
    let (_, chunks) = streamed(&transcript);
    let finish = chunks.iter().find(|c| !c["choices"][0]["finish_reason"].is_null()).unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "stop", "{transcript}");
    assert!(finish.get("guardrail").is_none(), "{transcript}");
}

#[tokio::test]
async fn apply_guardrail_must_name_a_bedrock_provider() {
    let toml = "[providers.oa]\nkind = \"openai\"\napi_key = \"sk-test\"\napply_guardrail = \"openai\"\n";
    let parsed = Config::from_toml(toml).unwrap();
    let config = Config { providers: parsed.providers, ..Config::default() };
    let error = obs_service::Gateway::new(config).unwrap_err();
    assert_eq!(error.to_string(), "configuration `providers.oa.apply_guardrail`: 'openai' is not a Bedrock provider");
}

#[tokio::test]
async fn the_messages_route_to_claude_is_guarded_by_its_providers_guardrail() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let t = gateway(&mock).await;
    let body = json!({"model": "br/anthropic.claude-3-haiku-20240307-v1:0", "max_tokens": 32,
        "messages": [{"role": "user", "content": "hello obs"}]});
    for stream in [false, true] {
        let mut body = body.clone();
        body["stream"] = json!(stream);
        let response = post(&t, "/v1/messages", &body, &[("anthropic-version", "2023-06-01")]).await;
        assert_eq!(response.status(), 200, "stream {stream}");
        drop(response.bytes().await.unwrap());
        assert_eq!(
            recorded_guardrail_headers(&mock),
            [Some("prov1".to_owned()), Some("1".to_owned()), None],
            "stream {stream}: the provider's guardrail reached InvokeModel"
        );
    }
}

#[tokio::test]
async fn the_messages_route_takes_bedrocks_guardrail_headers_and_the_groups_guardrail() {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let t = gateway(&mock).await;
    let own = [
        ("anthropic-version", "2023-06-01"),
        ("x-amzn-bedrock-guardrailidentifier", "own1"),
        ("x-amzn-bedrock-guardrailversion", "3"),
    ];
    let plain = [("anthropic-version", "2023-06-01")];
    let message = |model: &str, stream: bool| {
        json!({"model": model, "max_tokens": 32, "stream": stream,
            "messages": [{"role": "user", "content": "hello obs"}]})
    };
    let some = |id: &str, version: &str, trace: Option<&str>| {
        [Some(id.to_owned()), Some(version.to_owned()), trace.map(str::to_owned)]
    };
    for stream in [false, true] {
        // Claude through InvokeModel (the passthrough): the guardrail parameters are InvokeModel's headers.
        let native = [
            ("br/anthropic.claude-3-haiku-20240307-v1:0", &own[..], some("own1", "3", None)),
            ("guarded-claude", &plain[..], some("group1", "2", Some("ENABLED"))),
            ("guarded-claude", &own[..], some("own1", "3", None)),
        ];
        for (model, headers, expected) in native {
            let response = post(&t, "/v1/messages", &message(model, stream), headers).await;
            assert_eq!(response.status(), 200, "{model} stream {stream}");
            drop(response.bytes().await.unwrap());
            assert_eq!(recorded_guardrail_headers(&mock), expected, "{model} stream {stream}");
        }
        // Nova through Converse (the request converted): Converse's guardrailConfig.
        let converted = [
            (&plain[..], json!({"guardrailIdentifier": "group1", "guardrailVersion": "2", "trace": "enabled"})),
            (&own[..], json!({"guardrailIdentifier": "own1", "guardrailVersion": "3", "trace": "disabled"})),
        ];
        for (headers, mut expected) in converted {
            if stream {
                // ConverseStream's guardrail config says how the stream is checked.
                expected["streamProcessingMode"] = json!("sync");
            }
            let response = post(&t, "/v1/messages", &message("guarded", stream), headers).await;
            assert_eq!(response.status(), 200, "stream {stream}");
            drop(response.bytes().await.unwrap());
            assert_eq!(mock.recorder().last().unwrap().json()["guardrailConfig"], expected, "stream {stream}");
        }
    }
    // A malformed header is refused in Anthropic's shape.
    let bad = [("anthropic-version", "2023-06-01"), ("x-amzn-bedrock-guardrailidentifier", "own1")];
    let (status, body) = status_json(post(&t, "/v1/messages", &message("guarded", false), &bad).await).await;
    assert_eq!(
        (status, body["type"].clone(), body["error"]["type"].clone()),
        (400, json!("error"), json!("invalid_request_error")),
        "{body}"
    );
}
