//! Embeddings (docs/reference/embeddings.md): the checks every embeddings request gets, the InvokeModel bodies of
//! Titan Text Embeddings (one per text) and Cohere Embed (batches of up to 96), and the OpenAI answer built from
//! the vectors they return — floats, or base64 written by obs.

use base64::Engine as _;
use obs_models::Error;
use obs_models::embeddings::{
    CohereEmbeddingRequest, Embedding, EmbeddingInput, EmbeddingVector, EmbeddingsRequest, EmbeddingsResponse,
    EmbeddingsUsage, EncodingFormat, TitanEmbeddingRequest,
};
use obs_models::error::ErrorCode;

/// Cohere Embed's limit on texts per InvokeModel call.
pub const COHERE_BATCH: usize = 96;

/// The Cohere `input_type` when the request has none: documents to be searched (Cohere's own advice for
/// indexing; queries set `"input_type": "search_query"`).
pub const DEFAULT_COHERE_INPUT_TYPE: &str = "search_document";

const COHERE_INPUT_TYPES: [&str; 4] = ["search_document", "search_query", "classification", "clustering"];

/// Parses and checks a `/v1/embeddings` body: `invalid_json`, `invalid_body` when it is not an object, `missing_model`,
/// `invalid_value` (param the field) for a field of the wrong type, then [`validate`].
///
/// ```
/// let request = obs_convert::embeddings::parse_request(br#"{"model":"m","input":"hi"}"#).unwrap();
/// assert_eq!(request.model, "m");
/// let error = obs_convert::embeddings::parse_request(br#"{"model":"m","input":{}}"#).unwrap_err();
/// assert_eq!(error.param.as_deref(), Some("input"));
/// ```
pub fn parse_request(body: &[u8]) -> Result<EmbeddingsRequest, Error> {
    let value = crate::ingress::parse_json(body)?;
    let Some(object) = value.as_object() else {
        return Err(Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."));
    };
    match object.get("model") {
        Some(serde_json::Value::String(model)) if !model.is_empty() => {}
        Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => {
            return Err(Error::new(ErrorCode::MissingModel, "The request has no model.").with_param("model"));
        }
        Some(_) => return Err(Error::invalid("model", "'model' must be a string.")),
    }
    if !object.contains_key("input") {
        return Err(Error::invalid("input", "'input' is required."));
    }
    let request: EmbeddingsRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().iter().next().map_or_else(|| "body".to_owned(), |segment| segment.to_string());
        let expected = match field.as_str() {
            "input" => "a string, an array of strings, an array of token ids or an array of token id arrays",
            "dimensions" => "a positive integer",
            "encoding_format" => "'float' or 'base64'",
            "user" => "a string",
            _ => "of another type",
        };
        Error::invalid(field.clone(), format!("'{field}' must be {expected}."))
    })?;
    validate(&request)?;
    Ok(request)
}

/// Checks every target's request gets: something to embed, and no empty text.
pub fn validate(request: &EmbeddingsRequest) -> Result<(), Error> {
    let empty = match &request.input {
        EmbeddingInput::Text(text) => text.is_empty(),
        EmbeddingInput::Texts(texts) => texts.is_empty() || texts.iter().any(String::is_empty),
        EmbeddingInput::Tokens(tokens) => tokens.is_empty(),
        EmbeddingInput::TokenArrays(arrays) => arrays.is_empty() || arrays.iter().any(Vec::is_empty),
    };
    if empty {
        return Err(Error::invalid("input", "'input' must be a non-empty string, or a non-empty array of them."));
    }
    if request.dimensions == Some(0) {
        return Err(Error::invalid("dimensions", "'dimensions' must be at least 1."));
    }
    Ok(())
}

/// The texts of a request for Bedrock, which takes no token ids.
fn texts(request: &EmbeddingsRequest) -> Result<Vec<&str>, Error> {
    request.input.texts().ok_or_else(|| {
        Error::invalid("input", "Bedrock embedding models take text: 'input' as token ids is for OpenAI models only.")
    })
}

/// An obs field (`normalize`, `input_type`, `truncate`) read from the request's unknown fields.
fn obs_field<'a, T>(
    request: &'a EmbeddingsRequest,
    name: &str,
    read: impl Fn(&'a serde_json::Value) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, Error> {
    match request.extra.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => {
            read(value).map(Some).ok_or_else(|| Error::invalid(name, format!("'{name}' must be {expected}.")))
        }
    }
}

/// One Titan body per text. `v2` (`amazon.titan-embed-text-v2`) takes `dimensions` 256, 512 or 1024 and
/// `normalize` (obs default `true`, as Titan's); v1 takes neither.
pub fn titan_bodies(request: &EmbeddingsRequest, v2: bool) -> Result<Vec<TitanEmbeddingRequest>, Error> {
    let normalize = obs_field(request, "normalize", serde_json::Value::as_bool, "a boolean")?;
    if !v2 && request.dimensions.is_some() {
        return Err(Error::unsupported("dimensions", "Titan Text Embeddings v1 has one vector length (1536)."));
    }
    if !v2 && normalize.is_some() {
        return Err(Error::unsupported("normalize", "Titan Text Embeddings v1 does not take 'normalize'."));
    }
    if let Some(dimensions) = request.dimensions.filter(|d| ![256, 512, 1024].contains(d)) {
        return Err(Error::invalid(
            "dimensions",
            format!("Titan Text Embeddings v2 takes 'dimensions' 256, 512 or 1024, not {dimensions}."),
        ));
    }
    Ok(texts(request)?
        .into_iter()
        .map(|text| TitanEmbeddingRequest {
            input_text: text.to_owned(),
            dimensions: request.dimensions,
            normalize: if v2 { Some(normalize.unwrap_or(true)) } else { None },
        })
        .collect())
}

/// Cohere bodies, [`COHERE_BATCH`] texts each, in order. `input_type` defaults to
/// [`DEFAULT_COHERE_INPUT_TYPE`]; `truncate` is `NONE`, `START` or `END`; `dimensions` is Embed v4's
/// `output_dimension` (256, 512, 1024, 1536) — v3 has one length (1024).
pub fn cohere_bodies(request: &EmbeddingsRequest, v4: bool) -> Result<Vec<CohereEmbeddingRequest>, Error> {
    let input_type =
        obs_field(request, "input_type", serde_json::Value::as_str, "a string")?.unwrap_or(DEFAULT_COHERE_INPUT_TYPE);
    if !COHERE_INPUT_TYPES.contains(&input_type) {
        return Err(Error::invalid(
            "input_type",
            format!("'input_type' must be one of {}, not '{input_type}'.", COHERE_INPUT_TYPES.join(", ")),
        ));
    }
    let truncate = obs_field(request, "truncate", serde_json::Value::as_str, "NONE, START or END")?;
    if let Some(truncate) = truncate.filter(|t| !["NONE", "START", "END"].contains(t)) {
        return Err(Error::invalid("truncate", format!("'truncate' must be NONE, START or END, not '{truncate}'.")));
    }
    let output_dimension = match request.dimensions {
        None => None,
        Some(d) if v4 && [256, 512, 1024, 1536].contains(&d) => Some(d),
        Some(d) if v4 => {
            return Err(Error::invalid(
                "dimensions",
                format!("Cohere Embed v4 takes 'dimensions' 256, 512, 1024 or 1536, not {d}."),
            ));
        }
        Some(_) => return Err(Error::unsupported("dimensions", "Cohere Embed v3 has one vector length (1024).")),
    };
    Ok(texts(request)?
        .chunks(COHERE_BATCH)
        .map(|batch| CohereEmbeddingRequest {
            texts: batch.iter().map(|t| (*t).to_owned()).collect(),
            input_type: input_type.to_owned(),
            embedding_types: Some(vec!["float".to_owned()]),
            truncate: truncate.map(str::to_owned),
            output_dimension,
        })
        .collect())
}

/// The OpenAI answer for vectors in input order, written as `format` asks.
pub fn answer(model: &str, vectors: Vec<Vec<f32>>, prompt_tokens: u64, format: EncodingFormat) -> EmbeddingsResponse {
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(index, vector)| Embedding {
            object: "embedding".to_owned(),
            index,
            embedding: match format {
                EncodingFormat::Float => EmbeddingVector::Float(vector),
                EncodingFormat::Base64 => EmbeddingVector::Base64(base64(&vector)),
            },
        })
        .collect();
    EmbeddingsResponse {
        object: "list".to_owned(),
        data,
        model: model.to_owned(),
        usage: EmbeddingsUsage { prompt_tokens, total_tokens: prompt_tokens },
    }
}

/// A vector as OpenAI writes `encoding_format: "base64"`: the little-endian bytes of each f32, base64 (standard
/// alphabet, padded).
pub fn base64(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn request(json: serde_json::Value) -> EmbeddingsRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn titan_gets_one_body_per_text_with_its_fields() {
        let bodies = titan_bodies(
            &request(serde_json::json!({"model": "t", "input": ["a", "b"], "dimensions": 256, "normalize": false})),
            true,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&bodies).unwrap(),
            serde_json::json!([
                {"inputText": "a", "dimensions": 256, "normalize": false},
                {"inputText": "b", "dimensions": 256, "normalize": false}
            ])
        );
        let error = titan_bodies(&request(serde_json::json!({"model": "t", "input": "a", "dimensions": 300})), true)
            .unwrap_err();
        assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("dimensions")));
        let error = titan_bodies(&request(serde_json::json!({"model": "t", "input": [1, 2]})), true).unwrap_err();
        assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("input")));
    }

    #[test]
    fn cohere_batches_by_96_with_the_default_input_type() {
        let texts: Vec<String> = (0..200).map(|i| format!("t{i}")).collect();
        let bodies = cohere_bodies(&request(serde_json::json!({"model": "c", "input": texts})), false).unwrap();
        assert_eq!(bodies.iter().map(|b| b.texts.len()).collect::<Vec<_>>(), [96, 96, 8]);
        assert_eq!(bodies[2].texts[7], "t199");
        assert_eq!(
            serde_json::to_value(&bodies[2]).unwrap()["input_type"],
            serde_json::json!(DEFAULT_COHERE_INPUT_TYPE)
        );
        let error = cohere_bodies(&request(serde_json::json!({"model": "c", "input": "a", "input_type": "x"})), false)
            .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("input_type"));
    }

    #[test]
    fn base64_is_the_little_endian_f32_bytes() {
        assert_eq!(base64(&[1.0, -2.0]), "AACAPwAAAMA=");
        let answer = answer("m", vec![vec![0.5]], 3, EncodingFormat::Float);
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            serde_json::json!({
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
                "model": "m",
                "usage": {"prompt_tokens": 3, "total_tokens": 3}
            })
        );
    }

    #[test]
    fn empty_inputs_are_refused() {
        for input in [serde_json::json!(""), serde_json::json!([]), serde_json::json!(["a", ""])] {
            let error = validate(&request(serde_json::json!({"model": "m", "input": input}))).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("input"));
        }
    }
}
