/* matmul_main.c — the x86-avx2 matmul alone at the encoder's shapes
 * (30 rows; in, out from argv pairs), against this core's FMA peak
 * measured in the same run: per shape, 41 samples of (the peak loop of
 * fma_peak.c, shortened; then 10 calls of k_linear on the same weights),
 * and the median of their ratios, so a change in the machine's load falls
 * on both alike; and the same with the weights streamed, a different copy
 * of W each call, as in a model. Includes a model file ltcc wrote for -t x86-avx2 (b.c,
 * for its k_linear_pk, which reads W packed as ltcc.h's pack.c section
 * says: panels of 16 rows, each column by column). Prints one JSON
 * object per shape. */
#define _POSIX_C_SOURCE 199309L
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include "b.c"
#include "clock.h"

#define ROWS 30
#define SAMPLES 41
#define STREAMED 64e6  /* bytes of weight copies: more than this core's caches hold */

static float sink;

/* GFLOP/s of ten independent FMA chains, as bench/fma_peak.c */
static double peak(void)
{
	__m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f), a[10];
	long n = 2000000, i;
	int j;
	for (j = 0; j < 10; j++)
		a[j] = _mm256_set1_ps((float)j);
	double t0 = now();
	for (i = 0; i < n; i++) {
		a[0] = _mm256_fmadd_ps(a[0], m, c); a[1] = _mm256_fmadd_ps(a[1], m, c);
		a[2] = _mm256_fmadd_ps(a[2], m, c); a[3] = _mm256_fmadd_ps(a[3], m, c);
		a[4] = _mm256_fmadd_ps(a[4], m, c); a[5] = _mm256_fmadd_ps(a[5], m, c);
		a[6] = _mm256_fmadd_ps(a[6], m, c); a[7] = _mm256_fmadd_ps(a[7], m, c);
		a[8] = _mm256_fmadd_ps(a[8], m, c); a[9] = _mm256_fmadd_ps(a[9], m, c);
	}
	double s = now() - t0;
	for (j = 0; j < 10; j++)
		sink += _mm256_cvtss_f32(a[j]);
	return 2.0 * 8 * 10 * (double)n / s / 1e9;
}

/* 10 calls on copy 0 of W (hot: next NULL), or on the next 10 copies in
 * turn out of `copies`, *next the one after the last (streamed: as in a
 * model, whose matrices each run once a call), as a fraction of the FMA
 * peak measured just before */
static double sample(int in, int out, const float *x, const float *W, int copies, int *next, const float *b,
		     float *y, double *pk)
{
	int i, c = 0;
	*pk = peak();
	double t0 = now();
	for (i = 0; i < 10; i++) {
		if (next)
			c = *next, *next = (c + 1) % copies;
		k_linear_pk(ROWS, in, out, x, in, W + (long)c * in * out, b, y, out, 1.0f, 0, 0);
	}
	return 10 * 2.0 * ROWS * in * out / (now() - t0) / 1e9 / *pk;
}

int main(int argc, char **argv)
{
	int a;
	for (a = 1; a + 1 < argc; a += 2) {
		int in = atoi(argv[a]), out = atoi(argv[a + 1]), k, i, next = 0;
		int copies = (int)(STREAMED / ((double)sizeof(float) * in * out)) + 1;
		float *x = malloc(sizeof(float) * ROWS * (size_t)in), *W = malloc(sizeof(float) * (size_t)in * (size_t)out * (size_t)copies);
		float *y = malloc(sizeof(float) * ROWS * (size_t)out), *b = calloc((size_t)out, sizeof(float));
		double ratio[SAMPLES], streamed[SAMPLES], pk[SAMPLES], pk2;
		if (!x || !W || !y || !b)
			return 1;
		for (i = 0; i < ROWS * in; i++)
			x[i] = (float)(i % 13) * 0.01f;
		for (i = 0; i < in * out; i++) {  /* W[o][c], packed */
			int o = i / in, c = i % in, p = o - o % 16, w = out - p < 16 ? out - p : 16;
			W[(long)p * in + (long)c * w + o - p] = (float)(i % 7) * 0.01f;
		}
		for (k = 1; k < copies; k++)
			memcpy(W + (long)k * in * out, W, sizeof(float) * (size_t)in * (size_t)out);
		for (k = 0; k < SAMPLES; k++) {
			ratio[k] = sample(in, out, x, W, copies, NULL, b, y, &pk[k]);
			streamed[k] = sample(in, out, x, W, copies, &next, b, y, &pk2);
		}
		printf("{\"in\": %d, \"out\": %d, \"of_peak\": %.4f, \"of_peak_streamed\": %.4f, \"peak_gflops\": %.2f}\n",
		       in, out, median(ratio, SAMPLES), median(streamed, SAMPLES), median(pk, SAMPLES));
		free(x), free(W), free(y), free(b);
	}
	return sink == 12345.0f;
}
