/* profile_main.c — instructions per function of one compiled model
 * (prefix b) on a bare-metal target under QEMU -icount shift=0: the
 * encoder and the decoder steps as run_model.h runs them. This file is built
 * with -finstrument-functions and includes the model's (through
 * prof_kernels.h, which bench/bench.py writes: `#include "b.c"` and
 * PROF_KERNELS, the addresses of the kernels the model calls). GCC calls
 * the two hooks below at each function's entry and exit. The instructions
 * run inside a kernel call are that kernel's, whatever it calls (another
 * kernel as a helper, expf); outside one they are the innermost
 * function's. The hooks' own cost, measured on an empty instrumented
 * function, is taken off per call. Prints one line per function:
 * "fn ADDRESS INSNS CALLS", then one JSON object of totals; bench/bench.py
 * names the addresses from the ELF's symbols. */
#include <stdio.h>
#include "prof_kernels.h"
#include "rt.h"

#include "run_model.h"

#define NO_PROF __attribute__((no_instrument_function))
#define MAXF 128

static struct { void *fn; uint64_t insns; uint32_t calls; } prof[MAXF];
static void *stack[64];
static void *const kernels[] = PROF_KERNELS;
static void *owner;     /* the kernel whose call this is, or NULL */
static int depth, nprof, owner_depth;
static uint64_t last;

NO_PROF static int is_kernel(void *fn)
{
	unsigned i;
	for (i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
		if (kernels[i] == fn)
			return 1;
	return 0;
}

NO_PROF static int slot(void *fn)
{
	int i;
	for (i = 0; i < nprof; i++)
		if (prof[i].fn == fn)
			return i;
	if (nprof == MAXF)
		return MAXF - 1;  /* the last slot takes what does not fit */
	prof[nprof].fn = fn;
	return nprof++;
}

/* who the instructions since the last hook belong to */
NO_PROF static int charged(void)
{
	return slot(owner ? owner : stack[depth - 1]);
}

NO_PROF void __cyg_profile_func_enter(void *fn, void *site);
NO_PROF void __cyg_profile_func_exit(void *fn, void *site);

void __cyg_profile_func_enter(void *fn, void *site)
{
	uint64_t now = rt_icount();
	(void)site;
	if (depth > 0)
		prof[charged()].insns += now - last;
	if (depth < 64)
		stack[depth] = fn;
	if (!owner && is_kernel(fn)) {
		owner = fn;
		owner_depth = depth;
	}
	depth++;
	prof[slot(fn)].calls += !owner || owner == fn;
	last = rt_icount();
}

void __cyg_profile_func_exit(void *fn, void *site)
{
	uint64_t now = rt_icount();
	(void)site;
	(void)fn;
	prof[charged()].insns += now - last;
	depth--;
	if (owner && depth == owner_depth)
		owner = 0;
	last = rt_icount();
}

/* instrumented, empty: what a call costs the profile */
__attribute__((noinline)) static void empty(void)
{
	__asm__ volatile("");
}

int main(void)
{
	uint64_t enc, steps;
	int i, e;
	for (i = 0; i < 1000; i++)
		empty();
	e = slot((void *)empty);
	uint64_t per_call = prof[e].insns / 1000;
	for (i = 0; i < nprof; i++)
		prof[i].insns = prof[i].calls = 0;
	if (run_model(&enc, &steps))
		return 1;
	for (i = 0; i < nprof; i++) {
		uint64_t c = (uint64_t)prof[i].calls * per_call;
		if (prof[i].calls || prof[i].insns)
			printf("fn %p %llu %lu\n", prof[i].fn, (unsigned long long)(prof[i].insns > c ? prof[i].insns - c : 0),
			       (unsigned long)prof[i].calls);
	}
	printf("{\"encoder_insns\": %llu, \"steps_insns\": %llu, \"steps\": %d, \"hook_insns_per_call\": %llu}\n",
	       (unsigned long long)enc, (unsigned long long)steps, T, (unsigned long long)per_call);
	return 0;
}
