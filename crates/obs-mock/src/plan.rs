//! The reply plan: what the mock answers, decided once from the scenario and the conversation, then rendered by
//! each API module in its own shape.

use std::time::Duration;

use crate::config::MockConfig;
use crate::plausible::Source;
use crate::scenario::Scenario;
use crate::schema_example;
pub(crate) use crate::tool_use::{OfferedTool, ToolChoice};

/// What the mock read from a request, whatever its API.
#[derive(Debug, Default)]
pub(crate) struct Conversation {
    /// Text of the last user turn.
    pub last_user_text: String,
    /// The results of the last turn when it answers tool calls (the reply then reports them).
    pub tool_results: Vec<String>,
    /// The last turn is the user's (not a tool result, not an assistant prefill).
    pub ends_with_user: bool,
    /// Words across every input message (plausible prompt token count).
    pub input_words: u64,
    /// The tools offered.
    pub tools: Vec<OfferedTool>,
    pub tool_choice: ToolChoice,
    /// Structured output asked for (OpenAI `response_format`).
    pub output_format: Option<OutputFormat>,
    /// The output-token limit asked for.
    pub max_tokens: Option<u64>,
}

/// A structured-output request.
#[derive(Debug, Clone)]
pub(crate) enum OutputFormat {
    /// `{"type":"json_object"}`: some JSON object.
    JsonObject,
    /// `{"type":"json_schema","json_schema":{"schema":…}}`: JSON valid against the schema.
    JsonSchema(serde_json::Value),
}

pub(crate) fn count_words(text: &str) -> u64 {
    u64::try_from(text.split_whitespace().count()).unwrap_or(u64::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    Stop,
    Length,
    ToolUse,
}

impl Finish {
    /// The stop reason Claude (InvokeModel) and Converse both report.
    pub(crate) fn bedrock_stop_reason(self) -> &'static str {
        match self {
            Finish::Stop => "end_turn",
            Finish::Length => "max_tokens",
            Finish::ToolUse => "tool_use",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedCall {
    /// 0-based position; API modules turn it into their id format.
    pub index: usize,
    pub name: String,
    /// The complete arguments JSON.
    pub arguments: String,
    /// The arguments in pieces, as streams deliver them ([`json_pieces`]).
    pub fragments: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Reasoning text, streamed before the answer (`reasoning` scenario).
    pub reasoning: Option<String>,
    /// Text, as streamed chunks (concatenated: the whole text).
    pub chunks: Vec<String>,
    pub tool_calls: Vec<PlannedCall>,
    pub finish: Finish,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub first_byte_delay: Duration,
    pub chunk_delay: Duration,
}

impl Plan {
    pub fn text(&self) -> String {
        self.chunks.concat()
    }
}

const LONG_SENTENCE: &str = "This is a long reply from the mock, sent in many small chunks to exercise streaming.";
const FILLER: [&str; 8] = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"];

pub(crate) fn plan(scenario: Scenario, conversation: &Conversation, config: &MockConfig) -> Plan {
    let mut calls = crate::tool_use::calls(scenario, conversation);
    let mut pieces = if !calls.is_empty() {
        word_pieces(match scenario {
            Scenario::Tool => "Let me check that.",
            Scenario::Tools2 => "Let me check both.",
            _ => "",
        })
    } else if let Some(format) = &conversation.output_format {
        json_pieces(&structured(format, conversation).to_string())
    } else {
        word_pieces(&text_reply(scenario, conversation, config))
    };
    let mut finish = if calls.is_empty() { Finish::Stop } else { Finish::ToolUse };
    if let Some(limit) = conversation.max_tokens {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if pieces.len() > limit {
            pieces.truncate(limit);
            calls.clear();
            finish = Finish::Length;
        }
    }
    let words = u64::try_from(pieces.len()).unwrap_or(u64::MAX);
    let call_tokens: u64 = calls.iter().map(|c| 8 + u64::try_from(c.arguments.len() / 4).unwrap_or(0)).sum();
    let per_chunk = config.tokens_per_chunk.max(1);
    let chunks = pieces.chunks(per_chunk).map(|group| group.concat()).collect();
    let (first_byte_delay, chunk_delay) = match scenario {
        Scenario::Slow => {
            (config.first_byte_delay.max(Duration::from_millis(300)), config.chunk_delay.max(Duration::from_millis(60)))
        }
        // Only the OpenAI path gets here with `timeout` (Bedrock answers ModelTimeoutException): no answer for long.
        Scenario::Timeout => (config.hang, config.chunk_delay),
        _ => (config.first_byte_delay, config.chunk_delay),
    };
    let reasoning = (scenario == Scenario::Reasoning).then(|| "The user wants a short answer.".to_owned());
    Plan {
        reasoning,
        chunks,
        tool_calls: calls,
        finish,
        input_tokens: conversation.input_words.max(1),
        output_tokens: (words + call_tokens).max(1),
        first_byte_delay,
        chunk_delay,
    }
}

/// The text of a reply without tool calls.
fn text_reply(scenario: Scenario, conversation: &Conversation, config: &MockConfig) -> String {
    match conversation.tool_results.as_slice() {
        [] => {}
        [one] => return format!("The tool returned: {one}"),
        many => return format!("The tools returned: {}", many.join("; ")),
    }
    match (scenario, config.chunks) {
        (Scenario::Long, _) => vec![LONG_SENTENCE; 16].join(" "),
        (_, Some(n)) => FILLER.iter().cycle().take(n.max(1)).copied().collect::<Vec<_>>().join(" "),
        (_, None) => format!("You said: {}", conversation.last_user_text),
    }
}

/// The JSON of a structured-output reply.
fn structured(format: &OutputFormat, conversation: &Conversation) -> serde_json::Value {
    let source = Source::new(&conversation.last_user_text);
    match format {
        OutputFormat::JsonSchema(schema) => schema_example::example(schema, &source, 0),
        OutputFormat::JsonObject => {
            serde_json::json!({"answer": format!("You said: {}", conversation.last_user_text)})
        }
    }
}

/// Compact JSON cut after each `:` and `,` outside strings, as models stream it:
/// `{"location":"Paris","unit":"celsius"}` → [`{"location":`, `"Paris",`, `"unit":`, `"celsius"}`].
pub(crate) fn json_pieces(json: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        current.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ':' || c == ',' {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// "You said: hi" → ["You", " said:", " hi"]: every piece but the first keeps its leading space.
fn word_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        if i == 0 {
            if !word.is_empty() {
                pieces.push(word.to_owned());
            }
        } else {
            pieces.push(format!(" {word}"));
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_keep_spaces() {
        assert_eq!(word_pieces("You said: hi"), vec!["You", " said:", " hi"]);
        assert!(word_pieces("").is_empty());
    }

    #[test]
    fn json_is_cut_after_keys_and_values() {
        assert_eq!(json_pieces(r#"{"location":"Paris"}"#), [r#"{"location":"#, r#""Paris"}"#]);
        assert_eq!(json_pieces(r#"{"a":"x,\":y","b":[1,2]}"#), [r#"{"a":"#, r#""x,\":y","#, r#""b":"#, "[1,", "2]}"]);
        assert_eq!(json_pieces("{}"), ["{}"]);
    }

    #[test]
    fn max_tokens_truncates_to_length() {
        let conversation = Conversation { last_user_text: "a b c d".into(), max_tokens: Some(2), ..Default::default() };
        let plan = plan(Scenario::Tool, &conversation, &MockConfig::default());
        assert_eq!((plan.text().as_str(), plan.finish, plan.tool_calls.len()), ("Let me", Finish::Length, 0));
    }
}
