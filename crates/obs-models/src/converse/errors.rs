//! Every [`ErrorCode`] as Bedrock's runtime API reports the same situation, so AWS SDKs raise their own typed
//! exception: the HTTP status and `x-amzn-errortype` of a failed answer, and the exception member of a failure
//! in the middle of a stream.

use crate::error::ErrorCode;

/// (HTTP status, `x-amzn-errortype`) for a failed answer.
pub fn aws_error(code: ErrorCode) -> (u16, &'static str) {
    match code {
        ErrorCode::InvalidJson
        | ErrorCode::InvalidBody
        | ErrorCode::UnsupportedFormat
        | ErrorCode::MissingModel
        | ErrorCode::EmptyMessages
        | ErrorCode::InvalidValue
        | ErrorCode::UnsupportedParameter
        | ErrorCode::InvalidTargetFormat
        | ErrorCode::UpstreamValidationError
        | ErrorCode::InvalidRequest => (400, "ValidationException"),
        ErrorCode::HeadersTooLarge => (431, "ValidationException"),
        ErrorCode::UriTooLong => (414, "ValidationException"),
        ErrorCode::RequestTooLarge => (413, "ValidationException"),
        ErrorCode::MethodNotAllowed => (405, "ValidationException"),
        ErrorCode::RequestTimeout => (408, "ValidationException"),
        ErrorCode::InvalidApiKey | ErrorCode::UpstreamAccessDenied | ErrorCode::PermissionDenied => {
            (403, "AccessDeniedException")
        }
        ErrorCode::ModelNotFound | ErrorCode::NotFound => (404, "ResourceNotFoundException"),
        ErrorCode::RateLimitExceeded => (429, "ThrottlingException"),
        // Not throttling: the SDKs would retry it, and it lasts until the budget's period ends.
        ErrorCode::InsufficientQuota => (400, "ServiceQuotaExceededException"),
        ErrorCode::UpstreamTimeout => (408, "ModelTimeoutException"),
        ErrorCode::ServiceUnavailable | ErrorCode::UpstreamUnreachable => (503, "ServiceUnavailableException"),
        ErrorCode::InternalError | ErrorCode::UpstreamError | ErrorCode::UpstreamAuthenticationError => {
            (500, "InternalServerException")
        }
    }
}

/// The `:exception-type` of an exception frame (a member of ConverseStream's and InvokeModelWithResponseStream's
/// output unions) for a failure after the stream began.
pub fn stream_exception(code: ErrorCode) -> &'static str {
    match aws_error(code).1 {
        "ValidationException" => "validationException",
        "ThrottlingException" => "throttlingException",
        "ServiceUnavailableException" => "serviceUnavailableException",
        "ModelTimeoutException" => "modelStreamErrorException",
        _ => "internalServerException",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_aws_type_the_sdks_know() {
        let known = [
            "ValidationException",
            "AccessDeniedException",
            "ResourceNotFoundException",
            "ThrottlingException",
            "ModelTimeoutException",
            "ServiceUnavailableException",
            "InternalServerException",
            "ServiceQuotaExceededException",
        ];
        for code in ErrorCode::ALL {
            let (status, kind) = aws_error(code);
            assert!(known.contains(&kind), "{code:?}");
            assert!((400..600).contains(&status));
        }
        assert_eq!(aws_error(ErrorCode::InvalidApiKey), (403, "AccessDeniedException"));
        assert_eq!(aws_error(ErrorCode::RateLimitExceeded), (429, "ThrottlingException"));
        assert_eq!(stream_exception(ErrorCode::RateLimitExceeded), "throttlingException");
        assert_eq!(stream_exception(ErrorCode::UpstreamError), "internalServerException");
    }
}
