"""obs's gateway surface through the official OpenAI SDK: models.retrieve, the x-obs-target header on whole and
streamed answers (raw responses), explicit provider/model ids, and the HTTP stack's own rejections arriving as
OpenAI errors the SDK can read.

Usage: gateway_routes.py BASE_URL   (an obs-server in --demo mode)
"""
import sys

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
passed = 0
ask = [{"role": "user", "content": "hello obs"}]

model = client.models.retrieve("gpt-4o")
assert (model.id, model.object) == ("gpt-4o", "model"), model
claude = client.models.retrieve("us.anthropic.claude-3-5-sonnet-20241022-v2:0")
assert claude.owned_by == "bedrock", claude
try:
    client.models.retrieve("no-such-model")
    raise AssertionError("a missing model must be 404")
except openai.NotFoundError as error:
    assert error.body["code"] == "model_not_found" and error.body["param"] == "model", error.body
passed += 3

for model, target in [("gpt-4o", "openai/gpt-4o"), ("bedrock/amazon.nova-lite-v1:0", "bedrock/amazon.nova-lite-v1:0"),
                      ("anthropic.claude-3-haiku-20240307-v1:0", "bedrock/anthropic.claude-3-haiku-20240307-v1:0")]:
    raw = client.chat.completions.with_raw_response.create(model=model, messages=ask)
    assert raw.headers.get("x-obs-target") == target, (model, raw.headers.get("x-obs-target"))
    assert raw.parse().choices[0].message.content == "You said: hello obs"
    with client.chat.completions.with_streaming_response.create(model=model, messages=ask, stream=True) as stream:
        assert stream.headers.get("x-obs-target") == target, (model, stream.headers.get("x-obs-target"))
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream.parse() if chunk.choices)
        assert text == "You said: hello obs", text
    passed += 2

try:
    client.chat.completions.create(model="gpt-4o", messages=ask, extra_headers={"x-padding": "a" * 1_000_000})
    raise AssertionError("a 1 MB header must be refused")
except openai.APIStatusError as error:
    assert error.status_code == 431, error.status_code
    assert error.body["code"] == "request_headers_too_large", error.body
passed += 1

print(f"gateway routes: {passed} passed, 0 failed")
