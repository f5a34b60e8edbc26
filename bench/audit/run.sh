#!/usr/bin/env bash
# The audit benchmark: ops's git audit against git itself over N checkouts.
#
#   bench/audit/run.sh [--n N] [--files F] [--dir DIR] [--reuse] [--sources-only] [--runs R]
#
# Generates N checkouts of about F files (bench/audit/generate.sh; defaults 200
# and 2000, in DIR, default ${TMPDIR:-/tmp}/ops-audit-bench; --reuse keeps an
# existing set), builds in release, checks that ops's facts (dirty lines, commits
# ahead) equal git's for every checkout, then times, best of R (3) after a warm-up:
#   (a)  ops --registry REG audit --json          (target/release/ops)
#   (a') the git source alone over the registry   (example audit_bench, ops-sources)
#   (b)  a sequential loop: git status --porcelain | wc -l; git rev-list --count origin/dev..HEAD
#   (c)  the same loop under xargs -P $(nproc)
# and prints each wall time, the ratios, and the peak RSS of (a) and (a').
# --sources-only skips (a) (also skipped, with a note, when `ops audit --json`
# fails or prints no JSON array). Needs bash, git, cargo, python3 (stdlib only).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=200 files=2000 dir="${TMPDIR:-/tmp}/ops-audit-bench" reuse=0 sources_only=0 runs=3
while (($#)); do
  case $1 in
    --n) n=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --sources-only) sources_only=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

registry="$dir/registry.json"
if ((reuse)) && [[ -f $registry ]]; then
  echo "reusing $registry" >&2
else
  "$here/generate.sh" "$dir" "$n" "$files"
fi
list="$dir/checkouts.txt"
python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["projects"]:
    for path in p["paths"]:
        print(path)
' "$registry" > "$list"
count=$(wc -l < "$list")

# One checkout's facts from git itself: path, porcelain lines, commits ahead.
facts='printf "%s\t%s\t%s\n" "$1" "$(git -C "$1" status --porcelain | wc -l)" "$(git -C "$1" rev-list --count origin/dev..HEAD)"'
seq_loop() { while read -r d; do bash -c "$facts" _ "$d"; done < "$list"; }
par_loop() { xargs -P "$(nproc)" -n 1 bash -c "$facts" _ < "$list"; }
# From `/`: inside a git repository ops would audit only that repository.
ops_audit() { (cd / && "$ops_bin" --registry "$registry" audit --json); }
sources_audit() { "$sources_bin" "$registry"; }

echo "building (release)..." >&2
(cd "$root" && cargo build --release --quiet -p ops-sources --example audit_bench)
sources_bin="$root/target/release/examples/audit_bench"
ops_bin="$root/target/release/ops"
run_ops=0
if ((!sources_only)); then
  (cd "$root" && cargo build --release --quiet -p ops-cli)
  # Probe once: the audit must run and print a JSON array.
  if ops_audit > "$dir/ops-audit.json" 2> "$dir/ops-audit.err" \
    && python3 -c 'import json, sys; assert isinstance(json.load(open(sys.argv[1])), list)' "$dir/ops-audit.json" 2>/dev/null; then
    run_ops=1
    ops_found=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$dir/ops-audit.json")
  else
    echo "note: \`ops audit --json\` did not run here ($(tail -c 300 "$dir/ops-audit.err")); timing the git source alone" >&2
  fi
fi

# Correctness first: the git source's facts must be git's.
diff <(seq_loop | sort) <("$sources_bin" "$registry" --facts) > "$dir/facts.diff" \
  && agree="yes ($count checkouts)" \
  || agree="NO: see $dir/facts.diff"

now_ms() { local ns; ns=$(date +%s%N); echo $((ns / 1000000)); }
# best_of NAME: one warm-up, then the fastest of $runs runs, in ms.
best_of() {
  "$1" > /dev/null
  local best=''
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(now_ms); "$1" > /dev/null; t1=$(now_ms)
    local ms=$((t1 - t0))
    if [[ -z $best ]] || ((ms < best)); then best=$ms; fi
  done
  echo "$best"
}
# peak_rss_mb CMD...: the maximum resident set size of one run, in MB.
peak_rss_mb() {
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v "$@" 2>&1 >/dev/null \
      | awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }'
  else
    python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print("%.1f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
' "$@"
  fi
}

echo "timing over $count checkouts (best of $runs after a warm-up)..." >&2
t_seq=$(best_of seq_loop)
t_par=$(best_of par_loop)
t_src=$(best_of sources_audit)
rss_src=$(peak_rss_mb "$sources_bin" "$registry")
if ((run_ops)); then
  t_ops=$(best_of ops_audit)
  rss_ops=$(cd / && peak_rss_mb "$ops_bin" --registry "$registry" audit --json)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "audit benchmark: $count checkouts of ~$files files, $(nproc) cores, $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "facts agree with git: $agree"
printf '%-44s %8s\n' "command" "wall ms"
printf '%-44s %8s\n' "(b) sequential git status + rev-list" "$t_seq"
printf '%-44s %8s\n' "(c) xargs -P $(nproc) git status + rev-list" "$t_par"
printf '%-44s %8s   seq/this %s  xargs/this %s  peak RSS %s MB\n' \
  "(a') git source alone (audit_bench)" "$t_src" "$(ratio "$t_seq" "$t_src")" "$(ratio "$t_par" "$t_src")" "$rss_src"
if ((run_ops)); then
  printf '%-44s %8s   seq/this %s  xargs/this %s  peak RSS %s MB  (%s findings)\n' \
    "(a) ops audit --json" "$t_ops" "$(ratio "$t_seq" "$t_ops")" "$(ratio "$t_par" "$t_ops")" "$rss_ops" "$ops_found"
else
  echo "(a) ops audit --json: not run (--sources-only, or \`ops audit --json\` failed: see $dir/ops-audit.err)"
fi
echo "targets: seq/ops >= 3, xargs/ops >= 2, peak RSS < 50 MB"
