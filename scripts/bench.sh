#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: release builds of obs-server, obs-mock and obs-bench, then one obs-bench run that
# measures direct-to-mock vs through-obs (and LiteLLM proxy, installed into a throwaway virtualenv) on loopback.
# WITH_LITELLM=0 skips LiteLLM. wrk (saturation tables) and nginx (the static-upstream table) are used when
# installed: `apt-get install wrk nginx-light`. Extra arguments go to obs-bench (see `obs-bench --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p obs-server-bin -p obs-mock-bin -p obs-bench
litellm_args=()
if [ "${WITH_LITELLM:-1}" = 1 ]; then
  venv=target/litellm-venv
  if [ ! -x "$venv/bin/litellm" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'litellm[proxy]'
  fi
  litellm_args=(--litellm-bin "$venv/bin/litellm")
fi
./target/release/obs-bench "${litellm_args[@]}" "$@"
