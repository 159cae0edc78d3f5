"""The official Python clients parse every kind of answer obs-mock gives.

Usage: check_clients.py BASE_URL   (BASE_URL = http://127.0.0.1:PORT of a running obs-mock)
"""
import json
import sys

import boto3
import botocore.config
import openai

base = sys.argv[1]
checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    checks += 1


# --- openai ---------------------------------------------------------------------------------------------------
client = openai.OpenAI(base_url=f"{base}/v1", api_key="test-key", max_retries=0)
reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello python"}])
check(reply.choices[0].message.content == "You said: hello python", "openai text")
check(reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens, "openai usage")

stream = client.chat.completions.create(
    model="gpt-tools2", stream=True, stream_options={"include_usage": True},
    messages=[{"role": "user", "content": "x"}],
    tools=[{"type": "function", "function": {"name": "weather"}}, {"type": "function", "function": {"name": "time"}}],
)
text, calls, finish, usage = "", {}, None, None
for chunk in stream:
    if chunk.usage:
        usage = chunk.usage
    for choice in chunk.choices:
        text += choice.delta.content or ""
        for call in choice.delta.tool_calls or []:
            entry = calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
            entry["id"] = call.id or entry["id"]
            entry["name"] += (call.function.name or "") if call.function else ""
            entry["arguments"] += (call.function.arguments or "") if call.function else ""
        finish = choice.finish_reason or finish
check(text == "Let me check both.", "openai stream text")
check(sorted(calls) == [0, 1], "openai tool indices")
check(json.loads(calls[1]["arguments"]) == {}, "openai tool arguments (a tool without parameters gets {})")
check(finish == "tool_calls" and usage is not None, "openai finish and usage")

try:
    client.chat.completions.create(model="gpt-throttle", messages=[{"role": "user", "content": "x"}])
    check(False, "openai throttle raises")
except openai.RateLimitError as error:
    check(error.status_code == 429, "openai throttle status")

# --- boto3 ----------------------------------------------------------------------------------------------------
runtime = boto3.client(
    "bedrock-runtime", region_name="us-east-1", endpoint_url=base,
    aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
    config=botocore.config.Config(retries={"max_attempts": 1}),
)
answer = runtime.converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "hello boto"}]}])
check(answer["output"]["message"]["content"][0]["text"] == "You said: hello boto", "boto3 converse")
check(answer["stopReason"] == "end_turn", "boto3 stop reason")

events = runtime.converse_stream(modelId="anthropic.claude-tool", messages=[{"role": "user", "content": [{"text": "x"}]}])
kinds = [next(iter(event)) for event in events["stream"]]
check(kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"], f"boto3 converse stream {kinds}")
check("contentBlockStart" in kinds, "boto3 tool block")

body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                   "messages": [{"role": "user", "content": "hi claude"}]})
invoked = json.loads(runtime.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=body)["body"].read())
check(invoked["content"][0]["text"] == "You said: hi claude", "boto3 invoke")
streamed = runtime.invoke_model_with_response_stream(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=body)
types = [json.loads(event["chunk"]["bytes"])["type"] for event in streamed["body"]]
check(types[0] == "message_start" and types[-1] == "message_stop", f"boto3 invoke stream {types}")

try:
    runtime.converse(modelId="anthropic.claude-throttle", messages=[{"role": "user", "content": [{"text": "x"}]}])
    check(False, "boto3 throttle raises")
except runtime.exceptions.ThrottlingException as error:
    check(error.response["ResponseMetadata"]["HTTPStatusCode"] == 429, "boto3 throttle status")

try:
    for _ in runtime.converse_stream(modelId="meta.midstream-error", messages=[{"role": "user", "content": [{"text": "a b c d"}]}])["stream"]:
        pass
    check(False, "boto3 mid-stream exception raises")
except Exception as error:  # botocore raises the modelled EventStreamError
    check("modelStreamErrorException" in str(error) or "ModelStreamError" in type(error).__name__, f"boto3 mid-stream {error!r}")

control = boto3.client("bedrock", region_name="us-east-1", endpoint_url=base,
                       aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
models = control.list_foundation_models(byOutputModality="TEXT", byInferenceType="ON_DEMAND")["modelSummaries"]
check(len(models) == 5, "boto3 list_foundation_models")
profiles = control.list_inference_profiles()["inferenceProfileSummaries"]
check(profiles[0]["inferenceProfileId"].startswith("us."), "boto3 list_inference_profiles")

print(f"python clients: {checks} passed, 0 failed")
