//! Embeddings emulation: OpenAI's `POST /v1/embeddings`, and InvokeModel of Amazon Titan Text Embeddings (v1, v2)
//! and Cohere Embed (v3, v4) on the Bedrock runtime path.
//!
//! Vectors are deterministic: each component is a hash of (model, text, component index), the vector scaled to
//! unit length, so the same text always embeds the same and different texts differ. Token counts are words.

use base64::Engine as _;
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::bedrock::{BedrockError, error_response};
use crate::http::{Body, json as json_response};
use crate::openai::error;
use crate::plan::count_words;

/// Cohere's per-request limit on `texts`.
const COHERE_MAX_TEXTS: usize = 96;

/// A unit vector of `dimensions` components for `text`.
pub(crate) fn vector(model: &str, text: &str, dimensions: usize) -> Vec<f32> {
    let seed = fnv(fnv(0xcbf2_9ce4_8422_2325, model.as_bytes()), text.as_bytes());
    let raw: Vec<f64> = (0..dimensions)
        .map(|i| {
            let mut x = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            // splitmix64's finaliser.
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^= x >> 31;
            (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect();
    let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    raw.iter().map(|v| (v / norm) as f32).collect()
}

/// A vector as JSON numbers written as the APIs write f32s (shortest round-trip form: `0.05275365`, not the f64
/// widening `0.052753651…`).
fn numbers(vector: &[f32]) -> Value {
    Value::Array(vector.iter().map(|v| format!("{v}").parse::<f64>().map_or(Value::Null, Value::from)).collect())
}

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x100_0000_01b3);
    }
    hash
}

/// `POST /v1/embeddings`: `input` a string, strings, tokens or token arrays; `dimensions` for the `-3` models;
/// `encoding_format` `float` (default) or `base64` (little-endian f32s).
pub(crate) fn openai(body: &Bytes) -> Response<Body> {
    let bad = |message: &str, param: &str| {
        json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": null}}),
        )
    };
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return bad("We could not parse the JSON body of your request.", "body");
    };
    let Some(model) = request.get("model").and_then(Value::as_str) else {
        return bad("you must provide a model parameter", "model");
    };
    if !model.contains("embedding") {
        return error(
            StatusCode::NOT_FOUND,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            Some("model_not_found"),
        );
    }
    let texts: Vec<String> = match request.get("input") {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) if !items.is_empty() => {
            if items.iter().all(Value::is_string) {
                items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            } else if items.iter().all(Value::is_u64) {
                vec![Value::Array(items.clone()).to_string()]
            } else if items.iter().all(Value::is_array) {
                items.iter().map(Value::to_string).collect()
            } else {
                return bad("'input' must be a string, an array of strings or an array of token arrays.", "input");
            }
        }
        _ => return bad("'input' must be a non-empty string or array.", "input"),
    };
    let native = if model.contains("3-large") { 3072 } else { 1536 };
    let dimensions = match request.get("dimensions") {
        None | Some(Value::Null) => native,
        Some(value) => match value.as_u64().and_then(|d| usize::try_from(d).ok()) {
            Some(d) if d >= 1 && d <= native && !model.contains("ada") => d,
            _ => return bad(&format!("Invalid 'dimensions': must be between 1 and {native}."), "dimensions"),
        },
    };
    let base64 = match request.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(_) => return bad("Invalid 'encoding_format': must be 'float' or 'base64'.", "encoding_format"),
    };
    let mut tokens = 0;
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            tokens += count_words(text).max(1);
            let vector = vector(model, text, dimensions);
            let embedding = if base64 { Value::from(encode_base64(&vector)) } else { numbers(&vector) };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
        }),
    )
}

fn encode_base64(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether a Bedrock model id is one of the embedding models the emulator answers on InvokeModel.
pub(crate) fn is_bedrock_embedding(model_id: &str) -> bool {
    model_id.contains("titan-embed") || model_id.contains("cohere.embed")
}

/// InvokeModel of an embedding model: Titan's `{"inputText", "dimensions", "normalize"}` or Cohere's
/// `{"texts", "input_type", "embedding_types", "truncate"}`, answered as Bedrock does.
pub(crate) fn bedrock(model_id: &str, body: &Bytes) -> Response<Body> {
    let result = serde_json::from_slice::<Value>(body)
        .map_err(|_| BedrockError::validation("Malformed input request, please reformat your input and try again."))
        .and_then(|request| {
            if model_id.contains("titan-embed") { titan(model_id, &request) } else { cohere(model_id, &request) }
        });
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(error) => error_response(&error),
    }
}

fn titan(model_id: &str, request: &Value) -> Result<Value, BedrockError> {
    let Some(text) = request.get("inputText").and_then(Value::as_str) else {
        return Err(BedrockError::validation("Malformed input request: #: required key [inputText] not found"));
    };
    let v2 = model_id.contains("text-v2");
    let allowed = ["inputText", "dimensions", "normalize", "embeddingTypes"];
    if let Some(key) = request.as_object().and_then(|o| o.keys().find(|k| !allowed.contains(&k.as_str()))) {
        return Err(BedrockError::validation(format!(
            "Malformed input request: #: extraneous key [{key}] is not permitted"
        )));
    }
    let dimensions = match request.get("dimensions").and_then(Value::as_u64) {
        None if v2 => 1024,
        None => 1536,
        Some(d @ (256 | 512 | 1024)) if v2 => d,
        Some(_) => {
            return Err(BedrockError::validation(
                "Malformed input request: #/dimensions: 256, 512 or 1024 expected, please reformat your input and try again.",
            ));
        }
    };
    let vector = numbers(&vector(model_id, text, usize::try_from(dimensions).unwrap_or(1024)));
    Ok(json!({
        "embedding": vector,
        "embeddingsByType": {"float": vector},
        "inputTextTokenCount": count_words(text).max(1),
    }))
}

fn cohere(model_id: &str, request: &Value) -> Result<Value, BedrockError> {
    let Some(texts) = request.get("texts").and_then(Value::as_array) else {
        return Err(BedrockError::validation("Malformed input request: #: required key [texts] not found"));
    };
    if texts.len() > COHERE_MAX_TEXTS {
        return Err(BedrockError::validation(format!(
            "Malformed input request: #/texts: expected maximum item count: {COHERE_MAX_TEXTS}, found: {}",
            texts.len()
        )));
    }
    if request.get("input_type").and_then(Value::as_str).is_none() {
        return Err(BedrockError::validation("Malformed input request: #: required key [input_type] not found"));
    }
    let texts: Vec<&str> = texts.iter().filter_map(Value::as_str).collect();
    let v4 = model_id.contains("embed-v4");
    let dimensions = match request.get("output_dimension").and_then(Value::as_u64) {
        Some(d @ (256 | 512 | 1024 | 1536)) if v4 => d,
        Some(_) => return Err(BedrockError::validation("Malformed input request: #/output_dimension: invalid value")),
        None if v4 => 1536,
        None => 1024,
    };
    let dimensions = usize::try_from(dimensions).unwrap_or(1024);
    let vectors: Vec<Value> = texts.iter().map(|text| numbers(&vector(model_id, text, dimensions))).collect();
    let tokens: u64 = texts.iter().map(|text| count_words(text).max(1)).sum();
    let types = request.get("embedding_types").and_then(Value::as_array);
    let embeddings = match types {
        Some(types) => {
            let mut by_type = serde_json::Map::new();
            for kind in types.iter().filter_map(Value::as_str) {
                if kind != "float" {
                    return Err(BedrockError::validation(format!(
                        "The mock serves embedding_types [\"float\"] only, not '{kind}'."
                    )));
                }
                by_type.insert("float".to_owned(), json!(vectors));
            }
            Value::Object(by_type)
        }
        None => json!(vectors),
    };
    let response_type = if types.is_some() { "embeddings_by_type" } else { "embeddings_floats" };
    Ok(json!({
        "id": format!("{:016x}-{:04x}", fnv(0xcbf2_9ce4_8422_2325, model_id.as_bytes()), texts.len()),
        "texts": texts,
        "embeddings": embeddings,
        "response_type": response_type,
        "meta": {"billed_units": {"input_tokens": tokens}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_unit_length_deterministic_and_differ_by_text() {
        let a = vector("m", "hello", 256);
        assert_eq!(a.len(), 256);
        assert_eq!(a, vector("m", "hello", 256));
        assert_ne!(a, vector("m", "hellp", 256));
        let norm: f32 = a.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
}
