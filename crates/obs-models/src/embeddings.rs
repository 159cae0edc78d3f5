//! Embeddings wire types (docs/reference/embeddings.md): OpenAI's `POST /v1/embeddings` request and answer, and
//! the InvokeModel bodies of the Bedrock embedding models obs serves — Amazon Titan Text Embeddings and Cohere Embed.

use serde::{Deserialize, Serialize};

use crate::JsonObject;

/// `POST /v1/embeddings`. Fields obs does not read are kept in `extra`, in the order they came; obs's own
/// Bedrock fields (`input_type`, `truncate`, `normalize`, `embedding_types`) are read from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsRequest {
    /// The model id, alias or group.
    pub model: String,
    /// What to embed.
    pub input: EmbeddingInput,
    /// The length of each vector (OpenAI's `-3` models, Titan v2, Cohere v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// How vectors are written in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EncodingFormat>,
    /// The end user, passed to OpenAI-kind upstreams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `input`: a string, strings, one token array or token arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// One text.
    Text(String),
    /// Several texts, one vector each.
    Texts(Vec<String>),
    /// One text as token ids.
    Tokens(Vec<u32>),
    /// Several texts as token ids.
    TokenArrays(Vec<Vec<u32>>),
}

impl EmbeddingInput {
    /// The texts, when the input is text (token ids are OpenAI's only).
    pub fn texts(&self) -> Option<Vec<&str>> {
        match self {
            EmbeddingInput::Text(text) => Some(vec![text.as_str()]),
            EmbeddingInput::Texts(texts) => Some(texts.iter().map(String::as_str).collect()),
            EmbeddingInput::Tokens(_) | EmbeddingInput::TokenArrays(_) => None,
        }
    }
}

/// `encoding_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    /// JSON numbers.
    #[default]
    Float,
    /// The little-endian f32 bytes of each vector, base64.
    Base64,
}

/// The answer: `{"object": "list", "data": [...], "model", "usage"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsResponse {
    /// Always `list`.
    pub object: String,
    /// One vector per input, in input order.
    pub data: Vec<Embedding>,
    /// The model id the client asked for.
    pub model: String,
    /// Tokens read.
    pub usage: EmbeddingsUsage,
}

/// One vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// Always `embedding`.
    pub object: String,
    /// The input's position.
    pub index: usize,
    /// The vector.
    pub embedding: EmbeddingVector,
}

/// A vector as floats or base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingVector {
    /// JSON numbers.
    Float(Vec<f32>),
    /// Base64 of the little-endian f32 bytes.
    Base64(String),
}

/// `usage` of an embeddings answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmbeddingsUsage {
    /// Tokens read.
    pub prompt_tokens: u64,
    /// The same (embeddings write no tokens).
    pub total_tokens: u64,
}

/// Amazon Titan Text Embeddings' InvokeModel body: one text per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanEmbeddingRequest {
    /// The text.
    pub input_text: String,
    /// 256, 512 or 1024 (v2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// Whether the vector is scaled to unit length (v2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// Titan's answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanEmbeddingResponse {
    /// The vector.
    pub embedding: Vec<f32>,
    /// Tokens read.
    #[serde(default)]
    pub input_text_token_count: u64,
}

/// Cohere Embed's InvokeModel body: up to 96 texts per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohereEmbeddingRequest {
    /// The texts.
    pub texts: Vec<String>,
    /// `search_document`, `search_query`, `classification` or `clustering`.
    pub input_type: String,
    /// `["float"]` (obs asks for floats and encodes base64 itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_types: Option<Vec<String>>,
    /// `NONE`, `START` or `END`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncate: Option<String>,
    /// Embed v4's vector length (256, 512, 1024, 1536).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dimension: Option<u32>,
}

/// Cohere's answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CohereEmbeddingResponse {
    /// The vectors: a list when no `embedding_types` were asked for, else by type.
    pub embeddings: CohereEmbeddings,
    /// Billing, when the upstream reports it.
    #[serde(default)]
    pub meta: Option<CohereMeta>,
}

/// Cohere's `embeddings`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum CohereEmbeddings {
    /// `response_type: embeddings_floats`.
    Floats(Vec<Vec<f32>>),
    /// `response_type: embeddings_by_type`.
    ByType {
        /// The float vectors.
        float: Vec<Vec<f32>>,
    },
}

/// Cohere's `meta`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CohereMeta {
    /// What was billed.
    #[serde(default)]
    pub billed_units: Option<CohereBilledUnits>,
}

/// Cohere's `meta.billed_units`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct CohereBilledUnits {
    /// Tokens read.
    #[serde(default)]
    pub input_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_of_every_shape_parse_and_unknown_fields_are_kept() {
        let parse = |body: &str| serde_json::from_str::<EmbeddingsRequest>(body).unwrap();
        let request = parse(r#"{"model":"m","input":"hi","input_type":"search_query","dimensions":256}"#);
        assert_eq!(request.input, EmbeddingInput::Text("hi".into()));
        assert_eq!(request.extra.get("input_type"), Some(&serde_json::json!("search_query")));
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"model":"m","input":"hi","dimensions":256,"input_type":"search_query"}"#
        );
        assert_eq!(parse(r#"{"model":"m","input":["a","b"]}"#).input.texts(), Some(vec!["a", "b"]));
        assert_eq!(parse(r#"{"model":"m","input":[1,2]}"#).input, EmbeddingInput::Tokens(vec![1, 2]));
        assert_eq!(parse(r#"{"model":"m","input":[[1],[2]]}"#).input.texts(), None);
    }
}
