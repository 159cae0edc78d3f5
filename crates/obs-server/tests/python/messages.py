"""The Anthropic Messages API (/v1/messages, /v1/messages/count_tokens) through the official anthropic SDK:
create; a stream whose accumulated final message equals the non-streamed one (Claude on Bedrock passed through,
an OpenAI-kind model and a Converse model converted); a two-turn tool loop with thinking on, whose signed thinking
block goes back and is accepted (an altered one is refused); count_tokens; and the SDK's error classes for
400/401/404/429/529.

Usage: messages.py BASE_URL KEY   (an obs-server in --demo mode whose gateway key is KEY)
"""
import sys

import anthropic

base, key = sys.argv[1], sys.argv[2]
client = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0)
passed = 0
ask = [{"role": "user", "content": "hello obs"}]

# create: Claude on Bedrock, by its Anthropic name.
raw = client.messages.with_raw_response.create(model="claude-sonnet-4-5", max_tokens=256, messages=ask)
message = raw.parse()
assert raw.headers.get("x-obs-target") == "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", raw.headers
assert raw.headers.get("request-id"), raw.headers
assert message.id.startswith("msg_") and message.type == "message" and message.role == "assistant", message
assert [block.type for block in message.content] == ["text"], message
assert message.content[0].text == "You said: hello obs", message
assert message.stop_reason == "end_turn" and message.usage.input_tokens > 0 and message.usage.output_tokens > 0
passed += 1


def without_ids(message):
    dumped = message.model_dump()
    dumped.pop("id")
    for block in dumped["content"]:
        if block.get("type") == "tool_use":
            block.pop("id")
    return dumped


# A stream accumulates to the message the same request gets whole, on each kind of target.
tools = [{"name": "get_weather", "description": "Weather for a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
for model in ["claude-sonnet-4-5", "us.anthropic.claude-3-haiku-20240307-v1:0", "gpt-4o", "us.amazon.nova-lite-v1:0"]:
    for extra in [{}, {"tools": tools}]:
        whole = client.messages.create(model=model, max_tokens=256, messages=ask, **extra)
        with client.messages.stream(model=model, max_tokens=256, messages=ask, **extra) as stream:
            final = stream.get_final_message()
        assert without_ids(final) == without_ids(whole), (model, extra, final, whole)
        assert final.id.startswith("msg_"), final.id
        if extra:
            assert whole.stop_reason == "tool_use", (model, whole)
            assert any(block.type == "tool_use" and block.input.get("city") for block in whole.content), whole
        passed += 1

# A two-turn tool loop with thinking on: the signed thinking block goes back with the tool result.
thinking = {"type": "enabled", "budget_tokens": 1024}
question = [{"role": "user", "content": "What is the weather in Paris?"}]
first = client.messages.create(model="claude-sonnet-4-5", max_tokens=2048, thinking=thinking, tools=tools,
                               messages=question)
assert [block.type for block in first.content][0] == "thinking", first
assert first.content[0].signature, first
assert first.stop_reason == "tool_use", first
call = next(block for block in first.content if block.type == "tool_use")
result = [{"type": "tool_result", "tool_use_id": call.id, "content": "18 degrees and sunny"}]
second_turn = question + [{"role": "assistant", "content": first.content}, {"role": "user", "content": result}]
with client.messages.stream(model="claude-sonnet-4-5", max_tokens=2048, thinking=thinking, tools=tools,
                            messages=second_turn) as stream:
    second = stream.get_final_message()
assert second.stop_reason == "end_turn", second
assert "18 degrees and sunny" in "".join(block.text for block in second.content if block.type == "text"), second
passed += 1
altered = first.model_dump()["content"]
altered[0]["thinking"] += " (edited)"
try:
    client.messages.create(model="claude-sonnet-4-5", max_tokens=2048, thinking=thinking, tools=tools,
                           messages=question + [{"role": "assistant", "content": altered},
                                                {"role": "user", "content": result}])
    raise AssertionError("an altered thinking block must be refused")
except anthropic.BadRequestError as error:
    assert "signature" in error.body["error"]["message"], error.body
passed += 1

# count_tokens: Claude counts, as its answer's usage does; a model without a counter is a 400 naming it.
count = client.messages.count_tokens(model="claude-sonnet-4-5", messages=ask)
assert count.input_tokens == message.usage.input_tokens, (count, message.usage)
try:
    client.messages.count_tokens(model="gpt-4o", messages=ask)
    raise AssertionError("gpt-4o has no token counter")
except anthropic.BadRequestError as error:
    assert "gpt-4o" in error.body["error"]["message"], error.body
passed += 2

# Errors: the SDK's classes, from Anthropic-shaped bodies.
overloaded = getattr(anthropic, "OverloadedError", anthropic.InternalServerError)
for make, expected in [
    (lambda: client.messages.create(model="claude-sonnet-4-5", max_tokens=0, messages=ask), anthropic.BadRequestError),
    (lambda: anthropic.Anthropic(base_url=base, api_key="wrong-key", max_retries=0).messages.create(
        model="claude-sonnet-4-5", max_tokens=16, messages=ask), anthropic.AuthenticationError),
    (lambda: client.messages.create(model="us.anthropic.claude-3-haiku-notfound", max_tokens=16, messages=ask),
     anthropic.NotFoundError),
    (lambda: client.messages.create(model="us.anthropic.claude-3-haiku-throttle", max_tokens=16, messages=ask),
     anthropic.RateLimitError),
    (lambda: client.messages.create(model="us.anthropic.claude-3-haiku-unavailable", max_tokens=16, messages=ask),
     overloaded),
]:
    try:
        make()
        raise AssertionError(f"expected {expected.__name__}")
    except anthropic.APIStatusError as error:
        assert type(error) is expected, (type(error), expected, error.status_code, error.body)
        assert error.body["type"] == "error" and error.body["error"]["message"], error.body
        assert error.response.headers.get("request-id"), error.response.headers
    passed += 1

print(f"messages: {passed} passed, 0 failed")
