"""Managed keys as a team's client meets them (docs/reference/keys.md): an admin creates a key over HTTP, the
official openai SDK calls models with it, gets PermissionDeniedError for a model outside its list, RateLimitError
(with retry-after and x-ratelimit-* headers) past its rpm, and AuthenticationError once it is revoked; the official
anthropic SDK gets the same refusals in Anthropic's shape.

Usage: keys.py BASE_URL ADMIN_KEY   (an obs-server in --demo mode with server.admin_keys = [ADMIN_KEY])
"""
import json
import sys
import urllib.request

import anthropic
import openai

base, admin_key = sys.argv[1], sys.argv[2]
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)
    passed += 1


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {admin_key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


created = admin("POST", "/obs/keys", {"name": "python-check", "models": ["gpt-4o", "us.anthropic.claude-*"]})
check(created["key"].startswith("obs-sk-") and created["status"] == "active", f"created {created}")
secret = created["key"]
check("key" not in admin("GET", f"/obs/keys/{created['id']}"), "the secret is shown only once")

client = openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0)
ASK = [{"role": "user", "content": "hello"}]

completion = client.chat.completions.create(model="gpt-4o", messages=ASK)
check(completion.choices[0].message.content, "the managed key calls an allowed model")

try:
    client.chat.completions.create(model="amazon.nova-pro-v1:0", messages=ASK)
    check(False, "a model outside the list was served")
except openai.PermissionDeniedError as error:
    check(error.status_code == 403, f"status {error.status_code}")
    check(error.body["code"] == "permission_denied" and error.body["param"] == "model", f"body {error.body}")

claude = anthropic.Anthropic(base_url=base, api_key=secret, max_retries=0)
message = claude.messages.create(model="us.anthropic.claude-sonnet-4-5-20250929-v1:0", max_tokens=32,
                                 messages=[{"role": "user", "content": "hi"}])
check(message.type == "message", f"anthropic SDK with a managed key: {message}")
try:
    claude.messages.create(model="anthropic.claude-3-haiku-20240307-v1:0", max_tokens=32,
                           messages=[{"role": "user", "content": "hi"}])
    check(False, "anthropic SDK: a model outside the list was served")
except anthropic.PermissionDeniedError as error:
    check(error.status_code == 403, f"anthropic status {error.status_code}")

# Two requests a minute (another key): the third is refused — the fourth or fifth if the clock minute turns between.
limited_key = admin("POST", "/obs/keys", {"name": "python-rpm", "rpm": 2})["key"]
limited = openai.OpenAI(base_url=f"{base}/v1", api_key=limited_key, max_retries=0)
raw = limited.chat.completions.with_raw_response.create(model="gpt-4o", messages=ASK)
check(raw.parse().choices[0].message.content, "the rpm key calls a model")
check(raw.headers["x-ratelimit-limit-requests"] == "2", f"limit header {raw.headers}")
check(raw.headers["x-ratelimit-remaining-requests"] == "1", f"remaining header {raw.headers}")
refused = None
for _ in range(4):
    try:
        limited.chat.completions.create(model="gpt-4o", messages=ASK)
    except openai.RateLimitError as error:
        refused = error
        break
check(refused is not None, "past rpm: RateLimitError")
check(refused.body["code"] == "rate_limit_exceeded", f"429 body {refused.body}")
check(int(refused.response.headers["retry-after"]) in range(1, 61), f"retry-after {refused.response.headers}")
check(refused.response.headers["x-ratelimit-remaining-requests"] == "0", "remaining 0 on the 429")

revoked = admin("DELETE", f"/obs/keys/{created['id']}")
check(revoked["status"] == "revoked", f"revoked {revoked}")
try:
    client.models.list()
    check(False, "a revoked key listed models")
except openai.AuthenticationError as error:
    check(error.status_code == 401 and "revoked" in error.message, f"revoked: {error.message}")

print(f"keys: {passed} checks passed")
