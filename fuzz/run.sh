#!/bin/sh
# run.sh — run the libFuzzer harnesses built by `make fuzz-build`.
#
# Usage (from the repo root):  sh fuzz/run.sh [-t SECONDS] [-c CORPUS_DIR] [HARNESS...]
#
# For each harness (default: ltd weights target api model):
#   1. every file in fuzz/regress/HARNESS/ once, no fuzzing: [PASS]/[FAIL]
#      per file (these are the inputs that once found a bug);
#   2. with -t SECONDS > 0, fuzz for that long on one worker, starting from
#      the seeds in fuzz/corpus/HARNESS/ with fuzz/HARNESS.dict (model:
#      ltd.dict); new inputs
#      go to CORPUS_DIR/HARNESS (-c; default a temporary folder, so every
#      run starts from the committed seeds). A crash, leak, sanitizer report
#      or timeout is a [FAIL]; the input is kept in $FB/artifacts/.
# Prints "fuzz: N passed, M failed"; exits 1 if any failed.
# FB=build/fuzz names the build folder.
set -u
FB=${FB:-build/fuzz}
secs=0
corpus=""
while getopts t:c: o; do
	case $o in
	t) secs=$OPTARG ;;
	c) corpus=$OPTARG ;;
	*) echo "usage: fuzz/run.sh [-t SECONDS] [-c CORPUS_DIR] [HARNESS...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
harnesses=${*:-"ltd weights target api model"}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass + 1)); }
bad() { echo "[FAIL] $*"; fail=$((fail + 1)); }

# per-harness libFuzzer options: input size and per-input time limit
opts() {
	case $1 in
	ltd)     echo "-max_len=4096 -timeout=10" ;;
	weights) echo "-max_len=20000 -timeout=10" ;;
	target)  echo "-max_len=4096 -timeout=10" ;;
	api)     echo "-max_len=1024 -timeout=10" ;;
	model)   echo "-max_len=4096 -timeout=10" ;;
	esac
}

mkdir -p "$FB/artifacts"
for h in $harnesses; do
	bin=$FB/$h
	if [ ! -x "$bin" ]; then
		bad "$h: $bin not built (make fuzz-build)"
		continue
	fi
	for f in fuzz/regress/"$h"/*; do
		[ -f "$f" ] || continue
		if "$bin" $(opts "$h") "$f" >"$tmp/out" 2>&1; then
			ok "$h: regress/${f##*/}"
		else
			bad "$h: regress/${f##*/}"
			grep -E 'ERROR|SUMMARY|runtime error|internal error|api fuzz' "$tmp/out" | head -5 | sed 's/^/    /'
		fi
	done
	[ "$secs" -gt 0 ] || continue
	dir=${corpus:-$tmp/corpus}/$h
	mkdir -p "$dir"
	dict=""
	[ -f "fuzz/$h.dict" ] && dict="-dict=fuzz/$h.dict"
	[ "$h" = model ] && dict="-dict=fuzz/ltd.dict"
	# shellcheck disable=SC2046,SC2086
	"$bin" $(opts "$h") $dict -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$FB/artifacts/$h-" "$dir" "fuzz/corpus/$h" >"$tmp/out" 2>&1
	rc=$?
	stats=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/out")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/out")
	cov=$(grep -E '^#[0-9]+' "$tmp/out" | tail -1 | sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ]; then
		ok "$h: fuzzed ${secs}s, ${stats:-?} inputs (${speed:-?}/s), ${cov:-no coverage line}"
	else
		bad "$h: fuzzing stopped with exit status $rc after ${stats:-?} inputs"
		grep -E 'ERROR|SUMMARY|runtime error|internal error|api fuzz|Test unit written' "$tmp/out" | head -8 | sed 's/^/    /'
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
