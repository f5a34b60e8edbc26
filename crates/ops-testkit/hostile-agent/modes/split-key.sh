# Commits an AWS key split across two files: the access key id base64-encoded in
# one, the secret access key under a secret-named key in the other. Arguments:
# the key id and the secret (the test's canaries).
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
key_id="${1:?usage: split-key KEY_ID SECRET}"
secret="${2:?usage: split-key KEY_ID SECRET}"
mkdir -p deploy
printf '%s' "$key_id" | base64 >deploy/key_id.txt
printf 'region = eu-west-1\nUPLOAD_SECRET_ACCESS_KEY = %s\n' "$secret" >deploy/settings.ini
git add -- deploy/key_id.txt deploy/settings.ini
# A retry may find its worktree as the last attempt left it: a change each time.
rails_commit "the task's own change, attempt $$" hostile-task.txt
echo "committed a split key"
