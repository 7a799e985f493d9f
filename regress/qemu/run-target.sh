#!/bin/sh
# run-target.sh — build C files for a bare-metal target and run them in QEMU.
#
#   regress/qemu/run-target.sh [--icount] [--timeout SECONDS] [--build-only]
#                              TARGET OUTDIR C_FILES...
#
# TARGET is cortex-m4, cortex-m7, cortex-m55 or riscv32. Each C file is
# compiled with the target's flags and -std=c99 -O2 -Wall -Wextra -Werror
# (plus $EXTRA_CFLAGS), linked with runtime/ into OUTDIR/TARGET.elf, and run
# in QEMU under `timeout` (default 300 s; a hang is a failure, status 124).
# The program's stdout comes out on stdout (on riscv32 picolibc's semihosted
# stdout arrives on QEMU's stderr, so that is sent to stdout as well), and
# the script exits with the program's exit status.
#
#   --icount      run with -icount shift=0: one guest instruction per ns of
#                 virtual time, so rt_icount() (runtime/rt.h) is repeatable
#   --build-only  build OUTDIR/TARGET.elf and print the command that runs it
#
# The directory of every C file is on the include path, and so is runtime/
# (for rt.h). Memory maps and flags: runtime/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
rt=$(cd "$here/../../runtime" && pwd)

icount=
timeout_s=300
build_only=
while [ $# -gt 0 ]; do
	case $1 in
	--icount) icount=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	--) shift; break ;;
	-*) echo "run-target.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 3 ]; then
	sed -n '3,5p' "$0" | sed 's/^# *//' >&2
	exit 2
fi
target=$1 out=$2
shift 2

warn="-std=c99 -O2 -Wall -Wextra -Werror -ffunction-sections -fdata-sections"

case $target in
cortex-m4|cortex-m7|cortex-m55)
	cc=arm-none-eabi-gcc
	case $target in
	cortex-m4)  arch="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
		    machine=mps2-an386 hz=25000000 ;;
	cortex-m7)  arch="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16"
		    machine=mps2-an500 hz=25000000 ;;
	cortex-m55) arch="-mcpu=cortex-m55 -mthumb -mfloat-abi=hard"
		    machine=mps3-an547 hz=32000000 ;;
	esac
	rtsrc="$rt/cortex-m/startup.c"
	rtdef="-DRT_SYSCLK_HZ=$hz"
	ldflags="--specs=rdimon.specs -nostartfiles -L$rt/cortex-m -T$machine.ld -Wl,--gc-sections"
	qemu="qemu-system-arm -M $machine"
	;;
riscv32)
	cc=riscv64-unknown-elf-gcc
	# the specs also give the compiler picolibc's headers
	arch="-march=rv32imafc -mabi=ilp32f --specs=picolibc.specs"
	rtsrc="$rt/riscv32/rt.c"
	rtdef=
	# QEMU virt: 128 MiB of RAM at 0x80000000 by default. picolibc.ld
	# takes the regions from these symbols: 32 MiB for code and .rodata
	# (the weights), 16 MiB for .data, .bss, heap and a 64 KiB stack.
	# crt0-semihost.o calls exit(main()) and reports traps (plain crt0.o
	# spins after main returns)
	ldflags="--crt0=semihost --oslib=semihost
		-Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x2000000
		-Wl,--defsym=__ram=0x82000000 -Wl,--defsym=__ram_size=0x1000000
		-Wl,--defsym=__stack_size=0x10000"
	qemu="qemu-system-riscv32 -M virt -bios none"
	;;
*)
	echo "run-target.sh: unknown target '$target' (cortex-m4, cortex-m7, cortex-m55, riscv32)" >&2
	exit 2
	;;
esac

mkdir -p "$out"
incs="-I$rt"
for f in "$@"; do
	incs="$incs -I$(dirname "$f")"
done

# the runtime, with the same warnings (word splitting of the flag lists is
# wanted; paths with spaces are not supported)
# shellcheck disable=SC2086
$cc $arch $warn $rtdef -I"$rt" -c "$rtsrc" -o "$out/rt-$target.o"
objs="$out/rt-$target.o"
for f in "$@"; do
	o="$out/$(basename "$f" .c)-$target.o"
	# shellcheck disable=SC2086
	$cc $arch $warn ${EXTRA_CFLAGS:-} $incs -c "$f" -o "$o"
	objs="$objs $o"
done
elf="$out/$target.elf"
# shellcheck disable=SC2086
$cc $arch $ldflags -o "$elf" $objs -lm

opts="-nographic -monitor none -semihosting-config enable=on,target=native"
[ -n "$icount" ] && opts="$opts -icount shift=0"
cmd="$qemu $opts -kernel $elf"
if [ -n "$build_only" ]; then
	echo "$cmd"
	exit 0
fi

set +e
if [ "$target" = riscv32 ]; then
	# shellcheck disable=SC2086
	timeout "$timeout_s" $cmd </dev/null 2>&1
else
	# shellcheck disable=SC2086
	timeout "$timeout_s" $cmd </dev/null
fi
rc=$?
set -e
if [ $rc -eq 124 ]; then
	echo "run-target.sh: $target: no exit within ${timeout_s} s (hang?)" >&2
fi
exit $rc
