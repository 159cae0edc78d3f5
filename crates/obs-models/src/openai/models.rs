use serde::{Deserialize, Serialize};

/// `GET /v1/models` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    /// The models, sorted by id.
    pub data: Vec<ModelInfo>,
}

impl ModelList {
    /// A list of the given models.
    pub fn new(data: Vec<ModelInfo>) -> Self {
        ModelList { object: "list".to_owned(), data }
    }
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model id as clients send it.
    pub id: String,
    /// Always `model`.
    #[serde(default = "model_object")]
    pub object: String,
    /// Unix seconds; 0 where the source gives none.
    #[serde(default)]
    pub created: u64,
    /// `openai`, `bedrock` or `obs` (aliases).
    #[serde(default)]
    pub owned_by: String,
}

impl ModelInfo {
    /// A model entry.
    pub fn new(id: impl Into<String>, created: u64, owned_by: impl Into<String>) -> Self {
        ModelInfo { id: id.into(), object: model_object(), created, owned_by: owned_by.into() }
    }
}

fn model_object() -> String {
    "model".to_owned()
}
