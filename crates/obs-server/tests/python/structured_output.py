"""Structured output through the official OpenAI SDK's parse() helpers and a pydantic model, on every path obs
serves: OpenAI (passed through), Claude on InvokeModel and Nova on Converse (the forced-tool method), a Nova 2 model
(Converse's native outputConfig) and Claude Sonnet 4.5 (InvokeModel's native output_config.format), streamed and
not; and the refusals (Titan, a client's own forced tool) as the SDK's BadRequestError.

Usage: structured_output.py BASE_URL   (an obs-server in --demo mode)
"""
import json
import sys

import openai
import pydantic

base = sys.argv[1]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)
    passed += 1


class Person(pydantic.BaseModel):
    name: str
    age: int
    languages: list[str]


ASK = [{"role": "user", "content": "Describe a person who speaks two languages."}]
# Claude 3.5 and Nova Pro take the forced tool; Nova 2 (Converse's outputConfig) and Claude Sonnet 4.5 (InvokeModel's
# output_config.format) the schema natively.
MODELS = ["gpt-4o", "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-pro-v1:0", "us.amazon.nova-2-lite-v1:0",
          "us.anthropic.claude-sonnet-4-5-20250929-v1:0"]

for model in MODELS:
    completion = client.chat.completions.parse(model=model, messages=ASK, response_format=Person)
    message = completion.choices[0].message
    check(isinstance(message.parsed, Person), f"{model}: parsed into the pydantic model ({message.content!r})")
    check(message.tool_calls in (None, []), f"{model}: no tool call shown ({message.tool_calls})")
    check(completion.choices[0].finish_reason == "stop", f"{model}: finish_reason {completion.choices[0].finish_reason}")
    Person.model_validate_json(message.content)

    with client.chat.completions.stream(model=model, messages=ASK, response_format=Person) as stream:
        final = stream.get_final_completion()
    streamed = final.choices[0].message
    check(isinstance(streamed.parsed, Person), f"{model}: the streamed answer parses ({streamed.content!r})")
    check(json.loads(streamed.content) == json.loads(message.content),
          f"{model}: streamed {streamed.content!r} equals whole {message.content!r}")

    plain = client.chat.completions.create(model=model, messages=ASK, response_format={"type": "json_object"})
    check(isinstance(json.loads(plain.choices[0].message.content), dict), f"{model}: json_object gives an object")

try:
    client.chat.completions.parse(model="amazon.titan-text-express-v1", messages=ASK, response_format=Person)
    check(False, "Titan refuses structured output")
except openai.BadRequestError as error:
    check(error.body["code"] == "unsupported_parameter" and error.body["param"] == "response_format", f"{error.body}")

try:
    # create(), not parse(): the SDK parses only strict tools, and this one is the client's own.
    client.chat.completions.create(
        model="anthropic.claude-3-5-sonnet-20240620-v1:0", messages=ASK,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": Person.model_json_schema()}},
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}],
        tool_choice={"type": "function", "function": {"name": "lookup"}})
    check(False, "a client's own forced tool cannot be combined with the forced-tool method")
except openai.BadRequestError as error:
    check(error.body["code"] == "unsupported_parameter", f"{error.body}")

print(f"structured output: {passed} passed, 0 failed")
