#!/usr/bin/env bash
# The one command that runs every test: unit, integration, property tests, doctests, and the checks with the
# official Python clients. On a machine with only a Rust toolchain it first installs what it needs:
#   - cargo-nextest (`cargo install cargo-nextest --locked`, a few minutes, once), when `cargo nextest` is missing;
#   - make (jemalloc, which the binaries link, is built from C with configure and make), with apt-get when missing;
#   - the Python clients (openai, boto3) into a throwaway virtualenv under target/ (scripts/python-checks.sh), which
#     needs python3 with venv and access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  echo "installing make and a C compiler (jemalloc's build)" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq make gcc
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv (the Python client checks)" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest" >&2
  cargo install cargo-nextest --locked
fi

cargo nextest run --workspace --no-fail-fast
cargo test --doc --workspace
bash scripts/python-checks.sh
