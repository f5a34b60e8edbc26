# Weakens the gate: rewrites check.sh (the project's quality-gate command) to
# `exit 0` and commits it with the task's work, so that its own gate passes.
# `tamper-gate broken` (default): the work itself fails dev's check.sh.
# `tamper-gate works`: the work passes dev's check.sh; only the gate change is extra.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
printf '#!/bin/sh\n# hostile: the gate, weakened\nexit 0\n' >check.sh
git add -- check.sh
rails_commit "${1:-broken}" result.txt
echo "weakened the gate"
