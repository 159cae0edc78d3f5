//! The emulator answers like a model, on the wire (real HTTP against a running mock, every API it speaks): tool
//! calls whose arguments are built from the tool's schema, `tool_choice` honoured, tool results answered with text
//! that quotes them, structured output that follows the schema, ids and timestamps shaped like the real APIs'.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{masked, masked_id};
use obs_mock::{MockConfig, MockHandle, spawn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const NOVA: &str = "amazon.nova-pro-v1:0";

async fn openai(mock: &MockHandle, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/chat/completions", mock.openai_base_url()))
        .bearer_auth("test-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A Bedrock runtime call; the mock wants a SigV4-shaped header and does not check the signature.
async fn bedrock(mock: &MockHandle, model: &str, operation: &str, body: Value) -> Value {
    let model: String = percent_encoding::utf8_percent_encode(model, percent_encoding::NON_ALPHANUMERIC).collect();
    let response = reqwest::Client::new()
        .post(format!("{}/model/{model}/{operation}", mock.base_url()))
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/bedrock/aws4_request")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn claude_body(messages: Value, extra: Value) -> Value {
    let mut body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":500,"messages":messages});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

/// Every keyword the generator honours, once.
fn rich_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "The city"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "date": {"type": "string", "format": "date"},
            "when": {"type": "string", "format": "date-time"},
            "contact": {"type": "string", "format": "email"},
            "source": {"type": "string", "format": "uri"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "threshold": {"type": "number", "exclusiveMinimum": 10, "maximum": 20},
            "step": {"type": "integer", "minimum": 0, "multipleOf": 5},
            "code": {"type": "string", "minLength": 12, "maxLength": 12},
            "metric": {"type": "boolean"},
            "cities": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "coordinates": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                "required": ["lat", "lon"]},
            "radius": {"anyOf": [{"type": "null"}, {"type": "integer", "maximum": 50}]},
            "mode": {"oneOf": [{"const": "fast"}, {"const": "slow"}]},
            "address": {"$ref": "#/$defs/address"},
            "owner": {"$ref": "#/definitions/person"},
            "version": {"const": 2}
        },
        "required": ["location", "unit", "extra"],
        "$defs": {"address": {"type": "object", "properties": {"street": {"type": "string"}, "country": {"type": "string"}},
            "required": ["country"]}},
        "definitions": {"person": {"type": "object", "properties": {"name": {"type": "string"},
            "age": {"type": "integer", "minimum": 18}}}}
    })
}

/// What the generator builds from [`rich_schema`] for "What is the weather in Berlin?".
fn rich_arguments() -> Value {
    json!({
        "location": "Berlin", "unit": "celsius", "date": "2025-06-01", "when": "2025-06-01T09:30:00Z",
        "contact": "alex@example.com", "source": "https://example.com/1", "days": 3, "threshold": 15.25, "step": 5,
        "code": "examplexxxxx", "metric": true, "cities": ["Berlin", "Paris"],
        "coordinates": {"lat": 52.52, "lon": 13.405}, "radius": 1, "mode": "fast",
        "address": {"street": "example", "country": "Germany"}, "owner": {"name": "Alex Morgan", "age": 30},
        "version": 2, "extra": "example"
    })
}

const BERLIN: &str = "What is the weather in Berlin?";

#[tokio::test]
async fn arguments_are_built_from_the_schema_on_every_api() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let tools = json!([{"type":"function","function":{"name":"get_weather","description":"Weather of a city",
        "parameters":rich_schema()}}]);
    let body =
        openai(&mock, json!({"model":"gpt-4o","messages":[{"role":"user","content":BERLIN}],"tools":tools})).await;
    assert_eq!(
        masked(body["choices"][0].clone()),
        json!({"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[],
            "tool_calls":[{"id":"call_ID","type":"function","function":{"name":"get_weather",
                "arguments":rich_arguments().to_string()}}]},
            "logprobs":null,"finish_reason":"tool_calls"})
    );

    let claude = bedrock(
        &mock,
        CLAUDE,
        "invoke",
        claude_body(
            json!([{"role":"user","content":BERLIN}]),
            json!({"tools":[{"name":"get_weather","description":"Weather of a city","input_schema":rich_schema()}]}),
        ),
    )
    .await;
    assert_eq!(
        masked(claude.clone()),
        json!({"id":"msg_bdrk_01ID","type":"message","role":"assistant","model":CLAUDE,
            "content":[{"type":"tool_use","id":"toolu_bdrk_01ID","name":"get_weather","input":rich_arguments()}],
            "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":6,"output_tokens":117}})
    );

    let converse = bedrock(
        &mock,
        NOVA,
        "converse",
        json!({"messages":[{"role":"user","content":[{"text":BERLIN}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":rich_schema()}}}]}}),
    )
    .await;
    assert_eq!(
        masked(converse),
        json!({"output":{"message":{"role":"assistant","content":[
                {"toolUse":{"toolUseId":"tooluse_ID","name":"get_weather","input":rich_arguments()}}]}},
            "stopReason":"tool_use","usage":{"inputTokens":6,"outputTokens":117,"totalTokens":123},"metrics":{"latencyMs":12}})
    );
}

#[tokio::test]
async fn streamed_arguments_accumulate_to_the_whole_arguments() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let tools = json!([{"type":"function","function":{"name":"get_weather","parameters":rich_schema()}}]);
    let text = reqwest::Client::new()
        .post(format!("{}/chat/completions", mock.openai_base_url()))
        .bearer_auth("k")
        .json(&json!({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":BERLIN}],"tools":tools}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut arguments = String::new();
    let mut fragments = 0;
    for data in text.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).filter(|d| d.starts_with('{')) {
        let chunk: Value = serde_json::from_str(data).unwrap();
        for call in chunk["choices"][0]["delta"]["tool_calls"].as_array().into_iter().flatten() {
            arguments += call["function"]["arguments"].as_str().unwrap_or("");
            fragments += 1;
        }
    }
    assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), rich_arguments());
    assert!(fragments > 10, "{fragments} fragments");
}

#[tokio::test]
async fn recursive_and_parameterless_schemas_end() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let tree = json!({"$ref":"#/$defs/node","$defs":{"node":{"type":"object","required":["name"],
        "properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}});
    let tools = json!([{"type":"function","function":{"name":"plant","parameters":tree}},
        {"type":"function","function":{"name":"ping"}}]);
    let body = openai(
        &mock,
        json!({"model":"gpt-4o","tool_choice":"required","tools":tools,
        "messages":[{"role":"user","content":"plant a tree"}]}),
    )
    .await;
    let arguments: Value =
        serde_json::from_str(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"].as_str().unwrap())
            .unwrap();
    // Children while the nesting is shallow, then only what is required.
    let leaf = json!({"name":"Alex Morgan"});
    assert_eq!(arguments, json!({"name":"Alex Morgan","children":[{"name":"Alex Morgan","children":[leaf]}]}));

    let body = openai(
        &mock,
        json!({"model":"gpt-4o","tools":tools,"tool_choice":{"type":"function","function":{"name":"ping"}},
        "messages":[{"role":"user","content":"plant a tree"}]}),
    )
    .await;
    assert_eq!(body["choices"][0]["message"]["tool_calls"][0]["function"], json!({"name":"ping","arguments":"{}"}));
}

fn two_tools_openai() -> Value {
    json!([
        {"type":"function","function":{"name":"get_weather","description":"Current weather of a city",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
        {"type":"function","function":{"name":"get_time","description":"Local time in a timezone",
            "parameters":{"type":"object","properties":{"timezone":{"type":"string"}},"required":["timezone"]}}}
    ])
}

fn call_of(body: &Value) -> Value {
    let call = &body["choices"][0]["message"]["tool_calls"][0]["function"];
    json!([call["name"], serde_json::from_str::<Value>(call["arguments"].as_str().unwrap()).unwrap()])
}

#[tokio::test]
async fn tool_choice_is_honoured_on_openai() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let ask = |choice: Value, text: &str| {
        let mut body = json!({"model":"gpt-4o","tools":two_tools_openai(),"messages":[{"role":"user","content":text}]});
        if !choice.is_null() {
            body["tool_choice"] = choice;
        }
        body
    };
    // auto: the tool whose words the question shares.
    let auto = openai(&mock, ask(Value::Null, "What is the local time in Tokyo?")).await;
    assert_eq!(call_of(&auto), json!(["get_time", {"timezone":"Asia/Tokyo"}]));
    let auto = openai(&mock, ask(json!("auto"), "Weather in Rome?")).await;
    assert_eq!(call_of(&auto), json!(["get_weather", {"city":"Rome"}]));
    // A named tool, even against the question's words.
    let named =
        openai(&mock, ask(json!({"type":"function","function":{"name":"get_weather"}}), "What time is it?")).await;
    assert_eq!(call_of(&named), json!(["get_weather", {"city":"Paris"}]));
    assert_eq!(named["choices"][0]["finish_reason"], "tool_calls");
    let required = openai(&mock, ask(json!("required"), "hello")).await;
    assert_eq!(call_of(&required), json!(["get_weather", {"city":"Paris"}]));
    // none: text, even for a tool scenario word.
    for model in ["gpt-4o", "gpt-4o-tool"] {
        let mut body = ask(json!("none"), "hello");
        body["model"] = json!(model);
        let none = openai(&mock, body).await;
        assert_eq!(none["choices"][0]["message"]["content"], "You said: hello", "{model}");
        assert_eq!(none["choices"][0]["message"].get("tool_calls"), None, "{model}");
        assert_eq!(none["choices"][0]["finish_reason"], "stop", "{model}");
    }
}

#[tokio::test]
async fn tool_choice_is_honoured_on_claude_and_converse() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let tools = json!([
        {"name":"get_weather","description":"Current weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
        {"name":"get_time","description":"Local time in a timezone","input_schema":{"type":"object","properties":{"timezone":{"type":"string"}}}}
    ]);
    let user = json!([{"role":"user","content":"hello"}]);
    let claude = |choice: Value| claude_body(user.clone(), json!({"tools":tools,"tool_choice":choice}));
    let content = |answer: &Value| masked(answer["content"].clone());
    let named = bedrock(&mock, CLAUDE, "invoke", claude(json!({"type":"tool","name":"get_time"}))).await;
    assert_eq!(
        content(&named),
        json!([{"type":"tool_use","id":"toolu_bdrk_01ID","name":"get_time","input":{"timezone":"Europe/Paris"}}])
    );
    let any = bedrock(&mock, CLAUDE, "invoke", claude(json!({"type":"any"}))).await;
    assert_eq!(any["content"][0]["name"], "get_weather");
    let none = bedrock(&mock, CLAUDE, "invoke", claude(json!({"type":"none"}))).await;
    assert_eq!(content(&none), json!([{"type":"text","text":"You said: hello"}]));
    assert_eq!(none["stop_reason"], "end_turn");

    let converse_tools: Vec<Value> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!({"toolSpec":{"name":t["name"],"description":t["description"],"inputSchema":{"json":t["input_schema"]}}}))
        .collect();
    let converse = |choice: Value| {
        json!({"messages":[{"role":"user","content":[{"text":"weather please"}]}],
            "toolConfig":{"tools":converse_tools,"toolChoice":choice}})
    };
    let named = bedrock(&mock, NOVA, "converse", converse(json!({"tool":{"name":"get_time"}}))).await;
    assert_eq!(
        masked(named["output"]["message"]["content"].clone()),
        json!([{"toolUse":{"toolUseId":"tooluse_ID","name":"get_time","input":{"timezone":"Europe/Paris"}}}])
    );
    let auto = bedrock(&mock, NOVA, "converse", converse(json!({"auto":{}}))).await;
    assert_eq!(auto["output"]["message"]["content"][0]["toolUse"]["name"], "get_weather");
    assert_eq!(auto["stopReason"], "tool_use");
}

#[tokio::test]
async fn a_tool_result_is_answered_with_text_that_quotes_it() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let body = openai(
        &mock,
        json!({"model":"gpt-4o","tools":two_tools_openai(),"messages":[
        {"role":"user","content":"Weather in Paris and Tokyo?"},
        {"role":"assistant","content":null,"tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
            {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"18C, cloudy"},
        {"role":"tool","tool_call_id":"call_2","content":"25C, sunny"}]}),
    )
    .await;
    assert_eq!(body["choices"][0]["message"]["content"], "The tools returned: 18C, cloudy; 25C, sunny");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");

    let claude = bedrock(
        &mock,
        CLAUDE,
        "invoke",
        claude_body(
            json!([{"role":"user","content":"Weather in Paris?"},
                {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18C, cloudy"}]}]}]),
            json!({"tools":[{"name":"get_weather","input_schema":{"type":"object"}}]}),
        ),
    )
    .await;
    assert_eq!(claude["content"], json!([{"type":"text","text":"The tool returned: 18C, cloudy"}]));

    let converse = bedrock(
        &mock,
        NOVA,
        "converse",
        json!({"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]},
            {"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]},
            {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_1","content":[{"json":{"temperature":18}}]}}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}),
    )
    .await;
    assert_eq!(converse["output"]["message"]["content"], json!([{"text":"The tool returned: {\"temperature\":18}"}]));
    assert_eq!(converse["stopReason"], "end_turn");
}

#[tokio::test]
async fn structured_output_follows_the_schema() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let schema = json!({"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer","minimum":0},
        "landmarks":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":3}},
        "required":["city","population","landmarks"],"additionalProperties":false});
    let request = json!({"model":"gpt-4o","messages":[{"role":"user","content":"Tell me about Lisbon"}],
        "response_format":{"type":"json_schema","json_schema":{"name":"city","strict":true,"schema":schema}}});
    let body = openai(&mock, request.clone()).await;
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(content, r#"{"city":"Lisbon","population":1,"landmarks":["example"]}"#);
    assert_eq!(body["choices"][0]["finish_reason"], "stop");

    let mut streamed = request;
    streamed["stream"] = json!(true);
    let text = reqwest::Client::new()
        .post(format!("{}/chat/completions", mock.openai_base_url()))
        .bearer_auth("k")
        .json(&streamed)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pieces: Vec<String> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: ").filter(|d| d.starts_with('{')))
        .filter_map(|d| {
            serde_json::from_str::<Value>(d).unwrap()["choices"][0]["delta"]["content"].as_str().map(str::to_owned)
        })
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(pieces, [r#"{"city":"#, r#""Lisbon","#, r#""population":"#, "1,", r#""landmarks":"#, r#"["example"]}"#]);

    let object = openai(
        &mock,
        json!({"model":"gpt-4o","messages":[{"role":"user","content":"Reply in JSON"}],
        "response_format":{"type":"json_object"}}),
    )
    .await;
    assert_eq!(object["choices"][0]["message"]["content"], r#"{"answer":"You said: Reply in JSON"}"#);
}

#[tokio::test]
async fn ids_and_timestamps_look_like_the_real_apis() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let ask = json!({"model":"gpt-4o-tools2","messages":[{"role":"user","content":"hi"}]});
    let first = openai(&mock, ask.clone()).await;
    let second = openai(&mock, ask).await;
    let id = |body: &Value| body["id"].as_str().unwrap().to_owned();
    assert_eq!((masked_id(&id(&first)), masked_id(&id(&second))), ("chatcmpl-ID".to_owned(), "chatcmpl-ID".to_owned()));
    // Not counting up: the two ids share no long prefix.
    let common = id(&first).chars().zip(id(&second).chars()).take_while(|(a, b)| a == b).count();
    assert!(common < "chatcmpl-".len() + 4, "{} / {}", id(&first), id(&second));
    masked(first.clone()); // checks `created` is now
    let fingerprint = first["system_fingerprint"].as_str().unwrap();
    assert!(
        fingerprint.len() == 13
            && fingerprint.starts_with("fp_")
            && fingerprint[3..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{fingerprint}"
    );
    let calls: Vec<&str> = first["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(calls.iter().map(|c| masked_id(c)).collect::<Vec<_>>(), ["call_ID", "call_ID"]);
    assert_ne!(calls[0], calls[1]);

    let claude = bedrock(
        &mock,
        "anthropic.claude-tools2",
        "invoke",
        claude_body(json!([{"role":"user","content":"hi"}]), json!({})),
    )
    .await;
    assert_eq!(masked_id(claude["id"].as_str().unwrap()), "msg_bdrk_01ID");
    assert_eq!(masked_id(claude["content"][1]["id"].as_str().unwrap()), "toolu_bdrk_01ID");
    assert_ne!(claude["content"][1]["id"], claude["content"][2]["id"]);
}

#[tokio::test]
async fn a_fixed_seed_makes_ids_reproducible() {
    let ids = |seed: u64| async move {
        let mock = spawn(MockConfig { id_seed: Some(seed), ..MockConfig::default() }).await.unwrap();
        let body = openai(&mock, json!({"model":"gpt-4o-tool","messages":[{"role":"user","content":"hi"}]})).await;
        (body["id"].clone(), body["choices"][0]["message"]["tool_calls"][0]["id"].clone())
    };
    assert_eq!(ids(7).await, ids(7).await);
    assert_ne!(ids(7).await, ids(8).await);
}
