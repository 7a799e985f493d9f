#!/bin/sh
# run.sh — the README's "Using it" block, command by command, in a fresh
# clone of this repository's HEAD: every command must work in the order
# written (the first block; the next needs a checkpoint of your own).
# Usage: tests/readme/run.sh   (from the repo root)
set -u
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! git clone -q . "$tmp/clone" 2>"$tmp/clone.err"; then
	bad "git clone"; cat "$tmp/clone.err"; exit 1
fi
# the indented lines of the first block after "## Using it", comments cut
awk '/^## Using it/ { on = 1; next } on && /^    / { print; seen = 1; next } on && seen && !/^ *$/ { exit }' README.md \
	| sed 's/ *# .*$//; s/^    //' | grep -v '^$' > "$tmp/cmds"
[ -s "$tmp/cmds" ] || { bad "no commands found under ## Using it"; exit 1; }
while IFS= read -r cmd; do
	if (cd "$tmp/clone" && sh -c "$cmd") >"$tmp/out" 2>&1 </dev/null; then
		ok "README: $cmd"
	else
		bad "README: $cmd"; tail -5 "$tmp/out" | sed 's/^/    /'
	fi
done < "$tmp/cmds"
echo "readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
