#!/usr/bin/env bash
# Installs the agent CLIs the real-runtime tests drive, at pinned versions, into
# the project-local (gitignored) directory `.tools/`. Idempotent: a CLI already
# installed at the pinned version is left alone. `.ci/run` runs it before the
# tests; the real-CLI tests also run it on first use.
#
#   scripts/install-agent-clis.sh            # installs into <repo>/.tools
#   OPS_TOOLS_DIR=/elsewhere scripts/...     # installs there instead
#
# What ends up where:
#   .tools/node_modules/.bin/{claude,codex,gemini}   npm packages
#   .tools/aider-venv/bin/aider                       PyPI package in a venv
set -euo pipefail

CLAUDE_CODE_VERSION="2.1.332"
CODEX_VERSION="0.171.0"
GEMINI_CLI_VERSION="0.61.0"
AIDER_VERSION="0.86.2"

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${OPS_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

# One installer at a time (parallel test binaries call this script too).
exec 9>"$tools/.install-script.lock"
flock 9

npm_stamp="$tools/.npm-claude-$CLAUDE_CODE_VERSION-codex-$CODEX_VERSION-gemini-$GEMINI_CLI_VERSION"
if [[ ! -f "$npm_stamp" ]]; then
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" \
    "@openai/codex@$CODEX_VERSION" \
    "@google/gemini-cli@$GEMINI_CLI_VERSION"
  "$tools/node_modules/.bin/claude" --version >/dev/null
  "$tools/node_modules/.bin/codex" --version >/dev/null
  "$tools/node_modules/.bin/gemini" --version >/dev/null
  touch "$npm_stamp"
fi

aider_stamp="$tools/.aider-$AIDER_VERSION"
if [[ ! -f "$aider_stamp" ]]; then
  python3 -m venv "$tools/aider-venv"
  "$tools/aider-venv/bin/pip" install --quiet --disable-pip-version-check \
    "aider-chat==$AIDER_VERSION"
  "$tools/aider-venv/bin/aider" --version >/dev/null
  touch "$aider_stamp"
fi
