#!/bin/sh
# summary.sh — one Markdown table row per harness from the campaign's logs
# (fuzz/campaign.sh): inputs run, inputs/s, final coverage, peak RSS,
# wall time, crash files. Usage: sh fuzz/summary.sh [LOGDIR] [HARNESS...]
set -u
L=${1:-build/fuzz/logs}
[ $# -gt 0 ] && shift
echo "| harness | inputs run | inputs/s | cov | ft | corpus | peak RSS | wall time | findings |"
echo "|---|---|---|---|---|---|---|---|---|"
for h in ${*:-target api ltd weights model}; do
	log=$L/$h.log
	[ -f "$log" ] || continue
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$L/$h.time" 2>/dev/null)
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$L/$h.time" 2>/dev/null)
	crashes=$(grep -cE '^==[0-9]+==ERROR|deadly signal|api fuzz:' "$log")
	echo "| $h | ${runs:-?} | ${speed:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $(( ${rss:-0} / 1024 )) MiB | ${wall:-?} | $crashes |"
done
