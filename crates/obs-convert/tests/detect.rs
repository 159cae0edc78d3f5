//! Format detection: orig §10.2 C10–C22 and C22b (as fixed by docs/reference/formats.md §2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_convert::detect::{IngressFormat, detect};
use serde_json::json;

fn hello() -> serde_json::Value {
    json!([{"role": "user", "content": "Hello"}])
}

#[test]
fn c10_openai_body_with_max_tokens_is_openai() {
    let body = json!({"model":"gpt-4o-mini","messages":hello(),"temperature":0.7,"max_tokens":1000});
    assert_eq!(detect(&body), Some(IngressFormat::OpenAi));
}

#[test]
fn c11_claude_body_is_claude() {
    let body =
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":1000,"messages":hello(),"system":"Be kind."});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockClaude));
}

#[test]
fn c12_titan_body_is_titan() {
    let body = json!({"inputText":"Hi","textGenerationConfig":{"maxTokenCount":1000,"temperature":0.7,"topP":0.9}});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockTitan));
}

#[test]
fn c13_openai_tools_are_openai() {
    let body = json!({"model":"gpt-4o","messages":hello(),
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto"});
    assert_eq!(detect(&body), Some(IngressFormat::OpenAi));
}

#[test]
fn c14_claude_tools_are_claude() {
    let body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":hello(),
        "tools":[{"name":"f","description":"d","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"}});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockClaude));
}

#[test]
fn c15_bare_messages_default_to_openai() {
    assert_eq!(detect(&json!({"messages": hello()})), Some(IngressFormat::OpenAi));
}

#[test]
fn c16_unknown_bodies_match_nothing() {
    assert_eq!(detect(&json!({"some_unknown_field":"value","another_field":123})), None);
    assert_eq!(detect(&json!({})), None);
    assert_eq!(detect(&json!({"model":"gpt-4o","foo":1})), None);
    assert_eq!(detect(&json!({"messages":"x"})), None);
    assert_eq!(detect(&json!([1, 2])), None);
    assert_eq!(detect(&json!(null)), None);
}

#[test]
fn c17_any_anthropic_version_is_claude() {
    let body = json!({"anthropic_version":"bedrock-2024-01-01","max_tokens":1,"messages":hello()});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockClaude));
}

#[test]
fn c18_titan_config_with_only_max_token_count() {
    let body = json!({"inputText":"Hi","textGenerationConfig":{"maxTokenCount":10}});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockTitan));
    // An empty config object is still an object: docs/reference/formats.md §2 only asks for an object.
    assert_eq!(detect(&json!({"inputText":"Hi","textGenerationConfig":{}})), Some(IngressFormat::BedrockTitan));
    // Bedrock treats the config as optional: a string inputText alone is Titan (a non-object config is then a
    // validation error of the Titan body, not another format).
    assert_eq!(detect(&json!({"inputText":"Hi"})), Some(IngressFormat::BedrockTitan));
    assert_eq!(detect(&json!({"inputText":"Hi","textGenerationConfig":5})), Some(IngressFormat::BedrockTitan));
    let error = obs_convert::ingress::parse_chat_request(br#"{"model":"m","inputText":"Hi","textGenerationConfig":5}"#)
        .unwrap_err();
    assert_eq!((error.code.as_str(), error.param.as_deref()), ("invalid_value", Some("textGenerationConfig")));
    let (_, request) = obs_convert::ingress::parse_chat_request(br#"{"model":"m","inputText":"Hi"}"#).unwrap();
    assert_eq!((request.messages.len(), request.max_tokens), (1, None));
    // A non-string inputText is not Titan.
    assert_eq!(detect(&json!({"inputText":5,"textGenerationConfig":{}})), None);
}

#[test]
fn c19_openai_variants() {
    assert_eq!(detect(&json!({"model":"gpt-4o","messages":hello(),"stream":true})), Some(IngressFormat::OpenAi));
    assert_eq!(
        detect(&json!({"model":"gpt-4o","messages":hello(),"top_p":0.5,"presence_penalty":0.1})),
        Some(IngressFormat::OpenAi)
    );
}

#[test]
fn c20_anthropic_version_wins_over_openai_keys() {
    let body =
        json!({"model":"gpt-4o-mini","anthropic_version":"bedrock-2023-05-31","max_tokens":1000,"messages":hello()});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockClaude));
}

#[test]
fn c21_keys_are_case_sensitive() {
    assert_eq!(detect(&json!({"Model":"gpt-4o","Messages":hello()})), None);
}

#[test]
fn c22_claude_with_image_block() {
    let body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[
        {"type":"text","text":"Look"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}}]}]});
    assert_eq!(detect(&body), Some(IngressFormat::BedrockClaude));
}

#[test]
fn c22b_openai_named_tool_choice_with_max_tokens_is_openai() {
    let body = json!({"model":"gpt-4o","max_tokens":5,"messages":hello(),
        "tool_choice":{"type":"function","function":{"name":"f"}},
        "tools":[{"type":"function","function":{"name":"f"}}],"system":"x","top_k":3,"stop_sequences":["y"]});
    assert_eq!(detect(&body), Some(IngressFormat::OpenAi));
}
