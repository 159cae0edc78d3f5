//! STS `AssumeRole`, `AssumeRoleWithWebIdentity` and `GetCallerIdentity` (query protocol: form body in, XML out),
//! so credential providers that assume a role can be tested on loopback. The temporary credentials it hands out
//! are [`ASSUMED_ACCESS_KEY_ID`] / secret / [`session_token`] of the session name.

use http::{HeaderValue, Response, StatusCode};

use crate::http::{Body, full};

/// The access key id of the temporary credentials the mock's STS returns.
pub const ASSUMED_ACCESS_KEY_ID: &str = "ASIAOBSMOCKASSUMED";

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

/// The session token of the temporary credentials the mock's STS hands out for role session `session`.
pub fn session_token(session: &str) -> String {
    format!("mock-session-token-{session}")
}

/// Whether the form body is an action STS takes unsigned.
pub(crate) fn is_unsigned_action(body: &[u8]) -> bool {
    form_value(&String::from_utf8_lossy(body), "Action").as_deref() == Some("AssumeRoleWithWebIdentity")
}

pub(crate) fn handle(body: &[u8]) -> Response<Body> {
    let body = String::from_utf8_lossy(body);
    let action = form_value(&body, "Action").unwrap_or_default();
    let (status, xml) = if action == "AssumeRole" || action == "AssumeRoleWithWebIdentity" {
        let role = form_value(&body, "RoleArn").unwrap_or_default();
        let session = form_value(&body, "RoleSessionName").unwrap_or_default();
        // Each session's token names it, so a test can tell which session a Bedrock call was signed with.
        let token = session_token(&session);
        (
            StatusCode::OK,
            format!(
                "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>\
                 <Credentials><AccessKeyId>{ASSUMED_ACCESS_KEY_ID}</AccessKeyId><SecretAccessKey>mock-assumed-secret</SecretAccessKey>\
                 <SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
                 <AssumedRoleUser><AssumedRoleId>AROAMOCK:{session}</AssumedRoleId><Arn>{role}/{session}</Arn></AssumedRoleUser>\
                 </{action}Result><ResponseMetadata><RequestId>mock-request</RequestId></ResponseMetadata></{action}Response>"
            ),
        )
    } else if action == "GetCallerIdentity" {
        (
            StatusCode::OK,
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
             <Arn>arn:aws:iam::123456789012:user/obs-mock</Arn><UserId>AIDAOBSMOCK</UserId><Account>123456789012</Account>\
             </GetCallerIdentityResult><ResponseMetadata><RequestId>mock-request</RequestId></ResponseMetadata>\
             </GetCallerIdentityResponse>"
                .to_owned(),
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                 <Code>InvalidAction</Code><Message>The mock STS only answers AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity, not '{action}'.</Message></Error>\
                 <RequestId>mock-request</RequestId></ErrorResponse>"
            ),
        )
    };
    let mut response = Response::new(full(xml));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}
