#!/usr/bin/env bash
# The one command that runs every test: unit, integration, property tests, doctests, and the checks with the
# official Python clients. On a machine with only a Rust toolchain it first installs what it needs:
#   - cargo-nextest (`cargo install cargo-nextest --locked`, a few minutes, once), when `cargo nextest` is missing;
#   - make (jemalloc, which the binaries link, is built from C with configure and make), with apt-get when missing;
#   - the Python clients (openai, boto3) into a throwaway virtualenv under target/ (scripts/python-checks.sh), which
#     needs python3 with venv and access to PyPI;
#   - redis-server (Debian's package), which the shared rate-limit tests start on their own ports and stop.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  echo "installing make and a C compiler (jemalloc's build)" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq make gcc
fi
if ! command -v curl >/dev/null 2>&1; then
  echo "installing curl (the README's own curl lines are run against the demo)" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq curl
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv (the Python client checks)" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server (the shared rate-limit tests start their own)" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq redis-server
  # Debian's package starts a system service on 6379; the tests use servers of their own.
  (as_root service redis-server stop || as_root systemctl stop redis-server) >/dev/null 2>&1 || true
fi
# Those tests fail instead of skipping when redis-server is missing.
export OBS_REQUIRE_REDIS=1
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest" >&2
  cargo install cargo-nextest --locked
fi

# A throwaway PostgreSQL for obs-store's tests (OBS_TEST_POSTGRES_URL), stopped when this script exits.
source scripts/postgres.sh
cargo nextest run --workspace --no-fail-fast
cargo test --doc --workspace
# The embedding example runs as the README says. Built here on its own, it gets its own feature set (cargo unifies
# features per invocation, and the workspace enables more of aws-sdk-sts, indexmap, libc... than the example
# needs), so README's `cargo run -p obs-embed-example` after this script finds it built instead of rebuilding ~30
# crates.
cargo run --quiet -p obs-embed-example
bash scripts/python-checks.sh
