"""POST /v1/responses and POST /v1/embeddings through the official OpenAI SDK.

Responses (docs/reference/responses.md): responses.create plain and streamed on the OpenAI, Claude and Converse
paths (the stream helper's final response equals the non-streamed one, ids aside), a two-turn function-call loop
sent statelessly (the earlier items in `input`) and statefully (previous_response_id; retrieve, input_items, delete),
the loop again with Claude thinking on, stateless (store=false; the signed thinking carried in reasoning items'
encrypted_content, an altered one refused) and stateful (previous_response_id), structured output through
`text.format`, and the 400/404s for an unknown item type, a tool output naming no call, and an unknown
previous_response_id.

Embeddings (docs/reference/embeddings.md): float and base64 on every
provider (OpenAI passthrough, Titan Text Embeddings v2, Cohere Embed), `dimensions`, a batch over Cohere's limit of
96, obs's `input_type`, and the 400s the SDK raises for a model of the wrong kind.

Usage: responses_embeddings.py BASE_URL   (an obs-server in --demo mode)
"""
import base64
import json
import math
import sys

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
passed = 0

MODELS = [
    ("text-embedding-3-small", 1536, 64),
    ("amazon.titan-embed-text-v2:0", 1024, 256),
    ("cohere.embed-english-v3", 1024, None),
    ("cohere.embed-v4:0", 1536, 512),
]

for model, native, dimensions in MODELS:
    texts = ["hello obs", "a second text", "hello obs"]
    floats = client.embeddings.create(model=model, input=texts, encoding_format="float")
    assert floats.object == "list" and floats.model == model, floats
    assert [d.index for d in floats.data] == [0, 1, 2], floats.data
    vectors = [d.embedding for d in floats.data]
    assert all(len(v) == native for v in vectors), (model, [len(v) for v in vectors])
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1], "deterministic per text"
    assert abs(math.sqrt(sum(x * x for x in vectors[0])) - 1) < 1e-3, "unit length"
    assert floats.usage.prompt_tokens > 0 and floats.usage.total_tokens == floats.usage.prompt_tokens, floats.usage
    # The SDK asks for base64 by default and decodes it: the same vectors (f32 precision).
    decoded = client.embeddings.create(model=model, input=texts)
    for a, b in zip(vectors, (d.embedding for d in decoded.data)):
        assert max(abs(x - y) for x, y in zip(a, b)) < 1e-6, model
    if dimensions:
        short = client.embeddings.create(model=model, input="hello obs", dimensions=dimensions)
        assert len(short.data[0].embedding) == dimensions, (model, len(short.data[0].embedding))
    passed += 1

# Over Cohere's 96 texts a call: obs batches, and the answer keeps input order.
many = [f"text number {i}" for i in range(200)]
batched = client.embeddings.create(model="cohere.embed-english-v3", input=many, encoding_format="float",
                                   extra_body={"input_type": "search_query"})
assert [d.index for d in batched.data] == list(range(200)), "input order"
one = client.embeddings.create(model="cohere.embed-english-v3", input=many[150], encoding_format="float",
                               extra_body={"input_type": "search_query"})
assert batched.data[150].embedding == one.data[0].embedding, "text 150 embeds the same alone and in a batch"
passed += 1

for model, param in [("gpt-4o", "model"), ("anthropic.claude-3-haiku-20240307-v1:0", "model")]:
    try:
        client.embeddings.create(model=model, input="x")
        raise AssertionError(f"{model} must be refused")
    except openai.BadRequestError as error:
        assert error.body["code"] == "invalid_value" and error.body["param"] == param, error.body
try:
    client.chat.completions.create(model="amazon.titan-embed-text-v2:0", messages=[{"role": "user", "content": "hi"}])
    raise AssertionError("an embedding model must not chat")
except openai.BadRequestError as error:
    assert error.body["code"] == "invalid_value" and error.body["param"] == "model", error.body
try:
    client.embeddings.create(model="amazon.titan-embed-text-v2:0", input="x", dimensions=300)
    raise AssertionError("Titan takes 256, 512 or 1024 dimensions")
except openai.BadRequestError as error:
    assert error.body["param"] == "dimensions", error.body
passed += 1

listed = {m.id for m in client.models.list()}
assert {"text-embedding-3-small", "amazon.titan-embed-text-v2:0", "cohere.embed-english-v3"} <= listed, listed
passed += 1

PATHS = ["gpt-4o", "anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"]


def comparable(response):
    """A response without what differs between two answers to the same request (ids, timestamps)."""
    data = response.model_dump(exclude_none=True)
    data.pop("id"), data.pop("created_at")
    for item in data["output"]:
        item.pop("id", None)
    return data


for model in PATHS:
    whole = client.responses.create(model=model, input="hello obs", instructions="Be brief.", max_output_tokens=200)
    assert whole.status == "completed" and whole.object == "response", whole
    assert whole.output_text == "You said: hello obs", (model, whole.output_text)
    assert whole.usage.input_tokens > 0 and whole.usage.output_tokens > 0, whole.usage
    kinds = []
    with client.responses.stream(model=model, input="hello obs", instructions="Be brief.",
                                 max_output_tokens=200) as stream:
        for event in stream:
            kinds.append(event.type)
        final = stream.get_final_response()
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed", kinds
    assert comparable(final) == comparable(whole), (model, comparable(final), comparable(whole))
    passed += 1

weather = {"type": "function", "name": "get_weather", "description": "Weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
for model in PATHS:
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.responses.create(model=model, input=ask, tools=[weather], tool_choice="required")
    calls = [item for item in first.output if item.type == "function_call"]
    assert calls and calls[0].name == "get_weather", first.output
    turn = ask + [item.model_dump(exclude_none=True) for item in first.output]
    turn.append({"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny, 21 C"})
    second = client.responses.create(model=model, input=turn, tools=[weather])
    assert "sunny, 21 C" in second.output_text, (model, second.output_text)
    passed += 1

# Stateful: the same loop with previous_response_id, then retrieve, input_items and delete.
for model in PATHS:
    first = client.responses.create(model=model, input="What is the weather in Paris?", tools=[weather],
                                    tool_choice="required")
    call = next(item for item in first.output if item.type == "function_call")
    second = client.responses.create(model=model, previous_response_id=first.id, tools=[weather],
                                     input=[{"type": "function_call_output", "call_id": call.call_id,
                                             "output": "sunny, 21 C"}])
    assert "sunny, 21 C" in second.output_text and second.previous_response_id == first.id, second
    assert comparable(client.responses.retrieve(second.id)) == comparable(second)
    items = client.responses.input_items.list(second.id)
    assert [item.type for item in items.data] == ["function_call_output"], items
    client.responses.delete(first.id)
    try:
        client.responses.retrieve(first.id)
        raise AssertionError("a deleted response must be gone")
    except openai.NotFoundError:
        pass
    passed += 1

# Stateless with Claude thinking on: store=false, and the signed thinking comes back in reasoning items'
# encrypted_content (include=["reasoning.encrypted_content"]), which the next turn carries in `input`.
CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
thinking = dict(model=CLAUDE, tools=[weather], reasoning={"effort": "low"}, max_output_tokens=4096,
                include=["reasoning.encrypted_content"], store=False)
ask = [{"role": "user", "content": "What is the weather in Paris?"}]
first = client.responses.create(input=ask, **thinking)
assert first.store is False, first
reasoning = [item for item in first.output if item.type == "reasoning"]
calls = [item for item in first.output if item.type == "function_call"]
assert [item.type for item in first.output][0] == "reasoning" and calls, first.output
assert reasoning[0].encrypted_content and reasoning[0].encrypted_content.startswith("obs1."), reasoning
try:
    client.responses.retrieve(first.id)
    raise AssertionError("store=false keeps nothing")
except openai.NotFoundError:
    pass
turn = ask + [item.model_dump(exclude_none=True) for item in first.output]
turn.append({"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny, 21 C"})


def encrypted_of(item):
    return item["encrypted_content"][len("obs1."):]


second = client.responses.create(input=turn, **thinking)
assert second.status == "completed" and "sunny, 21 C" in second.output_text, second
assert second.output[0].type == "reasoning" and second.output[0].encrypted_content.startswith("obs1."), second.output
# The thinking block is signed: one whose text was changed is refused by Bedrock, as obs passes it on.
blocks = json.loads(base64.urlsafe_b64decode(encrypted_of(turn[1]) + "=" * (-len(encrypted_of(turn[1])) % 4)))
assert blocks["claude"][0]["type"] == "thinking" and blocks["claude"][0]["signature"], blocks
blocks["claude"][0]["thinking"] += " (edited)"
altered = [dict(item) for item in turn]
altered[1]["encrypted_content"] = "obs1." + base64.urlsafe_b64encode(json.dumps(blocks).encode()).decode().rstrip("=")
try:
    client.responses.create(input=altered, **thinking)
    raise AssertionError("an altered thinking block must be refused")
except openai.BadRequestError as error:
    assert error.status_code == 400, error
passed += 1

# Stateful with Claude thinking on: previous_response_id alone carries the signed thinking to the tool turn.
first = client.responses.create(model=CLAUDE, input="What is the weather in Paris?", tools=[weather],
                                reasoning={"effort": "low"}, max_output_tokens=4096)
assert [item.type for item in first.output] == ["reasoning", "function_call"], first.output
call = first.output[1]
second = client.responses.create(model=CLAUDE, previous_response_id=first.id, tools=[weather],
                                 reasoning={"effort": "low"}, max_output_tokens=4096,
                                 input=[{"type": "function_call_output", "call_id": call.call_id,
                                         "output": "sunny, 21 C"}])
assert second.status == "completed" and "sunny, 21 C" in second.output_text, second
assert [item.type for item in second.output] == ["reasoning", "message"], second.output
passed += 1

schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
          "required": ["city", "days"], "additionalProperties": False}
for model in ["gpt-4o", "amazon.nova-lite-v1:0"]:
    structured = client.responses.create(
        model=model, input="Plan a trip",
        text={"format": {"type": "json_schema", "name": "trip", "schema": schema, "strict": True}})
    parsed = json.loads(structured.output_text)
    assert set(parsed) == {"city", "days"} and isinstance(parsed["days"], int), (model, parsed)
    passed += 1

for bad, status, param in [
    ({"input": [{"type": "web_search_call", "id": "ws_1"}]}, 400, "input[0].type"),
    ({"input": [{"type": "function_call_output", "call_id": "call_nope", "output": "x"}]}, 400, "input"),
    ({"input": "hi", "previous_response_id": "resp_unknown"}, 404, "previous_response_id"),
]:
    try:
        client.responses.create(model="gpt-4o", **bad)
        raise AssertionError(f"{bad} must be refused")
    except openai.APIStatusError as error:
        assert error.status_code == status and error.body["param"] == param, (bad, error.status_code, error.body)
passed += 1

print(f"responses_embeddings.py: {passed} checks passed")
