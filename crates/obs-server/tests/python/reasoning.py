"""Reasoning through the official OpenAI SDK on three paths obs serves: Claude through InvokeModel, Claude through
Converse (a provider with claude_api = "converse") and gpt-oss through Converse. The reasoning fields accumulated
from a stream equal the whole answer's; a two-turn tool loop with thinking on completes in the three client styles
(echoing thinking_blocks, echoing OpenRouter-style reasoning_details, dropping them) against the emulator, which
checks the signed thinking like Bedrock does; an altered block is the SDK's BadRequestError.

Usage: reasoning.py BASE_URL CONVERSE_PROVIDER   (an obs-server in --demo mode with a Bedrock provider named
CONVERSE_PROVIDER whose claude_api is "converse")
"""
import json
import sys

import openai

base, converse = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
passed = 0

CLAUDE = "anthropic.claude-3-7-sonnet-20250219-v1:0"
PATHS = {"Claude InvokeModel": CLAUDE, "Claude Converse": f"{converse}/{CLAUDE}", "gpt-oss": "openai.gpt-oss-120b-1:0"}
SIGNED = {"Claude InvokeModel", "Claude Converse"}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)
    passed += 1


def extra(obj, key):
    """A field the SDK's types do not declare (reasoning_content, thinking_blocks), kept as pydantic extra."""
    return (obj.model_extra or {}).get(key)


def ask(model, messages, stream=False):
    return client.chat.completions.create(model=model, messages=messages, tools=TOOLS, reasoning_effort="low",
                                          max_tokens=1000, stream=stream)


def accumulate(stream):
    """reasoning_content, thinking_blocks, content and tool calls from a stream's deltas."""
    reasoning, blocks, content, calls = "", [], "", {}
    for chunk in stream:
        for choice in chunk.choices:
            delta = choice.delta
            reasoning += extra(delta, "reasoning_content") or ""
            blocks.extend(extra(delta, "thinking_blocks") or [])
            content += delta.content or ""
            for call in delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.id or entry["id"]
                entry["name"] += (call.function.name or "") if call.function else ""
                entry["arguments"] += (call.function.arguments or "") if call.function else ""
    return reasoning, blocks, content, [calls[i] for i in sorted(calls)]


def second_turn(first, style):
    """The conversation a client sends after running the tool, keeping the first answer as `style` does."""
    kept = {"role": "assistant", "content": first["content"], "tool_calls": first["tool_calls"]}
    if style == "thinking_blocks" and first.get("thinking_blocks"):
        kept["thinking_blocks"] = first["thinking_blocks"]
    elif style == "reasoning_details" and first.get("thinking_blocks"):
        kept["reasoning_details"] = [{"type": "reasoning.text", "text": b["thinking"], "signature": b["signature"]}
                                     for b in first["thinking_blocks"] if b["type"] == "thinking"]
    result = {"role": "tool", "tool_call_id": first["tool_calls"][0]["id"], "content": "18°C and sunny"}
    return ASK + [kept, result]


# Each path is served where its name says (Claude on Converse by the `converse` provider).
for path, model, target in [("Claude InvokeModel", CLAUDE, f"bedrock/{CLAUDE}"),
                            ("Claude Converse", PATHS["Claude Converse"], f"{converse}/{CLAUDE}")]:
    raw = client.chat.completions.with_raw_response.create(model=model, messages=ASK, max_tokens=50)
    check(raw.headers.get("x-obs-target") == target, f"{path}: served by {raw.headers.get('x-obs-target')}")

for path, model in PATHS.items():
    # A whole answer: the reasoning text, and (Claude) the signed block that carries it.
    whole = ask(model, ASK).choices[0].message
    reasoning, blocks = extra(whole, "reasoning_content"), extra(whole, "thinking_blocks")
    check(isinstance(reasoning, str) and reasoning, f"{path}: reasoning_content in the answer ({whole})")
    if path in SIGNED:
        check(len(blocks) == 1 and blocks[0]["type"] == "thinking" and blocks[0]["thinking"] == reasoning
              and blocks[0]["signature"], f"{path}: one signed thinking block ({blocks})")
    else:
        check(blocks is None, f"{path}: unsigned reasoning has no thinking_blocks ({blocks})")
    check(whole.tool_calls and whole.tool_calls[0].function.name == "get_weather", f"{path}: a tool call")

    # The same request streamed: the fragments add up to the whole answer's fields.
    s_reasoning, s_blocks, _, s_calls = accumulate(ask(model, ASK, stream=True))
    check(s_reasoning == reasoning, f"{path}: streamed reasoning_content ({s_reasoning!r} vs {reasoning!r})")
    check(s_blocks == (blocks or []), f"{path}: streamed thinking_blocks equal the whole answer's ({s_blocks})")
    check(json.loads(s_calls[0]["arguments"]) == json.loads(whole.tool_calls[0].function.arguments),
          f"{path}: streamed tool call arguments")

    # The tool loop, in each client style, from a whole and from a streamed first turn.
    for streamed in (False, True):
        for style in ("thinking_blocks", "reasoning_details", "dropped"):
            if streamed:
                _, first_blocks, content, calls = accumulate(ask(model, ASK, stream=True))
                first = {"content": content or None, "thinking_blocks": first_blocks,
                         "tool_calls": [{"id": c["id"], "type": "function",
                                         "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls]}
            else:
                first = ask(model, ASK).choices[0].message.model_dump(exclude_none=True)
                first.setdefault("content", None)
            try:
                answer = ask(model, second_turn(first, style)).choices[0].message
            except openai.BadRequestError as error:
                check(False, f"{path} {style} streamed={streamed}: refused: {error}")
            check("18°C" in (answer.content or ""), f"{path} {style} streamed={streamed}: the tool's result "
                  f"reported ({answer.content!r})")

    if path in SIGNED:
        first = ask(model, ASK).choices[0].message.model_dump(exclude_none=True)
        first.setdefault("content", None)
        first["thinking_blocks"][0]["thinking"] = "I changed my mind."
        try:
            ask(model, second_turn(first, "thinking_blocks"))
            check(False, f"{path}: an altered thinking block was accepted")
        except openai.BadRequestError as error:
            check(error.status_code == 400, f"{path}: an altered thinking block is a 400 ({error})")

print(f"reasoning.py: {passed} checks passed")
