use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::is_empty_map;
use crate::JsonObject;
use crate::claude::ContentBlock;

/// One chat message, tagged by `role`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    /// Instructions from the application.
    System(SystemMessage),
    /// OpenAI's newer name for system instructions; treated as system for Bedrock.
    Developer(SystemMessage),
    /// The user's turn.
    User(UserMessage),
    /// The model's turn (text, tool calls, or both).
    Assistant(AssistantMessage),
    /// The result of one tool call.
    Tool(ToolMessage),
}

impl Message {
    /// A system message with text content.
    pub fn system(text: impl Into<String>) -> Self {
        Message::System(SystemMessage {
            content: MessageContent::Text(text.into()),
            name: None,
            extra: JsonObject::new(),
        })
    }

    /// A user message with text content.
    pub fn user(text: impl Into<String>) -> Self {
        Message::User(UserMessage { content: MessageContent::Text(text.into()), name: None, extra: JsonObject::new() })
    }

    /// An assistant message with text content.
    pub fn assistant(text: impl Into<String>) -> Self {
        Message::Assistant(AssistantMessage { content: Some(MessageContent::Text(text.into())), ..Default::default() })
    }

    /// The role string of this message.
    pub fn role(&self) -> &'static str {
        match self {
            Message::System(_) => "system",
            Message::Developer(_) => "developer",
            Message::User(_) => "user",
            Message::Assistant(_) => "assistant",
            Message::Tool(_) => "tool",
        }
    }
}

/// `system` / `developer` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemMessage {
    /// Text or text parts.
    pub content: MessageContent,
    /// Optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other fields, forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `user` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMessage {
    /// Text, or parts (text, images, audio, files).
    pub content: MessageContent,
    /// Optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other fields, forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `assistant` message. `content` is serialised as `null` when absent, as OpenAI does beside tool calls.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AssistantMessage {
    /// Text, text parts, or null.
    #[serde(default)]
    pub content: Option<MessageContent>,
    /// Optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls the assistant made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Other fields (`refusal`, `audio`, …), forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
    /// Claude `thinking` / `redacted_thinking` blocks of this turn, replayed to Claude upstreams only.
    #[serde(skip)]
    pub claude_thinking: Vec<ContentBlock>,
}

/// `tool` message: the result of the call `tool_call_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolMessage {
    /// The result: text or text parts.
    pub content: MessageContent,
    /// The id of the tool call this answers.
    pub tool_call_id: String,
    /// Other fields, forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
    /// Claude `tool_result.is_error`, replayed to Claude upstreams only.
    #[serde(skip)]
    pub claude_is_error: Option<bool>,
}

/// `content`: a string or an array of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Typed parts.
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    /// The text of this content: the string, or its text parts joined with `joiner`. Non-text parts are skipped.
    pub fn joined_text(&self, joiner: &str) -> String {
        match self {
            MessageContent::Text(s) => s.clone(),
            MessageContent::Parts(parts) => {
                let texts: Vec<&str> = parts
                    .iter()
                    .filter_map(|p| match p {
                        ContentPart::Text(t) => Some(t.text.as_str()),
                        _ => None,
                    })
                    .collect();
                texts.join(joiner)
            }
        }
    }
}

/// One content part. Types obs does not interpret are kept verbatim in [`ContentPart::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    /// `{"type":"text","text"}`.
    Text(TextPart),
    /// `{"type":"image_url","image_url":{"url","detail"?}}`.
    ImageUrl(ImageUrl),
    /// Any other part (`input_audio`, `file`, …) as received, `type` included.
    Other(JsonObject),
}

impl ContentPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        ContentPart::Text(TextPart { text: text.into(), extra: JsonObject::new() })
    }

    /// An image part for a URL (`data:` or http(s)).
    pub fn image_url(url: impl Into<String>) -> Self {
        ContentPart::ImageUrl(ImageUrl { url: url.into(), detail: None, extra: JsonObject::new() })
    }

    /// The part's `type` string.
    pub fn type_name(&self) -> &str {
        match self {
            ContentPart::Text(_) => "text",
            ContentPart::ImageUrl(_) => "image_url",
            ContentPart::Other(map) => map.get("type").and_then(|t| t.as_str()).unwrap_or(""),
        }
    }
}

/// The body of a text part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPart {
    /// The text.
    pub text: String,
    /// Other fields of the part, forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The `image_url` object of an image part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// A `data:` URL or an http(s) URL.
    pub url: String,
    /// `auto`, `low` or `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Other fields, forwarded as given.
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: JsonObject,
}

impl Serialize for ContentPart {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            ContentPart::Text(part) => {
                let mut map = serializer.serialize_map(Some(2 + part.extra.len()))?;
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", &part.text)?;
                for (k, v) in &part.extra {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            ContentPart::ImageUrl(image) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "image_url")?;
                map.serialize_entry("image_url", image)?;
                map.end()
            }
            ContentPart::Other(map) => map.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ContentPart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = JsonObject::deserialize(deserializer)?;
        let kind = match map.get("type") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => return Err(D::Error::custom("content part needs a string `type`")),
        };
        match kind.as_str() {
            "text" => {
                map.remove("type");
                serde_json::from_value(serde_json::Value::Object(map)).map(ContentPart::Text).map_err(D::Error::custom)
            }
            "image_url" => {
                let image = map.remove("image_url").ok_or_else(|| D::Error::missing_field("image_url"))?;
                serde_json::from_value(image).map(ContentPart::ImageUrl).map_err(D::Error::custom)
            }
            _ => Ok(ContentPart::Other(map)),
        }
    }
}

/// A completed tool call: `{"id","type":"function","function":{"name","arguments"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Call id, echoed by the `tool` message that answers it.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function called.
    pub function: FunctionCall,
}

impl ToolCall {
    /// A function tool call.
    pub fn function(id: impl Into<String>, name: impl Into<String>, arguments: impl Into<String>) -> Self {
        ToolCall {
            id: id.into(),
            kind: function_type(),
            function: FunctionCall { name: name.into(), arguments: arguments.into() },
        }
    }
}

pub(crate) fn function_type() -> String {
    "function".to_owned()
}

/// Name and JSON-string arguments of a tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    pub name: String,
    /// Arguments as a JSON string (OpenAI never sends an object here).
    pub arguments: String,
}
