/* main.c — two instances of one model on a Cortex-M4: each translates its
 * own source, greedily, one step of each in turn, sharing the weights and
 * one scratch arena; each has its own state. Prints each output. */
#include <stdio.h>
#include "model.h"

#define GREEDY_MAX (MODEL_MAX_TARGET - 1 < 20 ? MODEL_MAX_TARGET - 1 : 20)

static float arena[MODEL_ARENA_BYTES / sizeof(float) + 1];
static float state[2][MODEL_STATE_BYTES / sizeof(float) + 1];
static const int32_t source[2][6] = { { 12, 7, 20, 9, 15, 6 }, { 5, 18, 11, 4 } };
static const int32_t length[2] = { 6, 4 };

static int32_t argmax(const float *v)
{
	int32_t i, best = 0;
	for (i = 1; i < MODEL_VOCAB; i++)  /* the first index wins ties */
		if (v[i] > v[best])
			best = i;
	return best;
}

int main(void)
{
	static float logits[MODEL_VOCAB];
	model_ctx ctx[2];
	int32_t tok[2] = { MODEL_EOS, MODEL_EOS }, out[2][GREEDY_MAX];
	int n[2] = { 0, 0 }, done[2] = { 0, 0 }, i, s;
	for (i = 0; i < 2; i++) {
		model_init(&ctx[i], arena, state[i]);
		if (model_ctx_encode(&ctx[i], source[i], length[i]) != 0)
			return 1;
	}
	for (s = 0; s < GREEDY_MAX; s++)
		for (i = 0; i < 2; i++) {
			if (done[i])
				continue;
			if (model_ctx_decode_step(&ctx[i], tok[i], logits) != 0)
				return 1;
			tok[i] = argmax(logits);
			if (tok[i] == MODEL_EOS)
				done[i] = 1;
			else
				out[i][n[i]++] = tok[i];
		}
	for (i = 0; i < 2; i++) {
		printf("instance %d:", i);
		for (s = 0; s < n[i]; s++)
			printf(" %ld", (long)out[i][s]);
		printf("\n");
	}
	return 0;
}
