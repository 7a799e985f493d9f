/* fma_peak.c — this core's single-thread fp32 FMA peak: 10 independent
 * chains of 256-bit FMAs (enough to cover the latency on two FMA ports),
 * 2 flops per lane. Prints GFLOP/s. */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
	__m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
	__m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3),
	       a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7),
	       a8 = _mm256_set1_ps(8), a9 = _mm256_set1_ps(9);
	struct timespec t0, t1;
	long n = 100000000, i;
	double best = 0;
	for (int rep = 0; rep < 5; rep++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* ten separate variables, so they live in registers */
		for (i = 0; i < n; i++) {
			a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c);
			a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
			a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
			a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
			a8 = _mm256_fmadd_ps(a8, m, c); a9 = _mm256_fmadd_ps(a9, m, c);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		double g = 2.0 * 8 * 10 * (double)n / s / 1e9;
		best = g > best ? g : best;
	}
	float out[8];
	__m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
				 _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)), _mm256_add_ps(a8, a9)));
	_mm256_storeu_ps(out, s);
	printf("{\"fma_peak_gflops\": %.3f, \"sink\": %g}\n", best, (double)out[0]);
	return 0;
}
