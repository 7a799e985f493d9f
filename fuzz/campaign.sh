#!/bin/sh
# campaign.sh — the long fuzzing campaign recorded in fuzz/README.md: each
# harness in turn on one worker pinned to one core, up to RUNS inputs or
# its time budget, whichever comes first. Logs, corpora and crashes go to
# $FB/logs, $FB/corpus/HARNESS and $FB/artifacts; /usr/bin/time -v gives
# the peak RSS and the wall time.
#
# Usage (from the repo root, after make fuzz-build):
#   nohup sh fuzz/campaign.sh [HARNESS:SECONDS ...] &
# Default: the plan of the recorded campaign, target:900 ltd:1700
# weights:1700 model:720 api:2000 (about 117 minutes).
# CPU=1 picks the core; RUNS=10000000 the cap per harness.
set -u
FB=${FB:-build/fuzz}
CPU=${CPU:-1}
RUNS=${RUNS:-10000000}
plan=${*:-"target:900 ltd:1700 weights:1700 model:720 api:2000"}
mkdir -p "$FB/logs" "$FB/artifacts"
maxlen() {
	case $1 in
	ltd|target|model) echo 4096 ;;
	weights) echo 20000 ;;
	api) echo 1024 ;;
	esac
}
for hs in $plan; do
	h=${hs%%:*} secs=${hs#*:}
	mkdir -p "$FB/corpus/$h"
	dict=fuzz/$h.dict
	[ "$h" = model ] && dict=fuzz/ltd.dict
	cmd="$FB/$h -runs=$RUNS -max_total_time=$secs -max_len=$(maxlen "$h") -timeout=10 -dict=$dict -print_final_stats=1 -artifact_prefix=$FB/artifacts/$h- $FB/corpus/$h fuzz/corpus/$h"
	echo "$cmd" >"$FB/logs/$h.cmd"
	echo "$(date -u +%FT%TZ) start $h: $cmd"
	# shellcheck disable=SC2086
	/usr/bin/time -v -o "$FB/logs/$h.time" taskset -c "$CPU" $cmd >"$FB/logs/$h.log" 2>&1
	echo "$(date -u +%FT%TZ) end $h: exit $?"
done
