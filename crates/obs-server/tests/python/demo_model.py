"""Demo mode answers like a model, through the official OpenAI SDK and obs's real routing, for an OpenAI model, a
Bedrock Claude model (InvokeModel) and a Converse model: tool calls whose arguments validate against the tool's
schema (streamed ones accumulate to the same arguments), a forced tool is the one called, tool_choice "none" gets
text, a tool result is answered with text that quotes it, response_format json_schema gets JSON that validates, and
ids and timestamps look like the real APIs'.

Usage: demo_model.py BASE_URL   (an obs-server in --demo mode)
"""
import json
import re
import sys
import time

import jsonschema
import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
passed = 0

# model id -> (the x-obs-target obs routes it to, the shape of the tool-call ids its upstream mints)
MODELS = {
    "gpt-4o": ("openai/gpt-4o", r"call_[A-Za-z0-9]{24}"),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": ("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", r"toolu_bdrk_01[A-Za-z0-9]{22}"),
    "amazon.nova-pro-v1:0": ("bedrock/amazon.nova-pro-v1:0", r"tooluse_[A-Za-z0-9]{22}"),
}
FORECAST = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "The city"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 5},
        "date": {"type": "string", "format": "date"},
        "include_hourly": {"type": "boolean"},
        "coords": {"$ref": "#/$defs/coords"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
        "mode": {"anyOf": [{"type": "string", "enum": ["fast", "slow"]}, {"type": "null"}]},
    },
    "required": ["city", "unit", "days", "coords"],
    "additionalProperties": False,
    "$defs": {"coords": {"type": "object", "required": ["lat", "lon"], "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90}, "lon": {"type": "number", "minimum": -180, "maximum": 180}}}},
}
TIME = {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}
TOOLS = [
    {"type": "function", "function": {"name": "get_forecast", "description": "Weather forecast for a city", "parameters": FORECAST}},
    {"type": "function", "function": {"name": "get_time", "description": "Local time in a timezone", "parameters": TIME}},
]
ASK = [{"role": "user", "content": "What will the weather be in Tokyo?"}]


def check(condition, what):
    global passed
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    passed += 1


def valid(instance, schema):
    try:
        jsonschema.validate(instance, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        return True
    except jsonschema.ValidationError as error:
        print(f"  invalid: {error.message}", file=sys.stderr)
        return False


def streamed_calls(**kwargs):
    """The tool calls a stream accumulates to: {index: [id, name, arguments]}, and the finish reason."""
    calls, finish = {}, None
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, ["", "", ""])
                entry[0] += call.id or ""
                entry[1] += (call.function.name or "") if call.function else ""
                entry[2] += (call.function.arguments or "") if call.function else ""
            finish = choice.finish_reason or finish
    return calls, finish


for model, (target, tool_id) in MODELS.items():
    # Tools with a schema: one call, to the tool the question is about, with arguments valid against its schema.
    raw = client.chat.completions.with_raw_response.create(model=model, messages=ASK, tools=TOOLS)
    check(raw.headers.get("x-obs-target") == target, f"{model} routed to {raw.headers.get('x-obs-target')}")
    reply = raw.parse()
    choice = reply.choices[0]
    check(choice.finish_reason == "tool_calls" and len(choice.message.tool_calls or []) == 1, f"{model} one tool call: {choice}")
    call = choice.message.tool_calls[0]
    check(call.function.name == "get_forecast", f"{model} calls the forecast tool: {call.function.name}")
    arguments = json.loads(call.function.arguments)
    check(valid(arguments, FORECAST), f"{model} arguments {arguments} validate against the schema")
    check(arguments["city"] == "Tokyo" and arguments["unit"] == "celsius", f"{model} arguments from the prompt and the enum: {arguments}")
    check(re.fullmatch(tool_id, call.id or "") is not None, f"{model} tool call id {call.id!r} ~ {tool_id}")

    # The same request streamed accumulates to the same call.
    calls, finish = streamed_calls(model=model, messages=ASK, tools=TOOLS)
    check(finish == "tool_calls" and sorted(calls) == [0], f"{model} stream: {calls} {finish}")
    check(calls[0][1] == "get_forecast" and json.loads(calls[0][2]) == arguments, f"{model} streamed arguments {calls[0]}")
    check(re.fullmatch(tool_id, calls[0][0]) is not None, f"{model} streamed tool call id {calls[0][0]!r}")

    # A forced tool is the one called, even when the question is about another.
    forced = client.chat.completions.create(model=model, messages=ASK, tools=TOOLS,
                                            tool_choice={"type": "function", "function": {"name": "get_time"}})
    forced_call = (forced.choices[0].message.tool_calls or [None])[0]
    check(forced_call is not None and forced_call.function.name == "get_time", f"{model} forced tool: {forced.choices[0]}")
    check(valid(json.loads(forced_call.function.arguments), TIME), f"{model} forced tool arguments")

    # tool_choice "none": text, no call.
    none = client.chat.completions.create(model=model, messages=ASK, tools=TOOLS, tool_choice="none")
    check(not none.choices[0].message.tool_calls and none.choices[0].finish_reason == "stop", f"{model} none: {none.choices[0]}")
    check(none.choices[0].message.content == "You said: What will the weather be in Tokyo?", f"{model} none text")

    # A tool result as the last turn: text that uses it.
    follow_up = ASK + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": "get_forecast", "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 24C, light wind"},
    ]
    answer = client.chat.completions.create(model=model, messages=follow_up, tools=TOOLS)
    content = answer.choices[0].message.content or ""
    check("Sunny, 24C, light wind" in content and not answer.choices[0].message.tool_calls, f"{model} tool result answer: {content!r}")

    # Ids and timestamps: chatcmpl- + 29, different on every request (no counter), created now.
    second = client.chat.completions.create(model=model, messages=ASK, tools=TOOLS)
    for one in (reply, second):
        check(re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", one.id) is not None, f"{model} id {one.id!r}")
        check(abs(one.created - time.time()) < 60, f"{model} created {one.created} is not now")
    shared = next((i for i, (a, b) in enumerate(zip(reply.id, second.id)) if a != b), len(reply.id))
    check(shared < len("chatcmpl-") + 4, f"{model} ids {reply.id} and {second.id} look like a counter")
    check(call.id != second.choices[0].message.tool_calls[0].id, f"{model} tool call ids repeat")

# OpenAI only: the fingerprint, and structured output from the emulator's own response_format (the Bedrock paths'
# structured output, a forced tool or outputConfig, is structured_output.py's).
fingerprint = client.chat.completions.create(model="gpt-4o", messages=ASK).system_fingerprint or ""
check(re.fullmatch(r"fp_[0-9a-f]{10}", fingerprint) is not None, f"system_fingerprint {fingerprint!r}")
CITY = {"type": "object", "additionalProperties": False, "required": ["city", "population", "landmarks", "founded"],
        "properties": {"city": {"type": "string"}, "population": {"type": "integer", "minimum": 1000},
                       "landmarks": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
                       "founded": {"type": "string", "format": "date"}, "capital": {"type": "boolean"}}}
structured = client.chat.completions.create(
    model="gpt-4o", messages=[{"role": "user", "content": "Describe Lisbon"}],
    response_format={"type": "json_schema", "json_schema": {"name": "city", "strict": True, "schema": CITY}})
document = json.loads(structured.choices[0].message.content)
check(valid(document, CITY), f"structured output {document} validates")
check(document["city"] == "Lisbon", f"structured output from the prompt: {document}")
streamed = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
    model="gpt-4o", messages=[{"role": "user", "content": "Describe Lisbon"}], stream=True,
    response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": CITY}}) if chunk.choices)
check(json.loads(streamed) == document, f"streamed structured output {streamed!r}")
plain = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Reply in JSON"}],
                                       response_format={"type": "json_object"})
check(isinstance(json.loads(plain.choices[0].message.content), dict), "json_object gives a JSON object")

print(f"demo model: {passed} passed, 0 failed")
