//! Titan Text on InvokeModel: `results` answers and `outputText` chunks.

use http::Response;
use serde_json::{Value, json};

use super::errors::BedrockError;
use super::eventstream;
use crate::config::MockConfig;
use crate::http::{Body, json as json_response};
use crate::plan::{Conversation, Finish, Plan, count_words, plan};
use crate::recorder::Recorder;
use crate::scenario::Scenario;

pub(super) fn invoke(
    request: &Value,
    stream: bool,
    scenario: Scenario,
    config: &MockConfig,
    recorder: &Recorder,
    seq: u64,
) -> Result<(Response<Body>, std::time::Duration), BedrockError> {
    let Some(input_text) = request.get("inputText").and_then(Value::as_str) else {
        return Err(BedrockError::validation(
            "Malformed input request: #: required key [inputText] not found, please reformat your input and try again.",
        ));
    };
    let config_object = request.get("textGenerationConfig");
    let conversation = Conversation {
        last_user_text: last_user_line(input_text),
        input_words: count_words(input_text),
        max_tokens: config_object.and_then(|c| c.get("maxTokenCount")).and_then(Value::as_u64),
        ..Default::default()
    };
    let mut plan = plan(scenario, &conversation, config);
    // Titan has no tools: tool scenarios answer their text only.
    plan.tool_calls.clear();
    if plan.finish == Finish::ToolUse {
        plan.finish = Finish::Stop;
    }
    if !stream {
        if scenario == Scenario::Disconnect {
            return Ok(super::cut_json(b"{\"inputTextTokenCount\":", &plan, recorder, seq));
        }
        let answer = json_response(
            http::StatusCode::OK,
            &json!({"inputTextTokenCount":plan.input_tokens,"results":[{"tokenCount":plan.output_tokens,
            "outputText":plan.text(),"completionReason":reason(plan.finish)}]}),
        );
        let answer = super::invocation_headers(answer, plan.input_tokens, plan.output_tokens, &plan);
        return Ok((answer, plan.first_byte_delay));
    }
    Ok(super::event_stream(chunks(&plan, scenario), &plan, recorder, seq))
}

/// The text of the transcript's last `User:` line (obs sends `User: …`/`Bot: …` turns), else the whole prompt.
fn last_user_line(input_text: &str) -> String {
    input_text
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("User: "))
        .map_or_else(|| input_text.trim_end().trim_end_matches("Bot:").trim().to_owned(), str::to_owned)
}

fn reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Length => "LENGTH",
        Finish::Stop | Finish::ToolUse => "FINISH",
    }
}

fn chunks(plan: &Plan, scenario: Scenario) -> Vec<bytes::Bytes> {
    let mut frames = Vec::new();
    let midway = plan.chunks.len().div_ceil(2);
    for (i, text) in plan.chunks.iter().enumerate() {
        if i == midway && i > 0 {
            match scenario {
                Scenario::MidstreamError => {
                    frames.push(eventstream::exception(
                        "modelStreamErrorException",
                        "The model stream failed (mock scenario).",
                    ));
                    return frames;
                }
                Scenario::Disconnect => {
                    frames.push(bytes::Bytes::new());
                    return frames;
                }
                _ => {}
            }
        }
        let mut chunk = json!({"outputText":text,"index":0,"totalOutputTextTokenCount":null,"completionReason":null});
        if i == 0 {
            chunk["inputTextTokenCount"] = json!(plan.input_tokens);
        }
        frames.push(eventstream::chunk(&chunk));
    }
    frames.push(eventstream::chunk(&json!({"outputText":"","index":0,"totalOutputTextTokenCount":plan.output_tokens,
        "completionReason":reason(plan.finish),"inputTextTokenCount":null,
        "amazon-bedrock-invocationMetrics":{"inputTokenCount":plan.input_tokens,"outputTokenCount":plan.output_tokens,
            "invocationLatency":9,"firstByteLatency":2}})));
    frames
}
