"""Bedrock Guardrails through the official OpenAI SDK: a guardrail asked for in the body (`extra_body`) or with
Bedrock's headers (`extra_headers`) that intervenes ends with finish_reason "content_filter" and the assessment in
the answer's `guardrail` field, on Converse (Nova) and InvokeModel (Claude, Titan), whole and streamed; a
malformed one is the SDK's BadRequestError naming the field.

Usage: guardrails.py BASE_URL   (an obs-server in --demo mode)
"""
import sys

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-in-demo", max_retries=0)
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)
    passed += 1


ASK = [{"role": "user", "content": "Tell me something violent."}]
BLOCKING = {"id": "grblock", "version": "1", "trace": "enabled"}
HEADERS = {"X-Amzn-Bedrock-GuardrailIdentifier": "grblock", "X-Amzn-Bedrock-GuardrailVersion": "1",
           "X-Amzn-Bedrock-Trace": "ENABLED"}
MODELS = ["amazon.nova-pro-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.titan-text-express-v1"]

for model in MODELS:
    for how in ({"extra_body": {"guardrail": BLOCKING}}, {"extra_headers": HEADERS}):
        completion = client.chat.completions.create(model=model, messages=ASK, **how)
        choice = completion.choices[0]
        check(choice.finish_reason == "content_filter", f"{model} {how}: finish_reason {choice.finish_reason}")
        guardrail = (completion.model_extra or {}).get("guardrail") or {}
        check(guardrail.get("action") == "INTERVENED", f"{model}: the outcome is reported ({completion})")
        check("grblock" in str(guardrail.get("trace")), f"{model}: the assessment names the guardrail ({guardrail})")
        check(choice.message.content == "Sorry, the model cannot answer this question.", f"{choice.message}")

    chunks = list(client.chat.completions.create(model=model, messages=ASK, stream=True,
                                                 extra_body={"guardrail": BLOCKING}))
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    check(len(finishing) == 1 and finishing[0].choices[0].finish_reason == "content_filter",
          f"{model}: the stream ends with content_filter ({finishing})")
    check((finishing[0].model_extra or {}).get("guardrail", {}).get("action") == "INTERVENED",
          f"{model}: the finish chunk carries the outcome ({finishing[0]})")

try:
    client.chat.completions.create(model=MODELS[0], messages=ASK, extra_body={"guardrail": {"id": "grblock"}})
    check(False, "a guardrail without a version is refused")
except openai.BadRequestError as error:
    check(error.body["code"] == "invalid_value" and error.body["param"] == "guardrail.version", f"{error.body}")

print(f"guardrails: {passed} passed, 0 failed")
