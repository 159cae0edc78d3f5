"""The Bedrock runtime API (docs/reference/bedrock-ingress.md) through boto3's own bedrock-runtime client with obs as
its endpoint_url over TLS (obs terminates it; the check trusts its certificate), signing with SigV4 against a
configured [[server.aws_clients]] pair: converse, converse_stream,
invoke_model (with Bedrock's x-amzn-bedrock-* token-count and latency headers) and invoke_model_with_response_stream
to a Bedrock model (passed through) and an OpenAI-kind model (translated), a tool loop over Converse, count_tokens, boto3's typed exceptions, and the SigV4 refusals (wrong
secret, stale date, a body changed after signing); then the gateway key as a Bedrock API key
(AWS_BEARER_TOKEN_BEDROCK), which boto3 sends as a bearer token over HTTPS only.

Usage: bedrock_ingress.py HTTPS_BASE_URL CA_FILE ACCESS_KEY_ID SECRET_ACCESS_KEY GATEWAY_KEY
"""
import datetime
import json
import os
import sys
from unittest import mock

import boto3
import botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError

base, ca, access_key_id, secret, gateway_key = sys.argv[1:6]


def client(secret_access_key=secret):
    return boto3.client("bedrock-runtime", endpoint_url=base, region_name="us-east-1",
                        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, verify=ca,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


runtime = client()
passed = 0
ask = [{"role": "user", "content": [{"text": "hello obs"}]}]

# converse and converse_stream: the stream's text and usage are the whole answer's, on both kinds of target.
for model in ["amazon.nova-lite-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "gpt-4o"]:
    whole = runtime.converse(modelId=model, messages=ask)
    assert whole["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid"), whole["ResponseMetadata"]
    text = whole["output"]["message"]["content"][0]["text"]
    assert text and whole["stopReason"] == "end_turn" and whole["usage"]["outputTokens"] > 0, whole
    events = list(runtime.converse_stream(modelId=model, messages=ask)["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"], kinds
    streamed = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)
    assert streamed == text, (model, streamed, text)
    assert events[-1]["metadata"]["usage"]["outputTokens"] == whole["usage"]["outputTokens"], (model, events[-1])
    passed += 1

# A tool loop over Converse to an OpenAI-kind model.
tool_config = {"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather for a city",
               "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}},
                                        "required": ["city"]}}}}]}
question = {"role": "user", "content": [{"text": "What is the weather in Paris?"}]}
first = runtime.converse(modelId="gpt-4o-tool", messages=[question], toolConfig=tool_config)
assert first["stopReason"] == "tool_use", first
tool_use = next(block["toolUse"] for block in first["output"]["message"]["content"] if "toolUse" in block)
assert tool_use["name"] == "get_weather" and isinstance(tool_use["input"], dict), tool_use
result = {"role": "user", "content": [{"toolResult": {"toolUseId": tool_use["toolUseId"],
                                                      "content": [{"json": {"temperature": "18C"}}]}}]}
second = runtime.converse(modelId="gpt-4o-tool", messages=[question, first["output"]["message"], result],
                          toolConfig=tool_config)
assert second["stopReason"] == "end_turn" and second["output"]["message"]["content"][0]["text"], second
passed += 1

# invoke_model and its stream with a Claude body, to Claude on Bedrock and to an OpenAI-kind model.
claude = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                     "messages": [{"role": "user", "content": "hello obs"}]})
for model in ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "gpt-4o"]:
    invoked = runtime.invoke_model(modelId=model, body=claude)
    answer = json.loads(invoked["body"].read())
    assert answer["type"] == "message" and answer["content"][0]["text"], answer
    # Bedrock's InvokeModel headers: relayed from Bedrock, made from the usage for an OpenAI-kind model.
    headers = invoked["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == str(answer["usage"]["input_tokens"]), headers
    assert headers["x-amzn-bedrock-output-token-count"] == str(answer["usage"]["output_tokens"]), headers
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0, headers
    chunks = [json.loads(event["chunk"]["bytes"])
              for event in runtime.invoke_model_with_response_stream(modelId=model, body=claude)["body"]]
    assert chunks[0]["type"] == "message_start" and chunks[-1]["type"] == "message_stop", chunks
    streamed = "".join(c["delta"].get("text", "") for c in chunks if c["type"] == "content_block_delta")
    assert streamed == answer["content"][0]["text"], (model, streamed, answer)
    passed += 1

# count_tokens: Claude on Bedrock counts the InvokeModel body as its answer's usage does.
counted = runtime.count_tokens(modelId="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                               input={"invokeModel": {"body": claude}})
answered = json.loads(runtime.invoke_model(modelId="us.anthropic.claude-sonnet-4-5-20250929-v1:0", body=claude)["body"].read())
assert counted["inputTokens"] == answered["usage"]["input_tokens"], (counted, answered)
passed += 1

# count_tokens: an OpenAI-kind model has no counter, a ValidationException naming it.
try:
    runtime.count_tokens(modelId="gpt-4o", input={"converse": {"messages": ask}})
    raise AssertionError("gpt-4o has no token counter")
except ClientError as error:
    assert error.response["Error"]["Code"] == "ValidationException", error.response
    assert "gpt-4o" in error.response["Error"]["Message"], error.response
passed += 1

# boto3's own exception classes, from Bedrock-shaped errors.
for model, expected in [("amazon.nova-throttle", runtime.exceptions.ThrottlingException),
                        ("amazon.nova-notfound", runtime.exceptions.ResourceNotFoundException),
                        ("amazon.nova-invalid", runtime.exceptions.ValidationException),
                        ("amazon.nova-unavailable", runtime.exceptions.ServiceUnavailableException)]:
    try:
        runtime.converse(modelId=model, messages=ask)
        raise AssertionError(f"{model}: expected {expected.__name__}")
    except expected as error:
        assert error.response["Error"]["Message"], error.response
    passed += 1

# SigV4 refusals: a wrong secret, a date six minutes old, a body changed after signing.
def refused(call):
    try:
        call()
        raise AssertionError("expected AccessDeniedException")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException", error.response
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403, error.response
        return error.response["Error"]["Message"]


assert "does not match" in refused(lambda: client("wrong-secret").converse(modelId="gpt-4o", messages=ask))
stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=6)
with mock.patch.object(botocore.auth, "get_current_datetime", return_value=stale):
    assert "expired" in refused(lambda: runtime.converse(modelId="gpt-4o", messages=ask))
tampering = client()


def tamper(request, **_):
    request.body = request.body.replace(b"hello obs", b"hello OBS")


tampering.meta.events.register("before-send.bedrock-runtime.Converse", tamper)
assert "does not match" in refused(lambda: tampering.converse(modelId="gpt-4o", messages=ask))
passed += 3

# The gateway key as a Bedrock API key: boto3 sends it as Authorization: Bearer (over HTTPS only).
os.environ["AWS_BEARER_TOKEN_BEDROCK"] = gateway_key
bearer = boto3.client("bedrock-runtime", endpoint_url=base, region_name="us-east-1", verify=ca,
                      config=Config(retries={"max_attempts": 1, "mode": "standard"}))
seen = {}
bearer.meta.events.register("before-send.bedrock-runtime.Converse",
                            lambda request, **_: seen.update(auth=request.headers.get("Authorization")))
answer = bearer.converse(modelId="gpt-4o", messages=ask)
assert answer["output"]["message"]["content"][0]["text"] == "You said: hello obs", answer
auth = seen["auth"].decode() if isinstance(seen["auth"], bytes) else seen["auth"]
assert auth == f"Bearer {gateway_key}", "boto3 sent the key as a bearer token"
os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "not-the-key"
wrong = boto3.client("bedrock-runtime", endpoint_url=base, region_name="us-east-1", verify=ca,
                     config=Config(retries={"max_attempts": 1, "mode": "standard"}))
assert refused(lambda: wrong.converse(modelId="gpt-4o", messages=ask))
del os.environ["AWS_BEARER_TOKEN_BEDROCK"]
passed += 2

print(f"bedrock_ingress: {passed} passed, 0 failed")
