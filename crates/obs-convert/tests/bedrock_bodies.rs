//! Internal request → Claude and Titan InvokeModel bodies (docs/reference/formats.md §7.3, §7.4; orig C33, C36–C38 as
//! fixed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use obs_convert::bedrock::image::{FetchedImages, InlineImage, remote_image_urls};
use obs_convert::bedrock::{claude_request, titan};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn request(body: Value) -> ChatCompletionRequest {
    obs_convert::validate::openai_request(body).unwrap()
}

fn claude(body: Value) -> Value {
    serde_json::to_value(claude_request::build(&request(body), 4096, &HashMap::new()).unwrap()).unwrap()
}

fn claude_error(body: Value) -> (ErrorCode, Option<String>) {
    let err = claude_request::build(&request(body), 4096, &HashMap::new()).unwrap_err();
    (err.code, err.param)
}

#[test]
fn c33_system_and_user() {
    let body = claude(json!({"model":"anthropic.claude-3-haiku-20240307-v1:0","messages":[
        {"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Hello!"}]}));
    assert_eq!(
        body,
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,
            "messages":[{"role":"user","content":"Hello!"}],"system":"You are a helpful assistant."})
    );
}

#[test]
fn c36_every_system_and_developer_message_is_joined() {
    let body = claude(json!({"model":"m","max_tokens":50,"temperature":1.7,"top_p":0.5,"stop":"STOP","messages":[
        {"role":"system","content":"A"},{"role":"user","content":"u1"},{"role":"assistant","content":"a1"},
        {"role":"developer","content":[{"type":"text","text":"B"}]},{"role":"user","content":"u2"}]}));
    assert_eq!(
        body,
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[
            {"role":"user","content":"u1"},{"role":"assistant","content":"a1"},{"role":"user","content":"u2"}],
            "system":"A\nB","temperature":1.0,"top_p":0.5,"stop_sequences":["STOP"]})
    );
}

#[test]
fn c37_system_only_gets_a_synthetic_user_turn() {
    let body =
        claude(json!({"model":"m","messages":[{"role":"system","content":"A"},{"role":"system","content":"B"}]}));
    assert_eq!(
        body,
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"messages":[
            {"role":"user","content":"Please provide assistance based on the system instructions."}],"system":"A\nB"})
    );
}

#[test]
fn c38_tools_tool_calls_and_results_in_claude_shape() {
    let body = claude(json!({"model":"m","max_completion_tokens":99,"max_tokens":5,"parallel_tool_calls":false,
        "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
                 {"type":"function","function":{"name":"now"}}],
        "tool_choice":"required",
        "messages":[
            {"role":"user","content":"Weather in Paris and Rome?"},
            {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"21C"},
            {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"25C"}]},
            {"role":"user","content":"Thanks"}]}));
    assert_eq!(
        body,
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":99,"messages":[
            {"role":"user","content":"Weather in Paris and Rome?"},
            {"role":"assistant","content":[
                {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                {"type":"tool_use","id":"call_2","name":"get_weather","input":{"city":"Rome"}}]},
            {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"call_1","content":"21C"},
                {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"25C"}]},
                {"type":"text","text":"Thanks"}]}],
            "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
                     {"name":"now","input_schema":{"type":"object","properties":{}}}],
            "tool_choice":{"type":"any","disable_parallel_tool_use":true}})
    );
}

#[test]
fn tool_choice_forms() {
    let with = |choice: Value| {
        claude(json!({"model":"m","messages":[{"role":"user","content":"x"}],
            "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":choice}))["tool_choice"]
            .clone()
    };
    assert_eq!(with(json!("auto")), json!({"type":"auto"}));
    assert_eq!(with(json!("none")), json!({"type":"none"}));
    assert_eq!(with(json!({"type":"function","function":{"name":"f"}})), json!({"type":"tool","name":"f"}));
    // No tools: no tool_choice either (Claude rejects one without the other).
    let no_tools = claude(json!({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}));
    assert!(no_tools.get("tool_choice").is_none());
}

#[test]
fn images_from_data_urls_and_fetched_urls() {
    let req = request(json!({"model":"m","messages":[{"role":"user","content":[
        {"type":"text","text":"Compare"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
        {"type":"image_url","image_url":{"url":"https://example.com/b.jpg","detail":"low"}}]}]}));
    assert_eq!(remote_image_urls(&req), vec!["https://example.com/b.jpg".to_owned()]);
    let missing = claude_request::build(&req, 4096, &HashMap::new()).unwrap_err();
    assert_eq!(missing.param.as_deref(), Some("messages.0.content.2.image_url.url"));
    let mut fetched = FetchedImages::new();
    fetched.insert(
        "https://example.com/b.jpg".to_owned(),
        InlineImage { media_type: "image/jpeg".into(), base64: "/9j/".into() },
    );
    let body = serde_json::to_value(claude_request::build(&req, 4096, &fetched).unwrap()).unwrap();
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type":"text","text":"Compare"},
            {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
            {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}])
    );
}

#[test]
fn unsupported_and_invalid_input_is_rejected_with_its_param() {
    assert_eq!(
        claude_error(json!({"model":"m","n":2,"messages":[{"role":"user","content":"x"}]})),
        (ErrorCode::UnsupportedParameter, Some("n".into()))
    );
    assert_eq!(
        claude_error(
            json!({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"A","format":"wav"}}]}]})
        ),
        (ErrorCode::UnsupportedParameter, Some("messages.0.content.0".into()))
    );
    assert_eq!(
        claude_error(json!({"model":"m","messages":[{"role":"user","content":"x"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{not json"}}]}]})),
        (ErrorCode::InvalidValue, Some("messages.1.tool_calls.0.function.arguments".into()))
    );
    assert_eq!(
        claude_error(
            json!({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/plain;base64,AA"}}]}]})
        ),
        (ErrorCode::InvalidValue, Some("messages.0.content.0.image_url.url".into()))
    );
}

#[test]
fn consecutive_same_role_turns_are_merged() {
    let body = claude(
        json!({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"}]},
        {"role":"assistant","content":"c"},{"role":"assistant","content":"d"}]}),
    );
    assert_eq!(
        body["messages"],
        json!([{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
               {"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"d"}]}])
    );
}

#[test]
fn titan_transcript_with_bot_cue_and_clamped_config() {
    let req = request(
        json!({"model":"amazon.titan-text-express-v1","temperature":1.5,"top_p":0.8,"stop":["User:"],"messages":[
        {"role":"system","content":"SYS"},{"role":"user","content":"U1"},{"role":"assistant","content":"A1"},{"role":"user","content":"U2"}]}),
    );
    assert_eq!(
        serde_json::to_value(titan::build(&req, 512).unwrap()).unwrap(),
        json!({"inputText":"System: SYS\nUser: U1\nBot: A1\nUser: U2\nBot:",
            "textGenerationConfig":{"maxTokenCount":512,"temperature":1.0,"topP":0.8,"stopSequences":["User:"]}})
    );
}

#[test]
fn titan_rejects_tools_and_images() {
    let tools = request(
        json!({"model":"t","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}),
    );
    let err = titan::build(&tools, 512).unwrap_err();
    assert_eq!((err.code, err.param.as_deref()), (ErrorCode::UnsupportedParameter, Some("tools")));
    let image = request(
        json!({"model":"t","messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]}]}),
    );
    let err = titan::build(&image, 512).unwrap_err();
    assert_eq!((err.code, err.param.as_deref()), (ErrorCode::UnsupportedParameter, Some("messages.0.content.1")));
    let tool_turn = request(
        json!({"model":"t","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c","content":"r"}]}),
    );
    assert_eq!(titan::build(&tool_turn, 512).unwrap_err().code, ErrorCode::UnsupportedParameter);
}

#[test]
fn reasoning_effort_asks_claude_to_think_with_room_above_the_budget() {
    let body = claude(json!({"model":"m","max_tokens":1000,"temperature":0.2,"top_p":0.5,"reasoning_effort":"low",
        "messages":[{"role":"user","content":"Think."}]}));
    assert_eq!(
        body,
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":3048,
            "messages":[{"role":"user","content":"Think."}],"thinking":{"type":"enabled","budget_tokens":2048}}),
        "max_tokens raised above the budget; temperature and top_p that thinking forbids dropped"
    );
    let own =
        claude(json!({"model":"m","temperature":1,"top_p":0.97,"thinking":{"type":"enabled","budget_tokens":5000},
        "messages":[{"role":"user","content":"Think."}]}));
    assert_eq!(
        (own["thinking"]["budget_tokens"].clone(), own["max_tokens"].clone()),
        (json!(5000), json!(5000 + 4096))
    );
    assert_eq!(
        (own["temperature"].clone(), own["top_p"].clone()),
        (json!(1.0), json!(0.97)),
        "the allowed values stay"
    );
    assert_eq!(
        claude_error(json!({"model":"m","reasoning_effort":"maximum","messages":[{"role":"user","content":"x"}]})),
        (ErrorCode::InvalidValue, Some("reasoning_effort".to_owned()))
    );
}

#[test]
fn thinking_blocks_a_client_sends_back_go_first_in_their_turn() {
    let tool_turn = |extra: Value| {
        let mut assistant = json!({"role":"assistant","content":null,
            "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f","arguments":"{}"}}]});
        for (key, value) in extra.as_object().unwrap() {
            assistant[key] = value.clone();
        }
        claude(json!({"model":"m","reasoning_effort":"low","messages":[{"role":"user","content":"go"}, assistant,
            {"role":"tool","tool_call_id":"toolu_1","content":"done"}]}))["messages"][1]["content"]
            .clone()
    };
    let expected = json!([{"type":"thinking","thinking":"plan","signature":"sig"},
        {"type":"tool_use","id":"toolu_1","name":"f","input":{}}]);
    assert_eq!(
        tool_turn(json!({"thinking_blocks":[{"type":"thinking","thinking":"plan","signature":"sig"}]})),
        expected
    );
    assert_eq!(
        tool_turn(json!({"reasoning_details":[{"type":"reasoning.text","text":"plan","signature":"sig"}]})),
        expected
    );
}

#[test]
fn cache_breakpoints_reach_claude_where_the_client_put_them() {
    let mark = json!({"type":"ephemeral","ttl":"1h"});
    let body = claude(json!({"model":"m",
        "tools":[{"type":"function","function":{"name":"lookup"},"cache_control":mark}],
        "messages":[{"role":"system","content":"Long instructions.","cache_control":{"type":"ephemeral"}},
            {"role":"user","content":[{"type":"text","text":"Long document.","cache_control":mark},{"type":"text","text":"Question?"}]}]}));
    assert_eq!(
        body["system"],
        json!([{"type":"text","text":"Long instructions.","cache_control":{"type":"ephemeral"}}]),
        "a marked system prompt goes as blocks, the mark on its last one"
    );
    assert_eq!(body["tools"][0]["cache_control"], mark);
    assert_eq!(body["messages"][0]["content"][0], json!({"type":"text","text":"Long document.","cache_control":mark}));
    // Unmarked, the system prompt stays one string.
    let plain = claude(json!({"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]}));
    assert_eq!(plain["system"], "s");
    let five: Vec<Value> = (0..5)
        .map(|i| json!({"type":"text","text":format!("part {i}"),"cache_control":{"type":"ephemeral"}}))
        .collect();
    assert_eq!(
        claude_error(json!({"model":"m","messages":[{"role":"user","content":five}]})),
        (ErrorCode::InvalidValue, Some("messages".to_owned())),
        "more breakpoints than Claude takes is a clear 400, not a silent drop"
    );
}
