use serde::{Deserialize, Serialize};

use super::message::function_type;
use crate::JsonObject;

/// `{"type":"function","function":{…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function's definition.
    pub function: FunctionDefinition,
    /// Other fields of the tool (`cache_control`, as Claude clients put it), kept.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl Tool {
    /// A function tool.
    pub fn function(
        name: impl Into<String>,
        description: Option<String>,
        parameters: Option<serde_json::Value>,
    ) -> Self {
        Tool {
            kind: function_type(),
            function: FunctionDefinition {
                name: name.into(),
                description,
                parameters,
                strict: None,
                extra: JsonObject::new(),
            },
            extra: JsonObject::new(),
        }
    }
}

/// A function the model may call. `description` and `parameters` are optional, as in OpenAI's API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    /// Function name.
    pub name: String,
    /// What the function does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the arguments object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    /// Structured-outputs strictness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Other fields, forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `tool_choice`: a mode string or a named function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `"none"`, `"auto"` or `"required"`.
    Mode(ToolChoiceMode),
    /// `{"type":"function","function":{"name"}}`.
    Named(NamedToolChoice),
}

impl ToolChoice {
    /// A choice that forces the named function.
    pub fn named(name: impl Into<String>) -> Self {
        ToolChoice::Named(NamedToolChoice { kind: function_type(), function: FunctionName { name: name.into() } })
    }
}

/// The string forms of `tool_choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    /// Never call a tool.
    None,
    /// The model decides.
    Auto,
    /// The model must call at least one tool.
    Required,
}

/// `{"type":"function","function":{"name"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedToolChoice {
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function to call.
    pub function: FunctionName,
}

/// `{"name"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionName {
    /// Function name.
    pub name: String,
}
