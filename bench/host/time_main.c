/* time_main.c — one compiled model (prefix b) timed on the host, run as
 * run_model.h runs it (the encoder over T tokens, T decoder steps), with
 * the time-stamp counter of bench/host/rt.h: the median ticks of each part
 * over REPS runs after one warm-up, and the counter's rate against
 * CLOCK_MONOTONIC over all of them. tools/ltcc-calibrate's x86 figures.
 * Usage: time_main [REPS]. Prints one JSON object. */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "b.h"
#include "rt.h"

#include "run_model.h"

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 15, r;
	uint64_t enc[1000], steps[1000], e, s;
	if (reps < 1 || reps > 1000 || run_model(&e, &s))
		return 1;
	double t0 = seconds();
	uint64_t c0 = rt_icount();
	for (r = 0; r < reps; r++)
		if (run_model(&enc[r], &steps[r]))
			return 1;
	double hz = (double)(rt_icount() - c0) / (seconds() - t0);
	qsort(enc, (size_t)reps, sizeof *enc, cmp);
	qsort(steps, (size_t)reps, sizeof *steps, cmp);
	printf("{\"encoder_ticks\": %llu, \"steps_ticks\": %llu, \"tsc_hz\": %.6g, \"tokens\": %d}\n",
	       (unsigned long long)enc[reps / 2], (unsigned long long)steps[reps / 2], hz, T);
	return 0;
}
