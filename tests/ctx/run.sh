#!/bin/sh
# run.sh — model instances (P_ctx): tests/ctx/two.c steps two instances
# and the default one in turn and requires each sequence's logits bit for
# bit as run alone; for an encoder-decoder model and an LM, with the
# default buffers and with --external-buffers, on the host (under ASan and
# UBSan when clang is there) and in QEMU on cortex-m4.
# Usage: tests/ctx/run.sh   (from the repo root, after make)
set -u
LTCC=${LTCC:-build/ltcc}
B=${B:-build/ctx}
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
san=""
command -v clang >/dev/null && san="clang -fsanitize=address,undefined -fno-sanitize-recover=all"

for m in mixed lm; do
	for mode in default ext; do
		d=$B/$m-$mode
		rm -rf "$d"; mkdir -p "$d"
		opt=""; [ $mode = ext ] && opt="--external-buffers"
		# shellcheck disable=SC2086
		if ! "$LTCC" "models/$m.ltd" -o "$d/m.c" --prefix m $opt; then
			bad "$m/$mode: ltcc failed"; continue
		fi
		for cc in "cc" "$san"; do
			[ -n "$cc" ] || continue
			tag=${cc%% *}
			# shellcheck disable=SC2086
			if $cc -std=c99 -O1 -g -Wall -Wextra -Werror -I"$d" tests/ctx/two.c "$d/m.c" -o "$d/two-$tag" -lm \
			   && out=$("$d/two-$tag") && echo "$out" | grep -q "interleaved equals alone"; then
				ok "$m/$mode ($tag): two instances and the default one interleaved equal each alone"
			else
				bad "$m/$mode ($tag): ${out:-does not build}"
			fi
		done
	done
	d=$B/$m-m4
	rm -rf "$d"; mkdir -p "$d"
	if "$LTCC" "models/$m.ltd" -t cortex-m4 --no-fit-check -o "$d/m.c" --prefix m \
	   && out=$(EXTRA_CFLAGS="-I$d" sh regress/qemu/run-target.sh cortex-m4 "$d" "$d/m.c" tests/ctx/two.c 2>&1) \
	   && echo "$out" | grep -q "interleaved equals alone"; then
		ok "$m/cortex-m4 (QEMU): two instances and the default one interleaved equal each alone"
	else
		bad "$m/cortex-m4 (QEMU): $(echo "$out" | tail -3)"
	fi
done
echo "ctx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
