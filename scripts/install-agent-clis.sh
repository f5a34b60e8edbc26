#!/usr/bin/env bash
# Installs the agent CLIs the real-runtime tests drive, at pinned versions, into
# the project-local (gitignored) directory `.tools/`. Idempotent: a CLI already
# installed at the pinned version is left alone.
#
#   scripts/install-agent-clis.sh            # installs into <repo>/.tools
#   OPS_TOOLS_DIR=/elsewhere scripts/...     # installs there instead
set -euo pipefail

CLAUDE_CODE_VERSION="2.1.330"

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${OPS_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

stamp="$tools/.claude-code-$CLAUDE_CODE_VERSION"
if [[ -x "$tools/node_modules/.bin/claude" && -f "$stamp" ]]; then
  exit 0
fi

npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
  "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION"
"$tools/node_modules/.bin/claude" --version >/dev/null
touch "$stamp"
