//! AWS SDK failures → docs/reference/errors.md §2 codes, by the service's error code (typed exceptions and mid-stream
//! exception frames alike) or by the kind of transport failure. The SDK's own account (`DisplayErrorContext`) travels
//! as the error's detail, to the request's log line; credentials never appear in SDK error text.

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;
use obs_models::error::ErrorCode;

use crate::Error;

/// Maps any SDK error.
pub(crate) fn from_sdk<E, R>(error: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = DisplayErrorContext(error).to_string();
    let mapped = match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            from_code(err.code().unwrap_or(""), err.message().unwrap_or("Bedrock returned an error."))
        }
        SdkError::TimeoutError(_) => Error::new(ErrorCode::UpstreamTimeout, "Bedrock did not answer in time."),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            Error::new(ErrorCode::UpstreamTimeout, "Bedrock did not answer in time.")
        }
        _ if mentions_credentials(&detail) => Error::new(
            ErrorCode::UpstreamAuthenticationError,
            "No usable AWS credentials: the gateway could not sign the Bedrock request.",
        ),
        // The client reads one sentence; the cause (addresses, OS errors) is in the WARN line above.
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            Error::new(ErrorCode::UpstreamUnreachable, "Could not connect to Bedrock.")
        }
        SdkError::DispatchFailure(_) => Error::new(ErrorCode::UpstreamUnreachable, "Could not reach Bedrock."),
        SdkError::ResponseError(_) => closed_mid_answer(),
        _ => Error::new(ErrorCode::UpstreamError, "Bedrock's answer could not be read."),
    };
    // The SDK's whole account (which names the endpoint and any OS error) is for the request's log line only.
    mapped.with_detail(detail)
}

/// The connection dropped (or the bytes stopped making sense) after Bedrock began to answer.
pub(crate) fn closed_mid_answer() -> Error {
    Error::new(
        ErrorCode::UpstreamError,
        "Bedrock closed the connection before the answer was complete, or sent an answer obs cannot read.",
    )
}

fn mentions_credentials(detail: &str) -> bool {
    let lower = detail.to_ascii_lowercase();
    lower.contains("credential") || lower.contains("no identity") || lower.contains("identity resolver")
}

/// Maps a Bedrock error code (`ThrottlingException`, or the lower-camel member name of an exception frame).
pub(crate) fn from_code(code: &str, message: &str) -> Error {
    let lower = code.to_ascii_lowercase();
    let code = match lower.as_str() {
        "throttlingexception" | "servicequotaexceededexception" | "toomanyrequestsexception" => {
            ErrorCode::RateLimitExceeded
        }
        "validationexception" => ErrorCode::UpstreamValidationError,
        "accessdeniedexception" => ErrorCode::UpstreamAccessDenied,
        "resourcenotfoundexception" => ErrorCode::ModelNotFound,
        "modelnotreadyexception" | "serviceunavailableexception" => ErrorCode::ServiceUnavailable,
        "modeltimeoutexception" => ErrorCode::UpstreamTimeout,
        "unrecognizedclientexception"
        | "expiredtokenexception"
        | "expiredtoken"
        | "invalidsignatureexception"
        | "missingauthenticationtokenexception"
        | "incompletesignature"
        | "invalidclienttokenid"
        | "signaturedoesnotmatch" => {
            return Error::new(
                ErrorCode::UpstreamAuthenticationError,
                format!("Bedrock rejected the gateway's AWS credentials: {message}"),
            );
        }
        _ => ErrorCode::UpstreamError,
    };
    Error::new(code, message)
}
