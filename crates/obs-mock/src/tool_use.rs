//! Whether the reply calls tools, which, and with what arguments — the same rule on every API:
//!
//! - `tool_choice` none (OpenAI `"none"`, Claude `{"type":"none"}`) → no call, whatever the model id says.
//! - A named tool (OpenAI `{"type":"function","function":{"name"}}`, Claude `{"type":"tool","name"}`, Converse
//!   `toolChoice.tool.name`) → a call to it; `required` / `any` → a call; both even after a tool result.
//! - Otherwise (`auto`, or no choice) → one call when tools are offered and the last turn is the user's, none when
//!   it is a tool result.
//! - The `tool`, `tool-first` and `tools2` scenario words call (one, one, two) unless the last turn is a tool
//!   result — even with no tools offered, then to a default `get_weather(location)`.
//!
//! One call goes to the offered tool whose name and description share the most words with the last user turn (the
//! first one on a tie); `tools2` calls the first two. Arguments are built from the tool's schema
//! ([`crate::schema_example`]).

use serde_json::{Value, json};

use crate::plan::{Conversation, PlannedCall, json_pieces};
use crate::plausible::Source;
use crate::scenario::Scenario;
use crate::schema_example;

/// A tool the request offers.
#[derive(Debug, Clone, Default)]
pub(crate) struct OfferedTool {
    pub name: String,
    pub description: String,
    /// The JSON schema of its input (`{}` when the request gave none).
    pub schema: Value,
}

/// What the request says about calling tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ToolChoice {
    #[default]
    Auto,
    None,
    Required,
    Named(String),
}

/// The calls of the reply (empty: a text reply).
pub(crate) fn calls(scenario: Scenario, conversation: &Conversation) -> Vec<PlannedCall> {
    let after_result = !conversation.tool_results.is_empty();
    let count = match (&conversation.tool_choice, scenario) {
        (ToolChoice::None, _) => 0,
        (_, Scenario::Tools2) if !after_result => 2,
        (_, Scenario::Tool | Scenario::ToolFirst) if !after_result => 1,
        (ToolChoice::Named(_), _) => 1,
        (ToolChoice::Required, _) if !conversation.tools.is_empty() => 1,
        (ToolChoice::Auto, _) if !conversation.tools.is_empty() && conversation.ends_with_user => 1,
        _ => 0,
    };
    let source = Source::new(&conversation.last_user_text);
    (0..count)
        .map(|index| {
            let tool = chosen(conversation, index, count);
            let arguments = Value::Object(schema_example::arguments(&tool.schema, &source, index)).to_string();
            let fragments = json_pieces(&arguments);
            PlannedCall { index, name: tool.name, arguments, fragments }
        })
        .collect()
}

fn chosen(conversation: &Conversation, index: usize, count: usize) -> OfferedTool {
    let tools = &conversation.tools;
    if let ToolChoice::Named(name) = &conversation.tool_choice {
        return tools.iter().find(|t| &t.name == name).cloned().unwrap_or_else(|| OfferedTool {
            name: name.clone(),
            schema: json!({}),
            ..Default::default()
        });
    }
    let picked = if count > 1 { tools.get(index).or(tools.first()) } else { best_match(tools, conversation) };
    picked.cloned().unwrap_or_else(default_tool)
}

fn default_tool() -> OfferedTool {
    OfferedTool {
        name: "get_weather".to_owned(),
        description: "Get the current weather for a location".to_owned(),
        schema: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
    }
}

fn best_match<'a>(tools: &'a [OfferedTool], conversation: &Conversation) -> Option<&'a OfferedTool> {
    let asked = words(&conversation.last_user_text);
    let score = |tool: &OfferedTool| {
        let offered = words(&format!("{} {}", tool.name, tool.description));
        offered.iter().filter(|w| asked.contains(w)).count()
    };
    // max_by_key keeps the last maximum; the first is wanted.
    tools.iter().rev().max_by_key(|tool| score(tool))
}

const STOP_WORDS: [&str; 14] =
    ["the", "and", "for", "what", "whats", "with", "you", "are", "can", "this", "that", "how", "get", "please"];

/// Lower-case words of three letters or more, `get_weather` split in two, stop words left out.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, description: &str) -> OfferedTool {
        OfferedTool { name: name.into(), description: description.into(), schema: json!({}) }
    }

    #[test]
    fn the_tool_that_shares_words_with_the_question_is_called() {
        let conversation = Conversation {
            last_user_text: "What time is it in Tokyo?".into(),
            ends_with_user: true,
            tools: vec![tool("get_weather", "Current weather"), tool("get_time", "The local time of a city")],
            ..Default::default()
        };
        assert_eq!(calls(Scenario::Text, &conversation)[0].name, "get_time");
        let unrelated = Conversation { last_user_text: "hello".into(), ..conversation };
        assert_eq!(calls(Scenario::Text, &unrelated)[0].name, "get_weather");
    }
}
