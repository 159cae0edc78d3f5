"""Streaming conformance with the official OpenAI SDK: for every provider path x scenario, the message the SDK's
own stream accumulator builds from obs's stream equals obs's non-streamed answer to the same request.

Usage: conformance.py BASE_URL   (an obs-server in --demo mode)
"""
import re
import sys

import openai
from openai.lib.streaming.chat import ChatCompletionStreamState

base = sys.argv[1]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "get_time"}},
]
PATHS = {"openai": "gpt-4o", "bedrock_claude": "anthropic.claude-3-haiku", "bedrock_converse": "us.meta.llama3-3-70b", "bedrock_titan": "amazon.titan-text-express"}
SCENARIOS = {"text": ("", {}), "tool_after_text": ("-tool", {}), "tool_first": ("-tool-first", {}), "two_parallel_tools": ("-tools2", {}),
             "length": ("", {"max_tokens": 2}), "usage_chunk": ("", {})}
passed = 0


def id_shape(tool_call_id):
    """Tool-call ids are random like the real services' (`call_` + 24, `toolu_bdrk_01` + 22, `tooluse_` + 22): the
    two answers compared must agree on their shape, not their value."""
    return re.sub(r"[A-Za-z0-9]+$", lambda tail: f"<{len(tail.group())}>", tool_call_id or "")


def essence(message, finish_reason):
    calls = [(id_shape(c.id), c.type, c.function.name, c.function.arguments) for c in (message.tool_calls or [])]
    return {"role": message.role, "content": message.content, "tool_calls": calls, "finish_reason": finish_reason}


for path, base_model in PATHS.items():
    for scenario, (suffix, extra) in SCENARIOS.items():
        if path == "bedrock_titan" and "tool" in scenario:
            continue
        kwargs = dict(model=base_model + suffix, messages=[{"role": "user", "content": "What is the weather in Paris?"}], **extra)
        if path != "bedrock_titan":
            kwargs["tools"] = TOOLS
        whole = client.chat.completions.create(**kwargs)
        state = ChatCompletionStreamState()
        ids = set()
        for chunk in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs):
            ids.add(chunk.id)
            state.handle_chunk(chunk)
        # The accumulated completion as is (get_final_completion() refuses length-finished ones for parsing).
        streamed = state.current_completion_snapshot
        want = essence(whole.choices[0].message, whole.choices[0].finish_reason)
        got = essence(streamed.choices[0].message, streamed.choices[0].finish_reason)
        # docs/reference/streaming.md §2.2 opens every obs-generated stream with {"role":"assistant","content":""},
        # while a whole tool-only reply has content null; the SDK accumulates "" from that first chunk. That pair is
        # equal.
        if got["content"] == "" and want["content"] is None and got["tool_calls"]:
            got["content"] = None
        if got != want:
            raise SystemExit(f"FAILED {path} {scenario}:\n  streamed {got}\n  whole    {want}")
        if len(ids) != 1:
            raise SystemExit(f"FAILED {path} {scenario}: {len(ids)} ids in one stream")
        if (streamed.usage.prompt_tokens, streamed.usage.completion_tokens) != (whole.usage.prompt_tokens, whole.usage.completion_tokens):
            raise SystemExit(f"FAILED {path} {scenario}: usage {streamed.usage} != {whole.usage}")
        passed += 1
    # Mid-stream failure: the SDK sees an error after some output; the whole answer is a 502.
    try:
        for _ in client.chat.completions.create(model=base_model + "-midstream-error", stream=True, messages=[{"role": "user", "content": "a b c d"}]):
            pass
        raise SystemExit(f"FAILED {path} midstream_error: no error raised")
    except openai.APIError as error:
        if "stream failed" not in str(error) and "error" not in str(error).lower():
            raise SystemExit(f"FAILED {path} midstream_error: {error!r}")
    try:
        client.chat.completions.create(model=base_model + "-midstream-error", messages=[{"role": "user", "content": "x"}])
        raise SystemExit(f"FAILED {path} midstream_error (non-stream): no error")
    except openai.APIStatusError as error:
        if error.status_code != 502:
            raise SystemExit(f"FAILED {path} midstream_error (non-stream): status {error.status_code}")
    passed += 1

print(f"conformance: {passed} passed, 0 failed")
