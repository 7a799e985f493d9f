/* startup.c — bare-metal start-up for the QEMU Cortex-M machines
 * (mps2-an386, mps2-an500, mps3-an547), with newlib's semihosting library
 * (librdimon) for printf and exit. Link with -nostartfiles, --specs=rdimon.specs
 * and one of the linker scripts beside this file.
 *
 * Reset: enable the FPU (and MVE, which uses the same coprocessor bits),
 * copy .data from its load address, zero .bss, start SysTick for rt_icount,
 * open the semihosting handles, run the init arrays, exit(main()).
 * Any other exception prints its number and the faulting PC and exits with
 * status 3, so a crash under QEMU ends the run instead of hanging it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "rt.h"

#ifndef RT_SYSCLK_HZ
#error "RT_SYSCLK_HZ: the SysTick processor clock (mps2 25000000, mps3 32000000)"
#endif

/* linker-script symbols */
extern uint32_t __stack_top[], __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern char __heap_start[], __heap_end[];
extern void (*__preinit_array_start[])(void), (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

extern void initialise_monitor_handles(void);   /* librdimon */
int main(void);

#define REG(a) (*(volatile uint32_t *)(a))
#define CPACR     REG(0xE000ED88u)
#define ICSR      REG(0xE000ED04u)
#define SYST_CSR  REG(0xE000E010u)
#define SYST_RVR  REG(0xE000E014u)
#define SYST_CVR  REG(0xE000E018u)
#define ICSR_PENDSTSET (1u << 26)
#define SYST_RELOAD 0xFFFFFFu   /* the full 24 bits: one interrupt per 2^24 ticks */

void Reset_Handler(void);
void SysTick_Handler(void);
void Fault_Handler(void);

/* ---- instruction counter ------------------------------------------------ */

static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
	systick_wraps++;
}

uint64_t rt_ticks(void)
{
	uint32_t w, v;

	__asm__ volatile ("cpsid i" ::: "memory");
	w = systick_wraps;
	v = SYST_CVR;
	/* wrapped, but the interrupt has not run yet: count that wrap here
	 * and read the counter again, now surely after the wrap */
	if (ICSR & ICSR_PENDSTSET) {
		w++;
		v = SYST_CVR;
	}
	__asm__ volatile ("cpsie i" ::: "memory");
	return (uint64_t)w * (SYST_RELOAD + 1u) + (SYST_RELOAD - v);
}

uint64_t rt_icount(void)
{
	return rt_ticks() * 1000000000u / RT_SYSCLK_HZ;
}

uint64_t rt_icount_overhead(void)
{
	uint64_t t0 = rt_icount();
	return rt_icount() - t0;
}

/* ---- heap for newlib (printf); the model itself never allocates ---------- */

void *_sbrk(ptrdiff_t incr)
{
	static char *brk = __heap_start;
	char *old = brk;

	if (incr > __heap_end - brk || incr < __heap_start - brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	brk += incr;
	return old;
}

/* newlib's exit() runs __libc_fini_array, which calls _fini (crti.o's,
 * left out by -nostartfiles); there is nothing to finalise */
void _fini(void);
void _fini(void)
{
}

/* ---- reset and faults --------------------------------------------------- */

void Reset_Handler(void)
{
	uint32_t *s, *d;
	void (**f)(void);

	/* CP10 and CP11 full access: FPU and MVE. Before any C code that the
	 * compiler might vectorise or give float registers. */
	CPACR |= 0xFu << 20;
	__asm__ volatile ("dsb\n\tisb" ::: "memory");

	for (s = __data_load, d = __data_start; d < __data_end; )
		*d++ = *s++;
	for (d = __bss_start; d < __bss_end; )
		*d++ = 0;

	SYST_RVR = SYST_RELOAD;
	SYST_CVR = 0;
	SYST_CSR = 7;   /* enable, interrupt on wrap, processor clock */

	initialise_monitor_handles();
	for (f = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	for (f = __init_array_start; f < __init_array_end; f++)
		(*f)();
	exit(main());
}

/* r0 = the stacked frame (r0-r3, r12, lr, pc, xpsr), r1 = IPSR */
void fault_report(const uint32_t *frame, uint32_t ipsr);
void fault_report(const uint32_t *frame, uint32_t ipsr)
{
	static const char hex[] = "0123456789abcdef";
	char msg[] = "rt: exception 000 at pc 00000000\n";
	uint32_t pc = frame[6];
	int i;

	msg[14] = (char)('0' + ipsr / 100 % 10);
	msg[15] = (char)('0' + ipsr / 10 % 10);
	msg[16] = (char)('0' + ipsr % 10);
	for (i = 0; i < 8; i++)
		msg[24 + i] = hex[(pc >> (28 - 4 * i)) & 0xF];
	write(2, msg, sizeof msg - 1);
	_exit(3);
}

__attribute__((naked)) void Fault_Handler(void)
{
	__asm__ volatile (
		"tst lr, #4\n\t"
		"ite eq\n\t"
		"mrseq r0, msp\n\t"
		"mrsne r0, psp\n\t"
		"mrs r1, ipsr\n\t"
		"b fault_report\n\t");
}

/* 16 system exceptions; no device interrupt is enabled, so none follow */
__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
	(void (*)(void))__stack_top,
	Reset_Handler,
	Fault_Handler,  /* NMI */
	Fault_Handler,  /* HardFault */
	Fault_Handler,  /* MemManage */
	Fault_Handler,  /* BusFault */
	Fault_Handler,  /* UsageFault */
	Fault_Handler,  /* SecureFault (Armv8-M) */
	0, 0, 0,
	Fault_Handler,  /* SVCall */
	Fault_Handler,  /* DebugMonitor */
	0,
	Fault_Handler,  /* PendSV */
	SysTick_Handler,
};
