#!/bin/sh
# run.sh — the malformed-input suite: every diagnostic ltcc gives for a
# bad model description or weight file, checked byte for byte.
#
# Usage (from the repo root, after make):  sh tests/err/run.sh [NAME...]
#
# For each tests/err/NAME.ltd (or the NAMEs given):
#   - run  build/ltcc tests/err/NAME.ltd -o TMP/out.c
#   - stderr must equal tests/err/NAME.err exactly (a diff is shown if not);
#   - the exit status must be the one in NAME.status if there is one, else
#     1 when NAME.err holds an "error:" and 0 when it does not (warnings);
#   - a failed run must leave no output behind (no out.c, out.h or
#     temporaries); a successful one must leave exactly out.c and out.h.
# Then the usage checks (exit 2, or 1 for unreadable input/output).
# Prints [PASS] NAME / [FAIL] NAME, then "N passed, M failed"; exit 1 if any
# failed. LTCC=path overrides the compiler (e.g. an ASan build).
#
# NAME.safetensors files are written by make_bad_weights.py (committed).
# To add a case: write NAME.ltd (toy.ltd with one defect), then
#   build/ltcc tests/err/NAME.ltd -o /tmp/x.c 2> tests/err/NAME.err
# and read NAME.err: file:line:col, a clear message, the caret in place.
set -u
LTCC=${LTCC:-build/ltcc}
D=tests/err
if [ ! -x "$LTCC" ] || [ ! -f "$D/toy.ltd" ]; then
	echo "run.sh: run from the repo root after make ($LTCC, $D/toy.ltd)" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-err.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
pass=0
fail=0

# report NAME PROBLEMS: PROBLEMS is empty for a pass, else one per line
report() {
	if [ -z "$2" ]; then
		echo "[PASS] $1"
		pass=$((pass + 1))
	else
		echo "[FAIL] $1"
		printf '%s\n' "$2" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}

# outputs DIR: the files ltcc left in DIR, besides our own stderr capture
outputs() {
	for f in "$1"/* "$1"/.[!.]*; do
		[ -e "$f" ] || continue
		[ "${f##*/}" = stderr ] || printf '%s ' "${f##*/}"
	done | sed 's/ $//'
}

# check_status RC WANT: a problem line, or nothing
check_status() {
	if [ "$1" -ge 128 ]; then
		echo "crashed: exit status $1 (signal $(($1 - 128)))"
	elif [ "$1" -ne "$2" ]; then
		echo "exit status $1, expected $2"
	fi
}

# ---- the .ltd cases ----

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(for f in "$D"/*.ltd; do basename "$f" .ltd; done)
fi
for name in $names; do
	ltd=$D/$name.ltd
	err=$D/$name.err
	w=$tmp/$name
	mkdir -p "$w"
	if [ ! -f "$ltd" ] || [ ! -f "$err" ]; then
		report "$name" "missing $ltd or $err"
		continue
	fi
	"$LTCC" "$ltd" -o "$w/out.c" 2>"$w/stderr" >/dev/null
	rc=$?
	if [ -f "$D/$name.status" ]; then
		want=$(cat "$D/$name.status")
	elif grep -q 'error:' "$err"; then
		want=1
	else
		want=0
	fi
	problems=$(check_status "$rc" "$want")
	if ! cmp -s "$err" "$w/stderr"; then
		problems="$problems
stderr differs from $err (--- expected, +++ got):
$(diff -u "$err" "$w/stderr" | tail -n +3)"
	fi
	left=$(outputs "$w")
	if [ "$rc" -ne 0 ] && [ -n "$left" ]; then
		problems="$problems
a failed compile left output behind: $left"
	elif [ "$rc" -eq 0 ] && [ "$left" != "out.c out.h" ]; then
		problems="$problems
a successful compile should leave out.c and out.h, left: ${left:-nothing}"
	fi
	report "$name" "$(printf '%s' "$problems" | sed '/^$/d')"
done

# orphaned expectations
for f in "$D"/*.err; do
	n=$(basename "$f" .err)
	[ -f "$D/$n.ltd" ] || report "$n" "$f has no $D/$n.ltd"
done

# ---- usage and I/O ----

# usage NAME STATUS EXPECTED-STDERR ARGS...: run ltcc ARGS (with -o into a
# fresh folder unless ARGS give their own), compare status and stderr
usage() {
	name=$1 want=$2 expect=$3
	shift 3
	w=$tmp/$name
	mkdir -p "$w"
	printf '%s' "$expect" >"$w/expected"
	"$LTCC" "$@" 2>"$w/stderr" >/dev/null
	rc=$?
	problems=$(check_status "$rc" "$want")
	if ! cmp -s "$w/expected" "$w/stderr"; then
		problems="$problems
stderr differs (--- expected, +++ got):
$(diff -u "$w/expected" "$w/stderr" | tail -n +3)"
	fi
	rm -f "$w/expected"
	left=$(outputs "$w")
	[ -z "$left" ] || problems="$problems
left output behind: $left"
	report "$name" "$(printf '%s' "$problems" | sed '/^$/d')"
}

help="(try 'ltcc --help')"
toy=$D/toy.ltd
usage usage-no-arguments 2 "ltcc: expected one model file (MODEL.ltd)
$help
"
usage usage-unknown-option 2 "ltcc: unknown option '--bogus'
$help
" "$toy" --bogus -o "$tmp/usage-unknown-option/out.c"
usage usage-unknown-short-option 2 "ltcc: unknown option '-x'
$help
" -x "$toy" -o "$tmp/usage-unknown-short-option/out.c"
usage usage-unknown-option-near 2 "ltcc: unknown option '--quantise'; did you mean '--quantize'?
$help
" "$toy" --quantise int8 -o "$tmp/usage-unknown-option-near/out.c"
usage usage-unknown-option-after-operand 2 "ltcc: unknown option '-O'
$help
" "$toy" -O2 -o "$tmp/usage-unknown-option-after-operand/out.c"
usage usage-long-option-needs-value 2 "ltcc: option '--report-json' needs a value
$help
" "$toy" --report-json
usage usage-option-needs-value 2 "ltcc: option '-o' needs a value
$help
" "$toy" -o
usage usage-unknown-target 2 "ltcc: unknown target 'avx' (ltcc --list-targets shows them)
$help
" "$toy" -t avx -o "$tmp/usage-unknown-target/out.c"
usage usage-unknown-target-near 2 "ltcc: unknown target 'cortex-m3'; did you mean 'cortex-m4'? (ltcc --list-targets shows them)
$help
" "$toy" -t cortex-m3 -o "$tmp/usage-unknown-target-near/out.c"
usage usage-bad-prefix 2 "ltcc: prefix '9x' is not a C identifier
$help
" "$toy" --prefix 9x -o "$tmp/usage-bad-prefix/out.c"
usage usage-prefix-with-dash 2 "ltcc: prefix 'my-model' is not a C identifier
$help
" "$toy" --prefix my-model -o "$tmp/usage-prefix-with-dash/out.c"
usage usage-output-not-c 2 "ltcc: output '$tmp/usage-output-not-c/out.txt' must end in .c (the header is written beside it)
$help
" "$toy" -o "$tmp/usage-output-not-c/out.txt"
usage usage-two-inputs 2 "ltcc: expected exactly one model file
$help
" "$toy" "$toy" -o "$tmp/usage-two-inputs/out.c"
usage usage-unknown-dump 2 "ltcc: unknown dump 'tokens' (ast, model or ir)
$help
" "$toy" -d tokens
usage usage-unknown-quantize 2 "ltcc: unknown --quantize 'int4' (none, w8 or int8)
$help
" "$toy" --quantize int4 -o "$tmp/usage-unknown-quantize/out.c"
usage usage-quantize-twice 2 "ltcc: --quantize int8 conflicts with the earlier --quantize w8
$help
" "$toy" --quantize w8 --quantize int8 -o "$tmp/usage-quantize-twice/out.c"
usage input-unreadable 1 "ltcc: error: $D/no-such-model.ltd: cannot read model description: No such file or directory
" "$D/no-such-model.ltd" -o "$tmp/input-unreadable/out.c"
usage output-unwritable 1 "ltcc: error: cannot write $tmp/output-unwritable/no-such-dir/out.c: No such file or directory
" "$toy" -o "$tmp/output-unwritable/no-such-dir/out.c"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
