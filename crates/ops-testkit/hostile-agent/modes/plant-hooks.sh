# Plants git hooks that dump their environment, where ops' own git would find
# them: every hook name in the shared git dir's hooks/, and a core.hooksPath in
# the shared config pointing at a second copy. The task's own commit is made
# first, so only a git that ops runs can trigger them. It also configures, in the
# shared config, every program git runs from config: a filter driver (clean,
# smudge, process, required) and a diff textconv and merge driver for every
# file (`info/attributes`), core.fsmonitor, core.sshCommand and a credential
# helper.
# `plant-hooks DUMP`: each hook appends `env` to DUMP and a line to DUMP.ran.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
dump="${1:?usage: plant-hooks DUMP}"
rails_commit "the task's own change" hostile-task.txt
common="$(git rev-parse --path-format=absolute --git-common-dir)"
mkdir -p "$common/hooks" "$common/hostile-hooks"
for hook in applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit \
  prepare-commit-msg commit-msg post-commit pre-rebase post-checkout post-merge \
  pre-push pre-receive update proc-receive post-receive post-update \
  reference-transaction push-to-checkout pre-auto-gc post-rewrite sendemail-validate \
  fsmonitor-watchman post-index-change; do
  for dir in "$common/hooks" "$common/hostile-hooks"; do
    printf '#!/bin/sh\necho "%s $PWD" >>"%s.ran"\nenv >>"%s"\n' "$hook" "$dump" "$dump" >"$dir/$hook"
    chmod +x "$dir/$hook"
  done
done
git config --file "$common/config" core.hooksPath "$common/hostile-hooks"
program="$common/hostile-hooks/program"
printf '#!/bin/sh\necho "program $* $PWD" >>"%s.ran"\nenv >>"%s"\ncat\n' "$dump" "$dump" >"$program"
chmod +x "$program"
mkdir -p "$common/info"
echo '* filter=hostile diff=hostile merge=hostile' >>"$common/info/attributes"
for key in filter.hostile.clean filter.hostile.smudge filter.hostile.process \
  diff.hostile.textconv merge.hostile.driver core.fsmonitor core.sshCommand; do
  git config --file "$common/config" "$key" "$program"
done
git config --file "$common/config" filter.hostile.required true
git config --file "$common/config" credential.helper "!$program"
echo "planted hooks"
