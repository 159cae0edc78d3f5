//! The reply plan: what the mock answers, decided once from the scenario and the conversation, then rendered by
//! each API module in its own shape.

use std::time::Duration;

use crate::config::MockConfig;
use crate::scenario::Scenario;

/// What the mock read from a request, whatever its API.
#[derive(Debug, Default)]
pub(crate) struct Conversation {
    /// Text of the last user turn.
    pub last_user_text: String,
    /// The last turn was a tool result: the reply then reports it.
    pub last_tool_result: Option<String>,
    /// Words across every input message (plausible prompt token count).
    pub input_words: u64,
    /// Names of the tools offered.
    pub tool_names: Vec<String>,
    /// The output-token limit asked for.
    pub max_tokens: Option<u64>,
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
    /// The arguments cut in two, as streams deliver them.
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
    let reply = match (scenario, &conversation.last_tool_result) {
        (Scenario::Tool, None) => "Let me check that.".to_owned(),
        (Scenario::Tools2, None) => "Let me check both.".to_owned(),
        (Scenario::ToolFirst, None) => String::new(),
        (Scenario::Long, None) => vec![LONG_SENTENCE; 16].join(" "),
        (_, Some(result)) => format!("The tool returned: {result}"),
        (_, None) => match config.chunks {
            Some(n) => FILLER.iter().cycle().take(n.max(1)).copied().collect::<Vec<_>>().join(" "),
            None => format!("You said: {}", conversation.last_user_text),
        },
    };
    let mut pieces = word_pieces(&reply);
    let mut calls = match (scenario, &conversation.last_tool_result) {
        (Scenario::Tool | Scenario::ToolFirst, None) => vec![call(0, tool_name(conversation, 0), "Paris")],
        (Scenario::Tools2, None) => {
            vec![call(0, tool_name(conversation, 0), "Paris"), call(1, tool_name(conversation, 1), "Tokyo")]
        }
        _ => Vec::new(),
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

fn tool_name(conversation: &Conversation, index: usize) -> String {
    conversation
        .tool_names
        .get(index)
        .or_else(|| conversation.tool_names.first())
        .cloned()
        .unwrap_or_else(|| "get_weather".to_owned())
}

fn call(index: usize, name: String, city: &str) -> PlannedCall {
    let arguments = format!("{{\"location\":\"{city}\"}}");
    let fragments = vec!["{\"location\":".to_owned(), format!("\"{city}\"}}")];
    PlannedCall { index, name, arguments, fragments }
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
    fn max_tokens_truncates_to_length() {
        let conversation = Conversation { last_user_text: "a b c d".into(), max_tokens: Some(2), ..Default::default() };
        let plan = plan(Scenario::Tool, &conversation, &MockConfig::default());
        assert_eq!((plan.text().as_str(), plan.finish, plan.tool_calls.len()), ("Let me", Finish::Length, 0));
    }
}
