//! The Bedrock runtime API as obs serves it to AWS clients (docs/reference/bedrock-ingress.md): the error table
//! ([`aws_error`], [`stream_exception`]). Converse bodies to Bedrock-kind targets pass through unparsed.

mod errors;

pub use errors::{aws_error, stream_exception};
