# Rewrites origin's dev: a commit on top of dev's parent-less history, force-pushed.
# `force-push-dev --around`: then rewrites origin/dev without git push.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
rails_commit "the task's own change" hostile-task.txt
rewrite="$(git commit-tree -m 'hostile: dev rewritten' "$(git mktree </dev/null)")"
rails_try git push --force origin "$rewrite:refs/heads/dev"
rails_try git push --force "$(rails_origin_dir)" "$rewrite:refs/heads/dev"
if [[ "${1:-}" == "--around" ]]; then
  git --git-dir="$(rails_origin_dir)" fetch --quiet "$PWD" "+$rewrite:refs/heads/dev"
fi
echo "rewrote dev"
