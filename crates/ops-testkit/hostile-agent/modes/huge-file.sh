# Commits a 50 MB binary file (random bytes with NULs in it).
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
head -c 52428800 /dev/urandom >hostile-blob.bin
git add -- hostile-blob.bin
rails_commit "the task's own change" hostile-task.txt
echo "committed a huge file"
