//! Reasoning through Converse, over the real AWS SDK against obs-mock (which signs Claude's reasoning and checks
//! it as Bedrock does): Claude on Converse asked through `additionalModelRequestFields.thinking`, its signed
//! `reasoningContent` out as `thinking_blocks` (whole and streamed) and back in first in the tool turn in the
//! three client styles; gpt-oss, Nova 2 and DeepSeek-R1 asked in their own fields; thinking dropped with a forced
//! tool on both Claude paths. Upstream bodies are compared whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulated;
mod typed;

use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings, ClaudeApi};
use obs_mock::{MockConfig, MockHandle, spawn};
use obs_models::openai::ChatCompletionRequest;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

const CLAUDE: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const GPT_OSS: &str = "openai.gpt-oss-120b-1:0";
const NOVA_2: &str = "us.amazon.nova-2-lite-v1:0";
const DEEPSEEK: &str = "us.deepseek.r1-v1:0";

fn adapter(mock: &MockHandle, claude_api: ClaudeApi) -> BedrockAdapter {
    emulated::bedrock(mock, BedrockSettings { claude_api, ..BedrockSettings::default() })
}

fn tools() -> Value {
    json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
        "properties":{"city":{"type":"string"}},"required":["city"]}}}])
}

fn tool_specs() -> Value {
    json!({"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object",
        "properties":{"city":{"type":"string"}},"required":["city"]}}}}]})
}

fn request(model: &str, messages: Value, extra: Value) -> ChatCompletionRequest {
    let mut body = json!({"model": model, "reasoning_effort": "low", "max_tokens": 1000, "tools": tools(),
        "messages": messages});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    obs_convert::validate::openai_request(body).unwrap()
}

fn ask() -> Value {
    json!([{"role":"user","content":"What is the weather in Paris?"}])
}

/// The second turn: the first answer's assistant message (as `style` keeps it) and the tool's result.
fn follow_up(assistant: &Value, style: &str) -> Value {
    let mut kept = json!({"role":"assistant","content":assistant["content"].clone(),
        "tool_calls":assistant["tool_calls"].clone()});
    match style {
        "thinking_blocks" => kept["thinking_blocks"] = assistant["thinking_blocks"].clone(),
        "reasoning_details" => {
            let details: Vec<Value> = assistant["thinking_blocks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| json!({"type":"reasoning.text","text":b["thinking"],"signature":b["signature"]}))
                .collect();
            kept["reasoning_details"] = Value::Array(details);
        }
        _ => {}
    }
    let call_id = assistant["tool_calls"][0]["id"].clone();
    let mut messages = ask();
    messages.as_array_mut().unwrap().push(kept);
    messages.as_array_mut().unwrap().push(json!({"role":"tool","tool_call_id":call_id,"content":"18°C and sunny"}));
    messages
}

fn sent(mock: &MockHandle) -> Value {
    mock.recorder().last().unwrap().json()
}

#[tokio::test]
async fn claude_on_converse_thinks_through_additional_fields_and_every_client_style_completes_the_tool_loop() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, ClaudeApi::Converse);
    let answer = bedrock.typed_chat(request(CLAUDE, ask(), json!({"temperature": 0.2})), CLAUDE).await.unwrap();
    // The budget from the table, maxTokens raised above it, the temperature thinking forbids dropped.
    assert_eq!(
        sent(&mock),
        json!({"messages":[{"role":"user","content":[{"text":"What is the weather in Paris?"}]}],
            "inferenceConfig":{"maxTokens":3048},"toolConfig":tool_specs(),
            "additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}}})
    );
    let first = serde_json::to_value(&answer.choices[0].message).unwrap();
    let thinking = "The user asks: What is the weather in Paris?. I should answer directly.";
    let signature = first["thinking_blocks"][0]["signature"].as_str().unwrap_or_else(|| panic!("{first}"));
    assert_eq!(first["thinking_blocks"], json!([{"type":"thinking","thinking":thinking,"signature":signature}]));
    assert_eq!(first["reasoning_content"], thinking);
    let call_id = first["tool_calls"][0]["id"].as_str().unwrap().to_owned();

    for style in ["thinking_blocks", "reasoning_details", "dropped"] {
        let answer = bedrock.typed_chat(request(CLAUDE, follow_up(&first, style), json!({})), CLAUDE).await;
        let answer = answer.unwrap_or_else(|e| panic!("{style}: {e:?}"));
        assert!(answer.choices[0].message.content.as_deref().unwrap_or("").contains("18°C"), "{style}");
        assert_eq!(
            sent(&mock)["messages"][1],
            json!({"role":"assistant","content":[
                {"reasoningContent":{"reasoningText":{"text":thinking,"signature":signature}}},
                {"toolUse":{"toolUseId":call_id,"name":"get_weather","input":{"city":"Paris"}}}]}),
            "{style}: the signed reasoning leads the tool turn"
        );
        assert_eq!(sent(&mock)["additionalModelRequestFields"]["thinking"]["type"], "enabled", "{style}");
    }
}

#[tokio::test]
async fn a_streamed_claude_turn_on_converse_sends_the_signed_block_and_is_kept_for_the_next_turn() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, ClaudeApi::Converse);
    let mut stream = bedrock.typed_stream(request(CLAUDE, ask(), json!({"stream": true})), CLAUDE).await.unwrap();
    let (mut reasoning, mut signed, mut call_id) = (String::new(), Vec::new(), None);
    while let Some(chunk) = stream.next().await {
        let chunk = serde_json::to_value(chunk.unwrap()).unwrap();
        let delta = &chunk["choices"][0]["delta"];
        reasoning.push_str(delta["reasoning_content"].as_str().unwrap_or(""));
        signed.extend(delta["thinking_blocks"].as_array().into_iter().flatten().cloned());
        if let Some(id) = delta["tool_calls"][0]["id"].as_str() {
            call_id = Some(id.to_owned());
        }
    }
    assert_eq!(reasoning, "The user asks: What is the weather in Paris?. I should answer directly.");
    assert_eq!(signed.len(), 1, "one signed block, sent whole: {signed:?}");
    assert_eq!((&signed[0]["type"], &signed[0]["thinking"]), (&json!("thinking"), &json!(reasoning)));
    let first = json!({"content": null, "tool_calls": [{"id": call_id.unwrap(), "type": "function",
        "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]});
    bedrock.typed_chat(request(CLAUDE, follow_up(&first, "dropped"), json!({})), CLAUDE).await.unwrap();
    assert_eq!(
        sent(&mock)["messages"][1]["content"][0],
        json!({"reasoningContent":{"reasoningText":{"text":reasoning,"signature":signed[0]["signature"]}}}),
        "restored from the kept stream"
    );

    // Another gateway process kept nothing: the turn goes without thinking rather than to a certain 400.
    let fresh = adapter(&mock, ClaudeApi::Converse);
    fresh.typed_chat(request(CLAUDE, follow_up(&first, "dropped"), json!({})), CLAUDE).await.unwrap();
    assert_eq!(sent(&mock).get("additionalModelRequestFields"), None);
    assert_eq!(sent(&mock)["inferenceConfig"], json!({"maxTokens":1000}));
}

#[tokio::test]
async fn other_families_are_asked_in_their_own_field_and_their_reasoning_comes_out_unsigned() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, ClaudeApi::Invoke);
    let plain = json!({"tools": null});
    let expected_ask = |fields: Option<Value>| {
        let mut body = json!({"messages":[{"role":"user","content":[{"text":"What is the weather in Paris?"}]}],
            "inferenceConfig":{"maxTokens":1000}});
        if let Some(fields) = fields {
            body["additionalModelRequestFields"] = fields;
        }
        body
    };
    let cases = [
        (GPT_OSS, "minimal", Some(json!({"reasoning_effort":"low"})), true),
        (GPT_OSS, "xhigh", Some(json!({"reasoning_effort":"high"})), true),
        (NOVA_2, "medium", Some(json!({"reasoningConfig":{"type":"enabled","maxReasoningEffort":"medium"}})), true),
        (DEEPSEEK, "high", None, true),
    ];
    for (model, effort, fields, reasons) in cases {
        let mut extra = plain.clone();
        extra["reasoning_effort"] = json!(effort);
        let answer = bedrock.typed_chat(request(model, ask(), extra.clone()), model).await.unwrap();
        assert_eq!(sent(&mock), expected_ask(fields), "{model} {effort}");
        let message = serde_json::to_value(&answer.choices[0].message).unwrap();
        assert_eq!(message.get("thinking_blocks"), None, "{model}: unsigned reasoning cannot be replayed");
        assert_eq!(message.get("reasoning_content").is_some(), reasons, "{model}: {message}");

        extra["stream"] = json!(true);
        let mut stream = bedrock.typed_stream(request(model, ask(), extra), model).await.unwrap();
        let mut reasoning = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = serde_json::to_value(chunk.unwrap()).unwrap();
            assert_eq!(chunk["choices"][0]["delta"].get("thinking_blocks"), None, "{model}");
            reasoning.push_str(chunk["choices"][0]["delta"]["reasoning_content"].as_str().unwrap_or(""));
        }
        assert_eq!(Some(&json!(reasoning)).filter(|_| reasons), message.get("reasoning_content"), "{model}");
    }
}

#[tokio::test]
async fn a_gpt_oss_tool_loop_sends_no_reasoning_back() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, ClaudeApi::Invoke);
    let first = bedrock.typed_chat(request(GPT_OSS, ask(), json!({})), GPT_OSS).await.unwrap();
    let mut first = serde_json::to_value(&first.choices[0].message).unwrap();
    // A client that echoes a signed block it got elsewhere: gpt-oss would refuse the signature.
    first["thinking_blocks"] = json!([{"type":"thinking","thinking":"t","signature":"s"}]);
    let answer = bedrock.typed_chat(request(GPT_OSS, follow_up(&first, "thinking_blocks"), json!({})), GPT_OSS).await;
    answer.unwrap_or_else(|e| panic!("{e:?}"));
    let turn = &sent(&mock)["messages"][1]["content"];
    assert_eq!(turn.as_array().unwrap().iter().filter(|b| b.get("reasoningContent").is_some()).count(), 0, "{turn}");
}

#[tokio::test]
async fn a_forced_tool_goes_without_thinking_on_both_claude_paths_and_with_structured_output() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let forced = json!({"tool_choice": "required", "temperature": 0.5});
    let invoke = adapter(&mock, ClaudeApi::Invoke);
    invoke.typed_chat(request(CLAUDE, ask(), forced.clone()), CLAUDE).await.unwrap();
    let body = sent(&mock);
    assert_eq!((body.get("thinking"), &body["tool_choice"]), (None, &json!({"type":"any"})));
    assert_eq!((&body["max_tokens"], &body["temperature"]), (&json!(1000), &json!(0.5)), "sampling as asked");

    let converse = adapter(&mock, ClaudeApi::Converse);
    converse.typed_chat(request(CLAUDE, ask(), forced), CLAUDE).await.unwrap();
    let mut specs = tool_specs();
    specs["toolChoice"] = json!({"any":{}});
    assert_eq!(
        sent(&mock),
        json!({"messages":[{"role":"user","content":[{"text":"What is the weather in Paris?"}]}],
            "inferenceConfig":{"maxTokens":1000,"temperature":0.5},"toolConfig":specs})
    );

    // Structured output's forced tool meets the same rule: the JSON answer, without thinking.
    let structured = json!({"tools": null, "response_format": {"type":"json_schema","json_schema":{"name":"city",
        "schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}});
    let answer = invoke.typed_chat(request(CLAUDE, ask(), structured), CLAUDE).await.unwrap();
    let body = sent(&mock);
    assert_eq!((body.get("thinking"), &body["tool_choice"]), (None, &json!({"type":"tool","name":"city"})));
    let content: Value = serde_json::from_str(answer.choices[0].message.content.as_deref().unwrap()).unwrap();
    assert!(content["city"].is_string(), "{content}");
}

#[tokio::test]
async fn a_claude_body_s_own_thinking_reaches_claude_on_converse_as_it_came() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, ClaudeApi::Converse);
    let claude_body = |extra: Value| {
        let mut body = json!({"anthropic_version":"bedrock-2023-05-31","model":CLAUDE,"max_tokens":3000,
            "thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        obs_convert::ingress::parse_chat_request(body.to_string().as_bytes()).unwrap().1
    };
    let answer = bedrock.typed_chat(claude_body(json!({})), CLAUDE).await.unwrap();
    assert_eq!(
        sent(&mock),
        json!({"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":3000},
            "additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}})
    );
    assert!(answer.choices[0].message.extra.contains_key("thinking_blocks"));
    // The client's own top_k goes too, and the upstream judges it (as InvokeModel would a Claude body).
    let error = bedrock.typed_chat(claude_body(json!({"top_k": 5})), CLAUDE).await.unwrap_err();
    assert_eq!(sent(&mock)["additionalModelRequestFields"]["top_k"], 5);
    assert_eq!(error.code, obs_models::error::ErrorCode::UpstreamValidationError, "{error:?}");
}
