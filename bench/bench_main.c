/* bench_main.c — times one compiled encoder-decoder model (prefix b) on the
 * host: the encoder on T source tokens and a decoder step, each the median
 * of repeated runs, plus one read of as many bytes as the model's weights.
 * Prints one JSON object. Usage: bench_main T REPS STEP_WEIGHT_BYTES */
#define _POSIX_C_SOURCE 200112L
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "b.h"
#include "clock.h"


int main(int argc, char **argv)
{
	int T = argc > 1 ? atoi(argv[1]) : 30, reps = argc > 2 ? atoi(argv[2]) : 20, r, t, i;
	int32_t src[B_MAX_SOURCE];
	static float logits[B_VOCAB];
	double *enc = malloc(sizeof(double) * (size_t)reps), *step = malloc(sizeof(double) * (size_t)reps * (size_t)T);
	for (t = 0; t < T; t++)
		src[t] = 4 + (t * 37) % (B_SRC_VOCAB - 4);
	for (r = 0; r < reps; r++) {
		double t0 = now();
		b_encode(src, T);
		enc[r] = now() - t0;
		for (t = 0; t < T; t++) {   /* T decoder steps, positions 0..T-1 */
			t0 = now();
			b_decode_step(src[t] % B_VOCAB, logits);
			step[r * T + t] = now() - t0;
		}
	}
	/* one read of the bytes a decoder step reads (argv[3], from the
	 * report), for the memory-bound view of a step */
	size_t nf = (argc > 3 ? (size_t)atol(argv[3]) : (size_t)B_WEIGHT_BYTES) / 4;
	float *w;
	if (posix_memalign((void **)&w, 32, (nf + 8) * 4))
		return 1;
	for (i = 0; i < (int)nf; i++)
		w[i] = (float)(i & 7);
	double *rd = malloc(sizeof(double) * (size_t)reps);
	__m256 acc = _mm256_setzero_ps();
	for (r = 0; r < reps; r++) {
		double t0 = now();
		for (size_t k = 0; k + 8 <= nf; k += 8)
			acc = _mm256_add_ps(acc, _mm256_load_ps(w + k));
		rd[r] = now() - t0;
	}
	float sink[8];
	_mm256_storeu_ps(sink, acc);
	printf("{\"encoder_s\": %.9g, \"step_s\": %.9g, \"read_weights_s\": %.9g, \"sink\": %g}\n",
	       median(enc, reps), median(step, reps * T), median(rd, reps), (double)sink[0]);
	return 0;
}
