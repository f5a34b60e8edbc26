# Leaves processes behind that outlive it: a `setsid` double-forked endless loop
# (a new session, its parent gone), and another with its environment cleared.
# `daemonize PIDS`: their pids are appended to the file PIDS, one a line.
# `daemonize PIDS --stay`: then the agent itself appends its pid and stays (so a
# test can kill ops mid-attempt).
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
pids="${1:?usage: daemonize PIDS}"
rails_commit "the task's own change" hostile-task.txt
setsid sh -c 'sh -c "echo \$\$ >>\"$0\"; exec sleep 3600" "$0" </dev/null >/dev/null 2>&1 &' "$pids"
env -i PATH="$PATH" setsid sh -c 'sh -c "echo \$\$ >>\"$0\"; exec sleep 3600" "$0" </dev/null >/dev/null 2>&1 &' "$pids"
for _ in $(seq 1 50); do
  [[ "$(wc -l <"$pids" 2>/dev/null || echo 0)" -ge 2 ]] && break
  sleep 0.1
done
echo "daemonized"
if [[ "${2:-}" == "--stay" ]]; then
  echo $$ >>"$pids"
  exec sleep 3600
fi
