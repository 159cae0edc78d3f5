//! The `/obs/keys` routes in `/openapi.json` (docs/reference/keys.md §2).

use serde_json::{Value, json};

pub(crate) fn document(document: &mut Value) {
    let error = json!({"description": "OpenAI-shaped error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let key = json!({"$ref": "#/components/schemas/GatewayKey"});
    let fields = json!({"type": "object", "additionalProperties": false, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "team": {"type": ["string", "null"], "maxLength": 200},
        "models": {"type": ["array", "null"], "maxItems": 1000, "items": {"type": "string", "minLength": 1},
                   "description": "Allowed model ids as sent; an entry ending in * allows a prefix. Null: all."},
        "rpm": {"type": ["integer", "null"], "minimum": 1},
        "tpm": {"type": ["integer", "null"], "minimum": 1, "description": "Tokens per minute, reserved from the request's maximum and settled to its usage."},
        "max_parallel": {"type": ["integer", "null"], "minimum": 1},
        "budget_usd": {"type": ["number", "null"], "minimum": 0, "description": "Spend per budget_period; past it, 429 insufficient_quota."},
        "budget_period": {"enum": ["day", "week", "month", null]},
        "expires_at": {"type": ["integer", "null"], "description": "Unix seconds, in the future"},
        "metadata": {"type": ["object", "null"]}}});
    let mut create_fields = fields.clone();
    create_fields["required"] = json!(["name"]);
    let answers = |ok: &str, with_secret: bool| {
        let schema = if with_secret {
            json!({"allOf": [key.clone(), {"type": "object", "required": ["key"], "properties": {"key": {"type": "string", "description": "The secret, shown this once"}}}]})
        } else {
            key.clone()
        };
        let mut responses = json!({"200": {"description": ok, "content": {"application/json": {"schema": schema}}}});
        for status in ["400", "401", "403", "404", "503"] {
            responses[status] = error.clone();
        }
        responses
    };
    let security = json!([{"bearer": []}, {"apiKey": []}]);
    let body = |schema: &Value| json!({"required": true, "content": {"application/json": {"schema": schema}}});
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    document["components"]["schemas"]["GatewayKey"] = json!({"type": "object",
        "required": ["id", "object", "name", "status", "key_hint", "created_at", "updated_at"],
        "properties": {"id": {"type": "string"}, "object": {"const": "gateway.key"},
                       "status": {"enum": ["active", "revoked", "expired"]}, "key_hint": {"type": "string"},
                       "created_at": {"type": "integer"}, "updated_at": {"type": "integer"},
                       "revoked_at": {"type": ["integer", "null"]}},
        "additionalProperties": true});
    let mut list = answers("Every key, oldest first", false);
    list["200"]["content"]["application/json"]["schema"] =
        json!({"type": "object", "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": key}}});
    document["paths"]["/obs/keys"] = json!({
        "post": {"summary": "Create a managed key (admin key)", "security": security, "requestBody": body(&create_fields),
                 "responses": answers("The key, with its secret", true)},
        "get": {"summary": "List managed keys (admin key)", "security": security, "responses": list}});
    document["paths"]["/obs/keys/{id}"] = json!({
        "get": {"summary": "Read a managed key (admin key)", "security": security, "parameters": id, "responses": answers("The key", false)},
        "patch": {"summary": "Change a managed key's fields; null clears one (admin key)", "security": security, "parameters": id,
                  "requestBody": body(&fields), "responses": answers("The key", false)},
        "delete": {"summary": "Revoke a managed key (admin key)", "security": security, "parameters": id, "responses": answers("The revoked key", false)}});
    document["paths"]["/obs/keys/{id}/rotate"] = json!({
        "post": {"summary": "Replace a managed key's secret (admin key)", "security": security, "parameters": id,
                 "responses": answers("The key, with its new secret", true)}});
}
