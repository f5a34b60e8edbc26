# Commits symlinks that leak: one outside the worktree, one at a secret file name.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
ln -s /etc/passwd passwd-link
ln -s ../.env env-link
git add -- passwd-link env-link
rails_commit "the task's own change" hostile-task.txt
echo "committed symlinks"
