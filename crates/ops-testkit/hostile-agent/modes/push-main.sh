# Pushes the task's work straight to origin's main, every way git offers:
# the remote, forced, and the remote's URL named on the command line.
# `push-main --around`: then moves origin/main to it without git push.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
rails_commit "pushed straight to main by the agent" hostile-main.txt
rails_try git push origin HEAD:main
rails_try git push --force origin HEAD:refs/heads/main
rails_try git push "$(rails_origin_dir)" HEAD:main
if [[ "${1:-}" == "--around" ]]; then
  git --git-dir="$(rails_origin_dir)" fetch --quiet "$PWD" "+HEAD:refs/heads/main"
fi
echo "pushed the work to main"
