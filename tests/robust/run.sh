#!/bin/sh
# run.sh — hostile input and failed compiles (docs/robustness.md).
#
#   inject-*   text from the .ltd, the weights, a target file or a golden
#              file's name that tries to end a comment or a string in the
#              generated C: the output must compile and `nm` must show no
#              symbol the input asked for (or the input is refused);
#   read-*     inputs that are not regular files or are too large: a clear
#              error naming the file, fast (old ltcc hung on a FIFO and ran
#              out of memory on /dev/zero);
#   atomic-*   a compile that fails after writing some outputs must leave
#              every previous output untouched and no temporary behind.
#
# Usage (from the repo root, after make):  sh tests/robust/run.sh
# LTCC=path overrides the compiler; CC the C compiler for generated code.
set -u
LTCC=${LTCC:-build/ltcc}
CC=${CC:-cc}
PY=${PY:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-robust.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
SYM=ltcc_injected_symbol

# run NAME STATUS COMMAND...: runs it with a 20 s limit, stderr to $T/NAME.err;
# true when the exit status is STATUS
run() {
	name=$1 want=$2; shift 2
	timeout 20 "$@" >"$T/$name.out" 2>"$T/$name.err"
	st=$?
	[ "$st" = "$want" ] && return 0
	bad "$name: exit $st, expected $want"
	sed 's/^/    /' "$T/$name.err" | head -5
	return 1
}
# says NAME TEXT: stderr of NAME holds TEXT
says() {
	grep -qF -- "$2" "$T/$1.err" && return 0
	bad "$1: stderr lacks '$2'"
	sed 's/^/    /' "$T/$1.err" | head -5
	return 1
}
# leftovers DIR: temporaries or backups ltcc left in DIR
leftovers() { ls -A "$1" | grep -E '\.ltcc-|\.tmp' ; }
# no_symbol NAME OBJ: the object has no symbol named $SYM
no_symbol() {
	if nm "$2" | awk '{ print $NF }' | grep -qx "$SYM"; then
		bad "$1: $SYM is in $2"
		return 1
	fi
	return 0
}

# ---- inject: .ltd strings and safetensors names ----
# models/lm with its decoder prefix (and so every weight name) holding the
# end of a comment and a declaration
I=$T/inject && mkdir -p "$I"
"$PY" - "$I" <<'EOF' || bad "inject: could not write the model"
import sys, os
sys.path.insert(0, "tools")
import st
d = sys.argv[1]
evil = "decoder*/ int ltcc_injected_symbol; /*??/\\."
ts, meta = st.load("models/lm.safetensors", with_metadata=True)
st.save(os.path.join(d, "evil.safetensors"),
        {evil + k[len("decoder."):] if k.startswith("decoder.") else k: v for k, v in ts.items()})
src = open("models/lm.ltd").read().replace('weights "lm.safetensors";', 'weights "evil.safetensors";')
src = src.replace("decoder {", 'decoder {\n    prefix "decoder*/ int ltcc_injected_symbol; /*??/\\\\.";', 1)
open(os.path.join(d, "evil.ltd"), "w").write(src)
# three layer prefixes that differ only where a C identifier cannot
two = {k.replace("decoder.layers.0.", "decoder.l.0.").replace("decoder.layers.1.", "decoder.l_0.")
        .replace("decoder.layers.2.", "decoder.l.0_"): v for k, v in ts.items()}
st.save(os.path.join(d, "twins.safetensors"), two)
src = open("models/lm.ltd").read().replace('weights "lm.safetensors";', 'weights "twins.safetensors";')
src = src.replace("    branch dynamic 64 heads 4 glu;\n",
                  '    branch dynamic 64 heads 4 glu;\n    layer 0 { prefix "decoder.l.0."; }\n'
                  '    layer 1 { prefix "decoder.l_0."; }\n    layer 2 { prefix "decoder.l.0_"; }\n', 1)
open(os.path.join(d, "twins.ltd"), "w").write(src)
EOF
if run inject-ltd-prefix 0 "$LTCC" "$I/evil.ltd" -o "$I/evil.c"; then
	if ! $CC -std=c99 -Wall -Wextra -pedantic -Werror -c -o "$I/evil.o" "$I/evil.c" 2>"$T/cc.err"; then
		bad "inject-ltd-prefix: the output does not compile"; head -5 "$T/cc.err"
	elif no_symbol inject-ltd-prefix "$I/evil.o"; then
		grep -qF 'decoder* / int ltcc_injected_symbol; / *? ?/?.' "$I/evil.c" \
			&& ok "inject-ltd-prefix: the name is in a comment, defused" \
			|| bad "inject-ltd-prefix: the weight name is not in the output, escaped"
	fi
fi

# each of lm's weights must stay its own array (old ltcc gave layers 1 and 2
# one name, and so layer 1's weights to both)
if run ident-collision 0 "$LTCC" "$I/twins.ltd" -o "$I/twins.c" && run lm 0 "$LTCC" models/lm.ltd -o "$I/lm.c"; then
	nt=$(grep -c '^static const float w_' "$I/twins.c") nl=$(grep -c '^static const float w_' "$I/lm.c")
	if ! $CC -std=c99 -Wall -Wextra -pedantic -Werror -c -o "$I/twins.o" "$I/twins.c"; then
		bad "ident-collision: the output does not compile"
	elif [ "$nt" != "$nl" ]; then
		bad "ident-collision: $nt weight arrays, lm has $nl"
	else
		ok "ident-collision: weight names that map to one identifier are numbered apart"
	fi
fi

# ---- inject: target file fields ----
tfile() {  # tfile NAME CFLAGS: a target file named NAME with these cflags
	sed -e "s|<target name=\"tiny-mcu\">|<target name=\"$1\">|" \
	    -e "s|<cflags>.*</cflags>|<cflags>$2</cflags>|" \
	    -e 's|flash="262144" ram="65536"|flash="0" ram="0"|' tests/targets/tiny-mcu.xml
}
tfile tiny "-O2 */ int ltcc_injected_symbol; /*" >"$I/cflags.xml"
run inject-target-cflags 1 "$LTCC" models/mixed.ltd --target-file "$I/cflags.xml" -o "$I/t.c" &&
	says inject-target-cflags "cflags '-O2 */ int ltcc_injected_symbol; /*' may hold only" &&
	[ ! -e "$I/t.c" ] && ok "inject-target-cflags: refused"
tfile "x */ int ltcc_injected_symbol; /*" "-O2" >"$I/name.xml"
run inject-target-name 1 "$LTCC" models/mixed.ltd --target-file "$I/name.xml" -o "$I/t.c" &&
	[ ! -e "$I/t.c" ] && ok "inject-target-name: refused"
tfile tiny "-std=c99 -O2 -DN=1,2 -I/x/y -mcpu=cortex-m4 --specs=nano.specs" >"$I/good.xml"
run target-cflags-ordinary 0 "$LTCC" models/mixed.ltd --target-file "$I/good.xml" -o "$I/t.c" &&
	grep -qF -- '-DN=1,2 -I/x/y -mcpu=cortex-m4 --specs=nano.specs' "$I/t.c" && ok "target-cflags-ordinary: accepted"

# ---- inject: command-line strings that reach the C ----
run inject-section 2 "$LTCC" models/mixed.ltd --section-weights 'w")))int ltcc_injected_symbol;//' -o "$I/s.c" &&
	says inject-section "section name" && ok "inject-section: refused"
run inject-output-name 2 "$LTCC" models/mixed.ltd -o "$I/a\"b.c" &&
	says inject-output-name "the file name may hold only" && ok "inject-output-name: refused"
run section-ordinary 0 "$LTCC" models/mixed.ltd --section-weights .rodata.ext_flash --section-arena .bss.dtcm \
	--section-state .noinit.sram2 -o "$I/s.c" &&
	grep -q 'section(".rodata.ext_flash")' "$I/s.c" && ok "section-ordinary: accepted"
# arena and state in their sections hold no bytes in the object (NOBITS)
if cc -std=c99 -O2 -c "$I/s.c" -o "$I/s.o" 2>/dev/null; then
	if objdump -h "$I/s.o" | grep -A1 -E ' \.(bss\.dtcm|noinit\.sram2) ' | grep -q CONTENTS; then
		bad "section-nobits: arena or state stored in the object"
	elif objdump -h "$I/s.o" | grep -q ' \.bss\.dtcm ' && objdump -h "$I/s.o" | grep -q ' \.noinit\.sram2 '; then
		ok "section-nobits: .bss.dtcm and .noinit.sram2 take no bytes in the object"
	else
		bad "section-nobits: the sections are missing from the object"
	fi
else
	bad "section-nobits: s.c does not compile"
fi
run section-load-image 2 "$LTCC" models/mixed.ltd --section-arena .dtcm -o "$I/s.c" &&
	says section-load-image "name it .bss.NAME or .noinit.NAME" && ok "section-load-image: refused"

# ---- inject: a golden file's name, which the testbench prints ----
if "$PY" tools/reference.py models/mixed.json models/mixed.safetensors "$I/gold" >/dev/null 2>"$T/ref.err"; then
	evil="$I/gold/x\";int ltcc_injected_symbol;char*y=\"??\\.golden"
	cp "$I/gold/mixed-short.golden" "$evil" && mkdir -p "$I/tb"
	if run inject-golden-name 0 "$LTCC" models/mixed.ltd -o "$I/m.c" --emit-testbench "$I/tb" --golden "$evil"; then
		if ! $CC -std=c99 -Wall -Wextra -pedantic -Werror -I"$I" -o "$I/tb/tb" "$I/tb/testbench.c" "$I/m.c" -lm 2>"$T/cc.err"; then
			bad "inject-golden-name: the testbench does not compile"; head -5 "$T/cc.err"
		elif no_symbol inject-golden-name "$I/tb/tb" && "$I/tb/tb" >"$T/tb.out"; then
			grep -qF 'case x";int ltcc_injected_symbol;char*y="??\.golden' "$T/tb.out" \
				&& ok "inject-golden-name: a string literal, the name printed intact" \
				|| bad "inject-golden-name: the testbench printed another name"
		else
			bad "inject-golden-name: the testbench failed"
		fi
	fi
else
	bad "inject-golden-name: reference.py failed"; head -3 "$T/ref.err"
fi

# ---- read: inputs that are not regular files, or too large ----
R=$T/read && mkdir -p "$R"
mkfifo "$R/fifo"
mkdir "$R/dir"
wltd() {  # wltd NAME WEIGHTS: models/mixed.ltd with another weights path
	sed "s|weights \"mixed.safetensors\";|weights \"$2\";|" models/mixed.ltd >"$R/$1.ltd"
}
wltd devzero /dev/zero
run read-weights-dev-zero 1 "$LTCC" "$R/devzero.ltd" -o "$R/o.c" &&
	says read-weights-dev-zero "/dev/zero: cannot read weight file: not a regular file" && ok "read-weights-dev-zero"
wltd fifo fifo
run read-weights-fifo 1 "$LTCC" "$R/fifo.ltd" -o "$R/o.c" &&
	says read-weights-fifo "fifo: cannot read weight file: not a regular file" && ok "read-weights-fifo"
wltd dir dir
run read-weights-directory 1 "$LTCC" "$R/dir.ltd" -o "$R/o.c" &&
	says read-weights-directory "dir: cannot read weight file: not a regular file" && ok "read-weights-directory"
run read-weights-over-limit 1 "$LTCC" models/mixed.ltd --max-weights-size 100K -o "$R/o.c" &&
	says read-weights-over-limit "models/mixed.safetensors: weight file is 526080 bytes, over the limit of 102400" &&
	ok "read-weights-over-limit"
run read-weights-at-limit 0 "$LTCC" models/mixed.ltd --max-weights-size 526080 -o "$T/at-limit.c" && ok "read-weights-at-limit"
run read-weights-bad-limit 2 "$LTCC" models/mixed.ltd --max-weights-size 12X -o "$R/o.c" &&
	says read-weights-bad-limit "is not a size" && ok "read-weights-bad-limit"
run read-ltd-dev-zero 1 "$LTCC" /dev/zero -o "$R/o.c" &&
	says read-ltd-dev-zero "/dev/zero: cannot read model description: not a regular file" && ok "read-ltd-dev-zero"
run read-ltd-fifo 1 "$LTCC" "$R/fifo" -o "$R/o.c" &&
	says read-ltd-fifo "cannot read model description: not a regular file" && ok "read-ltd-fifo"
head -c $((17 << 20)) /dev/zero | tr '\0' '#' >"$R/big.ltd"
run read-ltd-over-limit 1 "$LTCC" "$R/big.ltd" -o "$R/o.c" &&
	says read-ltd-over-limit "model description is 17825792 bytes, over the limit of 16777216" && ok "read-ltd-over-limit"
run read-target-fifo 1 "$LTCC" models/mixed.ltd --target-file "$R/fifo" -o "$R/o.c" &&
	says read-target-fifo "cannot read target description: not a regular file" && ok "read-target-fifo"
run read-golden-fifo 1 "$LTCC" models/mixed.ltd -o "$R/o.c" --emit-testbench "$R/tb" --golden "$R/fifo" &&
	says read-golden-fifo "cannot read golden file: not a regular file" && ok "read-golden-fifo"
[ -z "$(ls -A "$R" | grep -v -x -e fifo -e dir -e devzero.ltd -e fifo.ltd -e dir.ltd -e big.ltd)" ] &&
	ok "read-*: the failed compiles left nothing" || bad "read-*: output left behind: $(ls "$R")"

# ---- atomic: a failure late in the compile keeps every previous output ----
A=$T/atomic && mkdir -p "$A/tb"
prev() { for f in "$@"; do echo "previous $f" >"$A/$f"; done; }
same() {  # same NAME FILE...: each FILE still holds what prev wrote
	n=$1; shift
	for f in "$@"; do
		[ "$(cat "$A/$f" 2>/dev/null)" = "previous $f" ] || { bad "$n: $f was changed or removed"; return 1; }
	done
	return 0
}
clean() {  # clean NAME DIR...: no temporaries left
	n=$1; shift
	for d in "$@"; do
		l=$(leftovers "$d")
		[ -z "$l" ] || { bad "$n: left $l in $d"; return 1; }
	done
	return 0
}
prev out.c tb/testbench.c r.json r.svg
mkdir "$A/out.h"
run atomic-header-is-directory 1 "$LTCC" models/mixed.ltd -o "$A/out.c" --report-json "$A/r.json" \
		--report-svg "$A/r.svg" --emit-testbench "$A/tb" &&
	says atomic-header-is-directory "cannot create $A/out.h: it is a directory" &&
	same atomic-header-is-directory out.c tb/testbench.c r.json r.svg &&
	clean atomic-header-is-directory "$A" "$A/tb" && ok "atomic-header-is-directory: out.c, the reports and the testbench kept"
rmdir "$A/out.h"
run atomic-fit-failure 1 "$LTCC" models/wmt.ltd -t cortex-m4 -o "$A/out.c" --report-json "$A/r.json" \
		--report-svg "$A/r.svg" --emit-testbench "$A/tb" &&
	says atomic-fit-failure "does not fit" &&
	same atomic-fit-failure out.c tb/testbench.c r.json r.svg && [ ! -e "$A/out.h" ] &&
	clean atomic-fit-failure "$A" "$A/tb" && ok "atomic-fit-failure: the reports are not left behind"
mkdir "$A/r.svg.d"
run atomic-report-is-directory 1 "$LTCC" models/mixed.ltd -o "$A/out.c" --report-json "$A/r.json" --report-svg "$A/r.svg.d" &&
	same atomic-report-is-directory out.c r.json && [ ! -e "$A/out.h" ] &&
	clean atomic-report-is-directory "$A" && ok "atomic-report-is-directory: nothing replaced"
run atomic-all-written 0 "$LTCC" models/mixed.ltd -o "$A/out.c" --report-json "$A/r.json" \
		--report-svg "$A/r.svg" --emit-testbench "$A/tb" &&
	grep -q '"arena_bytes"' "$A/r.json" && grep -q '^<svg' "$A/r.svg" && grep -q 'int main' "$A/tb/testbench.c" &&
	grep -q 'mixed_decode_step' "$A/out.c" "$A/out.h" && clean atomic-all-written "$A" "$A/tb" &&
	ok "atomic-all-written: every output in place, no temporaries"
touch "$A/ref"
[ "$(stat -c %a "$A/out.c")" = "$(stat -c %a "$A/ref")" ] &&
	ok "atomic-mode: outputs get the usual permissions" || bad "atomic-mode: out.c is $(stat -c %a "$A/out.c")"
# unchanged outputs keep their time stamps; a changed one is replaced
"$LTCC" models/mixed.ltd -o "$A/out.c" >/dev/null 2>&1
touch -d '2001-01-01' "$A/out.c" "$A/out.h"
old=$(stat -c %Y "$A/out.c")
if run atomic-unchanged-kept 0 "$LTCC" models/mixed.ltd -o "$A/out.c" && clean atomic-unchanged-kept "$A"; then
	if [ "$(stat -c %Y "$A/out.c")" = "$old" ] && [ "$(stat -c %Y "$A/out.h")" = "$old" ]; then
		ok "atomic-unchanged-kept: same bytes, out.c and out.h untouched"
	else
		bad "atomic-unchanged-kept: an output with the same bytes was rewritten"
	fi
fi
if run atomic-changed-replaced 0 "$LTCC" models/mixed.ltd -o "$A/out.c" --quantize w8 &&
   clean atomic-changed-replaced "$A"; then
	if [ "$(stat -c %Y "$A/out.c")" != "$old" ] && grep -q 'int8_t' "$A/out.c"; then
		ok "atomic-changed-replaced: new bytes, out.c replaced"
	else
		bad "atomic-changed-replaced: out.c kept its old bytes"
	fi
fi

# -MD: a depfile make can use; the outputs go stale when the weights change
D=$T/dep
mkdir -p "$D"
cp models/mixed.ltd models/mixed.safetensors "$D/"
printf 'm.c:\n\t@echo rebuild\n-include m.d\n' > "$D/Makefile"
abs_ltcc=$(cd "$(dirname "$LTCC")" && pwd)/$(basename "$LTCC")
if run depfile 0 sh -c 'cd "$1" && "$2" mixed.ltd -o m.c -MD' sh "$D" "$abs_ltcc" && clean depfile "$D"; then
	touch -d '2001-01-01' "$D/mixed.ltd" "$D/mixed.safetensors"
	if [ "$(make --no-print-directory -s -C "$D" m.c)" = "" ] && touch "$D/mixed.safetensors" && [ "$(make --no-print-directory -s -C "$D" m.c)" = rebuild ] \
	   && grep -q '^m.c m.h: mixed.ltd mixed.safetensors$' "$D/m.d"; then
		ok "depfile: m.d names the .ltd and the weights; make rebuilds when the weights change"
	else
		bad "depfile: make does not see the dependencies in m.d"; sed 's/^/    /' "$D/m.d"
	fi
fi
run depfile-mf-needs-value 2 "$LTCC" "$D/mixed.ltd" -o "$D/m.c" -MF && ok "depfile-mf-needs-value: usage error"

echo "robust: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
