# Fills the filesystem of DIR (ops' state dir, on a small tmpfs in the test) to
# the last byte after committing the task's change, so that ops' next write to
# its board fails with "database or disk is full".
# `fill-disk DIR`: the filler is DIR/filler; the test removes it to free space.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rails.sh"
dir="${1:?usage: fill-disk DIR}"
rails_commit "the task's own change" hostile-task.txt
dd if=/dev/zero of="$dir/filler" bs=16k 2>/dev/null || true
dd if=/dev/zero of="$dir/filler2" bs=512 2>/dev/null || true
echo "filled $(df -h "$dir" | tail -1)"
