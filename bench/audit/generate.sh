#!/usr/bin/env bash
# Generate N git checkouts for the audit benchmark, and a registry listing them.
#
#   bench/audit/generate.sh DIR [N] [FILES]
#
# One template checkout (FILES files in 40 directories, committed, pushed to a
# bare origin on main and dev, objects packed) is built with git, then copied
# N times with `cp -a` and varied: every third checkout gets 3 modified files and
# 2 untracked ones, every fourth gets 2 commits not on origin/dev. Each copy's
# index is refreshed afterwards (a copy changes every inode and ctime, which a
# real checkout would not have), so every tool starts from an up-to-date index.
# Writes DIR/registry.json: {"version": 1, "projects": [{"alias": "r001",
# "paths": ["DIR/r001"], "dev_branch": "dev"}, ...]}.
set -euo pipefail

dir=${1:?usage: generate.sh DIR [N] [FILES]}
n=${2:-200}
files=${3:-2000}

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
template="$dir/.template"
rm -rf "$template" "$dir"/r[0-9][0-9][0-9]* "$dir/registry.json"
mkdir -p "$template"

git init --quiet --bare --initial-branch=main "$template/origin.git"
work="$template/work"
git init --quiet --initial-branch=main "$work"
per_dir=$(( (files + 39) / 40 ))
made=0
for d in $(seq -w 0 39); do
  mkdir -p "$work/src/m$d"
  for f in $(seq 1 "$per_dir"); do
    (( made < files )) || break 2
    printf 'module %s file %s\nfn f%s() -> u32 { %s }\n' "$d" "$f" "$f" "$f" > "$work/src/m$d/f$f.rs"
    made=$((made + 1))
  done
done
printf 'target/\n*.log\n' > "$work/.gitignore"
git -C "$work" add -A
git -C "$work" commit --quiet -m "template: $files files"
git -C "$work" remote add origin "$template/origin.git"
git -C "$work" push --quiet origin main
git -C "$work" checkout --quiet -b dev
git -C "$work" push --quiet -u origin dev
git -C "$work" repack -adq
git -C "$work" gc --quiet --prune=now

registry="$dir/registry.json"
{
  printf '{"version": 1, "projects": [\n'
  for i in $(seq 1 "$n"); do
    alias=$(printf 'r%03d' "$i")
    repo="$dir/$alias"
    cp -a "$work" "$repo"
    if (( i % 3 == 0 )); then
      for f in 1 2 3; do echo "// edited" >> "$repo/src/m0$f/f1.rs"; done
      echo "scratch" > "$repo/notes-$alias.txt"
      mkdir -p "$repo/tmp-new" && echo "new" > "$repo/tmp-new/a.rs"
    fi
    if (( i % 4 == 0 )); then
      for c in 1 2; do
        echo "// local $c" >> "$repo/src/m10/f$c.rs"
        git -C "$repo" commit --quiet -am "local change $c"
      done
    fi
    git -C "$repo" update-index -q --refresh || true
    sep=$([[ $i -lt $n ]] && echo , || true)
    printf '  {"alias": "%s", "paths": ["%s"], "dev_branch": "dev"}%s\n' "$alias" "$repo" "$sep"
  done
  printf ']}\n'
} > "$registry"
echo "generated $n checkouts of $files files in $dir; registry: $registry" >&2
