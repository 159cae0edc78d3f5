//! The Bedrock runtime routes (`bedrock_ingress.rs`) and the control-plane listing (`bedrock_listing.rs`) in the
//! OpenAPI document: Bedrock's paths, bodies as open objects (Bedrock's own API reference is their schema), the
//! event stream's media type, and the AWS error shape with `x-amzn-errortype`.

use serde_json::{Value, json};

/// The runtime operations: path suffix, summary, whether it streams.
const OPERATIONS: [(&str, &str, bool); 5] = [
    ("converse", "Converse: one answer (Bedrock's Converse API, on every target)", false),
    ("converse-stream", "ConverseStream: the answer as Converse stream events", true),
    ("invoke", "InvokeModel: the model's native body in, its native answer out", false),
    ("invoke-with-response-stream", "InvokeModelWithResponseStream: `chunk` frames with base64 `bytes`", true),
    ("count-tokens", "CountTokens: the input tokens of a Converse or InvokeModel request", false),
];

/// Adds the Bedrock routes and the `AwsError` schema to `document`.
pub(crate) fn document(document: &mut Value) {
    document["components"]["schemas"]["AwsError"] = json!({"type": "object", "required": ["message"],
        "properties": {"message": {"type": "string"}},
        "description": "Bedrock's error body; its type is the `x-amzn-errortype` header (ValidationException, AccessDeniedException, ResourceNotFoundException, ThrottlingException, ModelTimeoutException, ServiceUnavailableException, InternalServerException)."});
    document["components"]["securitySchemes"]["sigv4"] = json!({"type": "apiKey", "in": "header", "name": "Authorization",
        "description": "AWS Signature Version 4 (`AWS4-HMAC-SHA256 Credential=…`) with a key pair of `[[server.aws_clients]]`."});
    let error = json!({"description": "Bedrock-shaped error",
        "headers": {"x-amzn-errortype": {"schema": {"type": "string"}}, "x-amzn-requestid": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AwsError"}}}});
    let security = json!([{"bearer": []}, {"apiKey": []}, {"sigv4": []}]);
    let model = json!({"name": "modelId", "in": "path", "required": true,
        "description": "A model id, alias, group, `<provider>/<model-id>`, inference profile or ARN, percent-encoded",
        "schema": {"type": "string", "minLength": 1}});
    for (operation, summary, streams) in OPERATIONS {
        let answer = if streams {
            json!({"description": "`application/vnd.amazon.eventstream` frames; a failure after the first is one exception frame",
                   "content": {"application/vnd.amazon.eventstream": {"schema": {"type": "string", "format": "binary"}}}})
        } else {
            json!({"description": "Bedrock's answer JSON (InvokeModel: with the `x-amzn-bedrock-*` token-count and latency headers)",
                   "content": {"application/json": {"schema": {"type": "object"}}}})
        };
        let mut responses = json!({"200": answer});
        for status in ["400", "403", "404", "408", "413", "429", "500", "503"] {
            responses[status] = error.clone();
        }
        document["paths"][format!("/model/{{modelId}}/{operation}")] = json!({"post": {
            "summary": summary, "security": security, "parameters": [model],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": responses}});
    }
    for (path, summary, list) in [
        ("/foundation-models", "ListFoundationModels: obs's models as Bedrock model summaries", "modelSummaries"),
        (
            "/inference-profiles",
            "ListInferenceProfiles: the region-prefixed ids of obs's models",
            "inferenceProfileSummaries",
        ),
    ] {
        document["paths"][path] = json!({"get": {"summary": summary, "security": security,
            "responses": {"200": {"description": "The list", "content": {"application/json": {"schema": {"type": "object",
                              "required": [list], "properties": {list: {"type": "array", "items": {"type": "object"}}}}}}},
                          "403": error}}});
    }
}
