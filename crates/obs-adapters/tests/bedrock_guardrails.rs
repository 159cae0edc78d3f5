//! Bedrock Guardrails through the real AWS SDK against obs-mock: the guardrail a call applies (the request's own
//! over the provider's) reaching Converse's `guardrailConfig` and InvokeModel's headers, compared whole; and the
//! emulator's intervention read back on every path — Converse, Claude and Titan on InvokeModel, whole and streamed
//! — as `finish_reason: "content_filter"` with the assessment in the answer's `guardrail` field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulated;
mod typed;

use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::{MockConfig, MockHandle, spawn};
use obs_models::error::ErrorCode;
use obs_models::guardrail::{Guardrail, GuardrailTrace};
use obs_models::openai::ChatCompletionRequest;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const TITAN: &str = "amazon.titan-text-express-v1";
const NOVA: &str = "amazon.nova-pro-v1:0";
const BLOCKED: &str = "Sorry, the model cannot answer this question.";

fn adapter(mock: &MockHandle, guardrail: Option<Guardrail>) -> BedrockAdapter {
    emulated::bedrock(mock, BedrockSettings { guardrail, ..BedrockSettings::default() })
}

fn provider_guardrail() -> Option<Guardrail> {
    Some(Guardrail { id: "prov1".into(), version: "3".into(), trace: None, stream_processing_mode: None })
}

/// A request as the server reads it: the body's `guardrail` object moved onto the request.
fn request(model: &str, extra: Value) -> ChatCompletionRequest {
    let mut body = json!({"model": model, "messages": [{"role":"user","content":"hi"}]});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    obs_convert::ingress::parse_chat_request(body.to_string().as_bytes()).unwrap().1
}

fn guardrail_headers(sent: &obs_mock::RecordedRequest) -> [Option<&str>; 3] {
    ["x-amzn-bedrock-guardrailidentifier", "x-amzn-bedrock-guardrailversion", "x-amzn-bedrock-trace"]
        .map(|name| sent.header(name))
}

#[tokio::test]
async fn the_requests_guardrail_wins_over_the_providers_on_converse_and_invoke() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, provider_guardrail());

    bedrock.typed_chat(request(NOVA, json!({})), NOVA).await.unwrap();
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"messages":[{"role":"user","content":[{"text":"hi"}]}],
            "guardrailConfig":{"guardrailIdentifier":"prov1","guardrailVersion":"3","trace":"disabled"}}),
        "the SDK always sends a trace: disabled when none was asked"
    );
    let own = json!({"guardrail": {"guardrailIdentifier":"own1","guardrailVersion":"DRAFT","trace":"enabled_full",
        "streamProcessingMode":"async"}});
    let mut stream = bedrock
        .typed_stream(request(NOVA, json!({"stream": true, "guardrail": own["guardrail"]})), NOVA)
        .await
        .unwrap();
    while stream.next().await.is_some() {}
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"messages":[{"role":"user","content":[{"text":"hi"}]}],
            "guardrailConfig":{"guardrailIdentifier":"own1","guardrailVersion":"DRAFT","trace":"enabled_full",
                "streamProcessingMode":"async"}})
    );

    bedrock.typed_chat(request(CLAUDE, json!({})), CLAUDE).await.unwrap();
    let sent = mock.recorder().last().unwrap();
    assert_eq!(guardrail_headers(&sent), [Some("prov1"), Some("3"), None]);
    assert_eq!(
        sent.json(),
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,
            "messages":[{"role":"user","content":"hi"}]}),
        "the guardrail travels in headers, not in the model's body"
    );
    let own = json!({"guardrail": {"id":"own1","version":"2","trace":"enabled"}});
    bedrock.typed_chat(request(TITAN, own), TITAN).await.unwrap();
    assert_eq!(guardrail_headers(&mock.recorder().last().unwrap()), [Some("own1"), Some("2"), Some("ENABLED")]);

    // Without any guardrail nothing is sent.
    adapter(&mock, None).typed_chat(request(NOVA, json!({})), NOVA).await.unwrap();
    assert!(mock.recorder().last().unwrap().json().get("guardrailConfig").is_none());
}

#[tokio::test]
async fn a_guardrail_bedrock_does_not_know_is_its_error() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let missing = Guardrail { id: "missing1".into(), version: "1".into(), trace: None, stream_processing_mode: None };
    let error = adapter(&mock, Some(missing)).typed_chat(request(NOVA, json!({})), NOVA).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::ModelNotFound, "{error:?}");
}

fn blocking(trace: bool) -> Option<Guardrail> {
    Some(Guardrail {
        id: "grblock".into(),
        version: "1".into(),
        trace: trace.then_some(GuardrailTrace::Enabled),
        stream_processing_mode: None,
    })
}

fn assessment() -> Value {
    json!({"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH","filterStrength":"HIGH",
        "action":"BLOCKED","detected":true}]},
        "invocationMetrics":{"guardrailProcessingLatency":45,"usage":{"topicPolicyUnits":0,"contentPolicyUnits":1,
            "wordPolicyUnits":0,"sensitiveInformationPolicyUnits":0,"sensitiveInformationPolicyFreeUnits":0,
            "contextualGroundingPolicyUnits":0},
            "guardrailCoverage":{"textCharacters":{"guarded":24,"total":24}}}})
}

/// The whole answer, its random id and time left out.
fn whole(mut answer: Value) -> Value {
    let object = answer.as_object_mut().unwrap();
    object.remove("id");
    object.remove("created");
    answer
}

fn expected(model: &str, trace: Option<Value>) -> Value {
    let mut guardrail = json!({"action":"INTERVENED"});
    if let Some(trace) = trace {
        guardrail["trace"] = trace;
    }
    json!({"object":"chat.completion","model":model,
        "choices":[{"index":0,"message":{"role":"assistant","content":BLOCKED},"finish_reason":"content_filter",
            "logprobs":null}],
        "usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},"guardrail":guardrail})
}

#[tokio::test]
async fn an_intervention_is_content_filter_with_its_assessment_on_every_whole_path() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, blocking(true));
    let converse_trace = json!({"inputAssessment":{"grblock":assessment()},"actionReason":"Guardrail blocked."});
    let invoke_trace = json!({"input":{"grblock":assessment()},"actionReason":"Guardrail blocked."});
    for (model, trace) in [(NOVA, converse_trace), (CLAUDE, invoke_trace.clone()), (TITAN, invoke_trace)] {
        let answer = bedrock.typed_chat(request(model, json!({})), model).await.unwrap();
        assert_eq!(whole(serde_json::to_value(answer).unwrap()), expected(model, Some(trace)), "{model}");
    }
    // Without a trace the intervention is still reported.
    let answer = adapter(&mock, blocking(false)).typed_chat(request(CLAUDE, json!({})), CLAUDE).await.unwrap();
    assert_eq!(whole(serde_json::to_value(answer).unwrap()), expected(CLAUDE, None));
}

/// Every chunk of a stream, ids and times left out.
async fn transcript(bedrock: &BedrockAdapter, model: &str) -> Vec<Value> {
    let mut chunks = bedrock.typed_stream(request(model, json!({"stream": true})), model).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = chunks.next().await {
        out.push(whole(serde_json::to_value(chunk.unwrap()).unwrap()));
    }
    out
}

#[tokio::test]
async fn a_streamed_intervention_ends_with_content_filter_and_the_assessment_on_the_finish_chunk() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, blocking(true));
    let converse_trace = json!({"inputAssessment":{"grblock":assessment()},"actionReason":"Guardrail blocked."});
    let invoke_trace = json!({"input":{"grblock":assessment()},"actionReason":"Guardrail blocked."});
    for (model, trace) in [(NOVA, converse_trace), (CLAUDE, invoke_trace.clone()), (TITAN, invoke_trace)] {
        let chunks = transcript(&bedrock, model).await;
        let finish: Vec<&Value> = chunks.iter().filter(|c| c["choices"][0]["finish_reason"].is_string()).collect();
        assert_eq!(finish.len(), 1, "{model}: {chunks:#?}");
        assert_eq!(
            finish[0],
            &json!({"object":"chat.completion.chunk","model":model,
                "choices":[{"index":0,"delta":{},"finish_reason":"content_filter","logprobs":null}],
                "guardrail":{"action":"INTERVENED","trace":trace}}),
            "{model}"
        );
        let text: String =
            chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect::<Vec<_>>().concat();
        assert_eq!(text, BLOCKED, "{model}");
        assert!(chunks.iter().filter(|c| c.get("guardrail").is_some()).count() == 1, "{model}: reported once");
    }
}

#[tokio::test]
async fn a_model_id_naming_the_guardrail_scenario_intervenes_with_any_guardrail() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let model = "amazon.nova-guardrail-v1:0";
    let answer = adapter(&mock, provider_guardrail()).typed_chat(request(model, json!({})), model).await.unwrap();
    assert_eq!(whole(serde_json::to_value(answer).unwrap()), expected(model, None));
    // No guardrail sent: nothing to intervene.
    let answer = adapter(&mock, None).typed_chat(request(model, json!({})), model).await.unwrap();
    assert_eq!(answer.choices[0].finish_reason, Some(obs_models::openai::FinishReason::Stop));
}
