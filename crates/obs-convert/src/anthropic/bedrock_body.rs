//! The body Claude on Bedrock gets for a Messages request: the client's body as it came (every block, every
//! field, in the client's order), with `anthropic_version` first and the `anthropic-beta` header as
//! `anthropic_beta` — betas Bedrock refuses left out.

use obs_models::JsonObject;
use obs_models::anthropic::{MessagesRequest, bedrock_betas};
use obs_models::claude::BEDROCK_ANTHROPIC_VERSION;
use obs_models::error::ErrorCode;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::Error;
use crate::bedrock::image::{FetchedImages, resolve};

/// The InvokeModel body of a Messages request (`model` and `stream` are already out of it).
///
/// ```
/// use obs_convert::anthropic::{bedrock_body, parse_messages_request};
///
/// let request = parse_messages_request(
///     br#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#,
///     vec!["claude-code-20250219".into(), "interleaved-thinking-2025-05-14".into()],
/// )
/// .unwrap();
/// let body = String::from_utf8(bedrock_body(&request).unwrap()).unwrap();
/// assert_eq!(
///     body,
///     r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"anthropic_beta":["interleaved-thinking-2025-05-14"]}"#
/// );
/// ```
pub fn bedrock_body(request: &MessagesRequest) -> Result<Vec<u8>, Error> {
    encode(&Body { fields: &request.body, betas: &request.betas, max_tokens: None })
}

/// As [`bedrock_body`], with each image given by URL (`"source":{"type":"url"}`, which Bedrock does not take)
/// replaced by the base64 source of its bytes, fetched beforehand by the adapter ([`image_urls`]). Every other
/// block is as the client sent it.
pub fn bedrock_body_with_images(request: &MessagesRequest, fetched: &FetchedImages) -> Result<Vec<u8>, Error> {
    if fetched.is_empty() {
        return bedrock_body(request);
    }
    let mut fields = request.body.clone();
    let messages = fields.get_mut("messages").and_then(Value::as_array_mut).into_iter().flatten();
    for (i, message) in messages.enumerate() {
        let blocks = message.get_mut("content").and_then(Value::as_array_mut).into_iter().flatten();
        for (j, block) in blocks.enumerate() {
            inline_images(block, fetched, &format!("messages.{i}.content.{j}"))?;
        }
    }
    encode(&Body { fields: &fields, betas: &request.betas, max_tokens: None })
}

/// Every http(s) image URL of the request's messages (in `tool_result` content too), in order, once each.
pub fn image_urls(request: &MessagesRequest) -> Vec<String> {
    fn collect(block: &Value, urls: &mut Vec<String>) {
        match block.get("type").and_then(Value::as_str) {
            Some("image") if block.pointer("/source/type").and_then(Value::as_str) == Some("url") => {
                if let Some(url) = block.pointer("/source/url").and_then(Value::as_str)
                    && !urls.iter().any(|known| known == url)
                {
                    urls.push(url.to_owned());
                }
            }
            Some("tool_result") => {
                for inner in block.get("content").and_then(Value::as_array).into_iter().flatten() {
                    collect(inner, urls);
                }
            }
            _ => {}
        }
    }
    let mut urls = Vec::new();
    let messages = request.body.get("messages").and_then(Value::as_array).into_iter().flatten();
    for message in messages {
        for block in message.get("content").and_then(Value::as_array).into_iter().flatten() {
            collect(block, &mut urls);
        }
    }
    urls
}

fn inline_images(block: &mut Value, fetched: &FetchedImages, at: &str) -> Result<(), Error> {
    match block.get("type").and_then(Value::as_str) {
        Some("image") if block.pointer("/source/type").and_then(Value::as_str) == Some("url") => {
            let url = block.pointer("/source/url").and_then(Value::as_str).unwrap_or("");
            let image = resolve(url, fetched, &format!("{at}.source.url"))?;
            block["source"] =
                serde_json::json!({"type": "base64", "media_type": image.media_type, "data": image.base64});
        }
        Some("tool_result") => {
            let inner = block.get_mut("content").and_then(Value::as_array_mut).into_iter().flatten();
            for (k, inner) in inner.enumerate() {
                inline_images(inner, fetched, &format!("{at}.content.{k}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The body Bedrock's CountTokens is given for a count request: as [`bedrock_body`], with a `max_tokens` added
/// when the client gave none (InvokeModel requires one; the count does not depend on it) — above a thinking
/// budget, which Bedrock checks against it.
pub fn count_tokens_body(request: &MessagesRequest, default_max_tokens: u32) -> Result<Vec<u8>, Error> {
    let budget = request.body.get("thinking").and_then(|t| t.get("budget_tokens")).and_then(Value::as_u64);
    let max_tokens = match budget {
        Some(budget) => u64::from(default_max_tokens).max(budget.saturating_add(1)),
        None => u64::from(default_max_tokens),
    };
    let max_tokens = (!request.body.contains_key("max_tokens")).then_some(max_tokens);
    encode(&Body { fields: &request.body, betas: &request.betas, max_tokens })
}

fn encode(body: &Body<'_>) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not encode the Bedrock body: {e}.")))
}

/// Written straight from the client's fields: the body is never copied into a new map.
struct Body<'a> {
    fields: &'a JsonObject,
    betas: &'a [String],
    max_tokens: Option<u64>,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        // A client that wrote its own `anthropic_version` (or `anthropic_beta`) in the body keeps it.
        match self.fields.get("anthropic_version") {
            Some(version) => map.serialize_entry("anthropic_version", version)?,
            None => map.serialize_entry("anthropic_version", BEDROCK_ANTHROPIC_VERSION)?,
        }
        if let Some(max_tokens) = self.max_tokens {
            map.serialize_entry("max_tokens", &max_tokens)?;
        }
        let mut betas: Vec<&str> = bedrock_betas(self.betas);
        for (key, value) in self.fields {
            match key.as_str() {
                "anthropic_version" => {}
                "anthropic_beta" => {
                    for beta in value.as_array().into_iter().flatten().filter_map(Value::as_str).rev() {
                        if !betas.contains(&beta) {
                            betas.insert(0, beta);
                        }
                    }
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        if !betas.is_empty() {
            map.serialize_entry("anthropic_beta", &betas)?;
        }
        map.end()
    }
}
