/* profile_main.c — instructions per function of one compiled model
 * (prefix b) on a bare-metal target under QEMU -icount shift=0: the
 * encoder and the decoder steps as run_model.h runs them. This file is built
 * with -finstrument-functions and includes the model's (through
 * prof_kernels.h, which bench/bench.py writes: `#include "b.c"` and
 * PROF_KERNELS, the addresses of the kernels the model calls). GCC calls
 * the two hooks below at each function's entry and exit. The instructions
 * run inside a kernel call are that kernel's, whatever it calls (another
 * kernel as a helper, expf); outside one they are the innermost
 * function's. What the hooks leak into the counts, measured on an empty
 * instrumented function, is taken off per hooked call, nested ones
 * included. Prints one line per function, "fn ADDRESS ENCODER_INSNS
 * STEPS_INSNS CALLS", then one JSON object of totals; bench/bench.py names
 * the addresses from the ELF's symbols. */
#include <stdio.h>
#include "prof_kernels.h"
#include "rt.h"

#define NO_PROF __attribute__((no_instrument_function))
#define MAXF 128

/* calls: the function's own, not counting those from inside a kernel's
 * call. A hooked call leaks some of its hooks' instructions to the callee
 * (inner) and some to the caller (outer), each a fixed number measured in
 * main: inner and outer count the calls whose part was charged here. */
static struct { void *fn; uint64_t insns, enc; uint32_t calls, inner, outer, enc_inner, enc_outer; } prof[MAXF];
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
	if (depth > 0) {
		prof[charged()].insns += now - last;
		prof[charged()].outer++;
	}
	if (depth < 64)
		stack[depth] = fn;
	if (!owner && is_kernel(fn)) {
		owner = fn;
		owner_depth = depth;
	}
	depth++;
	prof[slot(fn)].calls += !owner || owner == fn;
	prof[charged()].inner++;
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

/* what the encoder's run charged each function, kept apart */
NO_PROF static void after_encoder(void)
{
	int i;
	for (i = 0; i < MAXF; i++) {
		prof[i].enc = prof[i].insns;
		prof[i].enc_inner = prof[i].inner;
		prof[i].enc_outer = prof[i].outer;
	}
}
#define AFTER_ENCODER after_encoder

#include "run_model.h"

/* instrumented, empty: the hooks' leaks are what 1000 calls of it leak
 * into it and into its caller, less what 1000 calls of the same function
 * uninstrumented cost */
__attribute__((noinline)) static void empty(void)
{
	__asm__ volatile("");
}

__attribute__((noinline)) NO_PROF static void empty_plain(void)
{
	__asm__ volatile("");
}

int main(void)
{
	uint64_t enc, steps, m0, m1, t1, t2, inner, outer;
	int i, m = charged();
	m0 = prof[m].insns + (rt_icount() - last);
	for (i = 0; i < 1000; i++)
		empty();
	m1 = prof[m].insns + (rt_icount() - last);
	t1 = rt_icount();
	for (i = 0; i < 1000; i++)
		empty_plain();
	t2 = rt_icount();
	inner = prof[slot((void *)empty)].insns / 1000;
	outer = (m1 - m0 - (t2 - t1)) / 1000;
	for (i = 0; i < nprof; i++)
		prof[i].insns = prof[i].calls = prof[i].inner = prof[i].outer = 0;
	if (run_model(&enc, &steps))
		return 1;
	for (i = 0; i < nprof; i++) {
		uint64_t c = prof[i].inner * inner + prof[i].outer * outer;
		uint64_t ce = prof[i].enc_inner * inner + prof[i].enc_outer * outer;
		uint64_t all = prof[i].insns > c ? prof[i].insns - c : 0, enc = prof[i].enc > ce ? prof[i].enc - ce : 0;
		if (prof[i].calls || prof[i].insns)
			printf("fn %p %llu %llu %lu\n", prof[i].fn, (unsigned long long)enc,
			       (unsigned long long)(all > enc ? all - enc : 0), (unsigned long)prof[i].calls);
	}
	printf("{\"encoder_insns\": %llu, \"steps_insns\": %llu, \"steps\": %d, "
	       "\"hook_leak_inner\": %llu, \"hook_leak_outer\": %llu}\n", (unsigned long long)enc,
	       (unsigned long long)steps, T, (unsigned long long)inner, (unsigned long long)outer);
	return 0;
}
