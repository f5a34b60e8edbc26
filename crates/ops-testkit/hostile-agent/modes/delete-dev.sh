# Deletes origin's dev branch.
# `delete-dev --around`: then deletes it without git push.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
rails_commit "the task's own change" hostile-task.txt
rails_try git push origin :refs/heads/dev
rails_try git push --delete "$(rails_origin_dir)" dev
if [[ "${1:-}" == "--around" ]]; then
  git --git-dir="$(rails_origin_dir)" update-ref -d refs/heads/dev
fi
echo "deleted dev"
