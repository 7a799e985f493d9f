/* rt.c — the runtime's instruction counter on RV32 (QEMU virt, M-mode).
 * Start-up, .data/.bss, the FPU (mstatus.FS) and semihosting come from
 * picolibc's crt0 (--specs=picolibc.specs --oslib=semihost); the memory
 * layout from picolibc.ld with --defsym (see ../README.md). */
#include <stdint.h>
#include "rt.h"

/* instret, read as 64 bits from two 32-bit halves: re-read if the high
 * half moved between the reads */
uint64_t rt_ticks(void)
{
	uint32_t hi, lo, hi2;

	do {
		__asm__ volatile ("csrr %0, instreth" : "=r"(hi));
		__asm__ volatile ("csrr %0, instret" : "=r"(lo));
		__asm__ volatile ("csrr %0, instreth" : "=r"(hi2));
	} while (hi != hi2);
	return (uint64_t)hi << 32 | lo;
}

uint64_t rt_icount(void)
{
	return rt_ticks();
}

uint64_t rt_icount_overhead(void)
{
	uint64_t t0 = rt_icount();
	return rt_icount() - t0;
}
