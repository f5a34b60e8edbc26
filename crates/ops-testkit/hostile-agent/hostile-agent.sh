#!/usr/bin/env bash
# The hostile test agent: does what a confused or prompt-injected agent does, one
# mode per behaviour, each in modes/<mode>.sh (sourced with the remaining
# arguments; the working directory is the task's worktree, as for any
# `--agent command` agent). Used by the safety-rail tests through `ops run`:
#
#   ops run --agent command --agent-cmd "hostile-agent.sh push-main {brief_file}"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:?usage: hostile-agent.sh MODE [ARGS...]}"
shift
if [[ ! -f "$here/modes/$mode.sh" ]]; then
  echo "hostile-agent: unknown mode '$mode' (modes: $(ls "$here/modes" | sed 's/\.sh$//' | tr '\n' ' '))" >&2
  exit 2
fi
# shellcheck source=/dev/null
source "$here/modes/$mode.sh" "$@"
