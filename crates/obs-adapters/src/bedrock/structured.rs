//! `response_format` on Bedrock (docs/reference/formats.md §7.8): natively where the model takes it — Converse's
//! `outputConfig.textFormat`, Claude's `output_config.format` on InvokeModel — else through the forced-tool method
//! of [`obs_convert::structured`]; Titan can do neither and is refused with 400 `unsupported_parameter`, never
//! answered with prose.

use aws_sdk_bedrockruntime::types::{JsonSchemaDefinition, OutputConfig, OutputFormat, OutputFormatStructure};
use futures::StreamExt;
use obs_convert::structured::{StructuredOutput, StructuredStream};
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse};

use crate::bedrock::catalog::strip_geo;
use crate::bedrock::{BedrockFamily, Target};
use crate::{Error, ItemStream, StreamItem};

/// How a Bedrock provider gives structured output (a Bedrock provider's `structured_output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StructuredOutputMethod {
    /// Native for the models of [`NATIVE_MODELS`], the forced tool for every other model (default).
    #[default]
    Auto,
    /// Native on every Converse model and every Claude model on InvokeModel (for models newer than obs's table).
    Native,
    /// The forced tool everywhere.
    Tool,
}

/// Model id prefixes (after any geo prefix) that take a JSON schema natively: Converse's
/// `outputConfig.textFormat`, and for the Claude ones also InvokeModel's `output_config.format`.
pub const NATIVE_MODELS: [&str; 6] = [
    "anthropic.claude-sonnet-4-5",
    "anthropic.claude-haiku-4-5",
    "anthropic.claude-opus-4-5",
    "anthropic.claude-opus-4-6",
    "anthropic.claude-opus-4-1",
    "amazon.nova-2",
];

/// What a request's `response_format` became for this target.
#[derive(Debug)]
pub(crate) enum Structured {
    /// Converse's own field carries the schema; the answer's text is the JSON.
    Native(OutputConfig),
    /// Claude's `output_config` on InvokeModel (`{"format":{"type":"json_schema","schema":…}}`, as Bedrock
    /// documents it); the answer's text is the JSON.
    ClaudeNative(serde_json::Value),
    /// The request now forces the synthetic tool; answers are rewritten.
    ForcedTool(StructuredOutput),
}

/// Reads `response_format` and, for the forced-tool method, rewrites `request`. `None` when none was asked.
pub(crate) fn prepare(
    request: &mut ChatCompletionRequest,
    target: Target<'_>,
    method: StructuredOutputMethod,
) -> Result<Option<Structured>, Error> {
    let Some(output) = StructuredOutput::of(request)? else { return Ok(None) };
    let converse = matches!(target.family, BedrockFamily::Converse | BedrockFamily::ClaudeConverse);
    let claude_invoke = target.family == BedrockFamily::ClaudeInvoke;
    if target.family == BedrockFamily::TitanInvoke {
        return Err(Error::unsupported(
            "response_format",
            "Titan text models cannot give structured output (they take neither a schema nor tools).",
        ));
    }
    let native = (converse || claude_invoke)
        && match method {
            StructuredOutputMethod::Auto => {
                let id = strip_geo(target.known_as);
                NATIVE_MODELS.iter().any(|prefix| id.starts_with(prefix))
            }
            StructuredOutputMethod::Native => true,
            StructuredOutputMethod::Tool => false,
        };
    if native && claude_invoke {
        let format = serde_json::json!({"format": {"type": "json_schema", "schema": output.schema}});
        return Ok(Some(Structured::ClaudeNative(format)));
    }
    if native {
        return Ok(Some(Structured::Native(native_config(&output)?)));
    }
    output.force_tool(request)?;
    Ok(Some(Structured::ForcedTool(output)))
}

fn native_config(output: &StructuredOutput) -> Result<OutputConfig, Error> {
    let schema = JsonSchemaDefinition::builder()
        .schema(output.schema.to_string())
        .name(output.name.clone())
        .set_description(output.description.clone())
        .build()
        .map_err(build_error)?;
    let format = OutputFormat::builder()
        .r#type(aws_sdk_bedrockruntime::types::OutputFormatType::JsonSchema)
        .structure(OutputFormatStructure::JsonSchema(schema))
        .build()
        .map_err(build_error)?;
    Ok(OutputConfig::builder().text_format(format).build())
}

fn build_error(error: aws_smithy_types::error::operation::BuildError) -> Error {
    Error::new(obs_models::error::ErrorCode::InternalError, "Internal server error").with_detail(error.to_string())
}

/// The native config, when that is the method (for the Converse request).
pub(crate) fn output_config(structured: Option<&Structured>) -> Option<OutputConfig> {
    match structured {
        Some(Structured::Native(config)) => Some(config.clone()),
        _ => None,
    }
}

/// Claude's `output_config`, when that is the method (for the InvokeModel body).
pub(crate) fn claude_output_config(structured: Option<&Structured>) -> Option<serde_json::Value> {
    match structured {
        Some(Structured::ClaudeNative(config)) => Some(config.clone()),
        _ => None,
    }
}

/// A whole answer as the client asked for it.
pub(crate) fn finish(structured: Option<&Structured>, mut response: ChatCompletionResponse) -> ChatCompletionResponse {
    if let Some(Structured::ForcedTool(output)) = structured {
        output.finish_response(&mut response);
    }
    response
}

/// A stream as the client asked for it.
pub(crate) fn stream(structured: Option<Structured>, items: ItemStream) -> ItemStream {
    let Some(Structured::ForcedTool(output)) = structured else { return items };
    let mut rewriter = StructuredStream::new(&output);
    Box::pin(items.map(move |item| match item {
        Ok(StreamItem::Chunk(mut chunk)) => {
            rewriter.chunk(&mut chunk);
            Ok(StreamItem::Chunk(chunk))
        }
        other => other,
    }))
}
