# Shared by the rails' modes (push-main, force-push-dev, delete-dev); sourced by them.
# With `--around` a mode, after its pushes were refused, moves origin's branch
# without git push, straight in the origin's directory: what an agent holding its
# own credentials would manage, or anything else that is not ops.
rails_commit() {
  printf '%s\n' "$1" >"$2"
  git add -- "$2"
  git commit --quiet --no-verify -m "hostile: $2"
}
rails_origin_dir() {
  git remote get-url origin
}
rails_try() {
  echo "hostile-agent: \$ $*"
  if "$@"; then echo "hostile-agent: it worked"; else echo "hostile-agent: refused"; fi
}
