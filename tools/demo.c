/* demo.c — what a firmware would do with ltcc's output: two compiled
 * models (wmt, an encoder-decoder, and lm, a language model) linked into
 * one program through their symbol prefixes, each called through the
 * generated API. The shipped models have seeded random weights, so the
 * tokens mean nothing; the point is the path from .ltd to running C. */
#include <stdio.h>
#include "wmt.h"
#include "lm.h"

int main(void)
{
	static const int32_t src[] = { 17, 42, 99, 7, 250, 31, 2 };
	int32_t n = (int32_t)(sizeof src / sizeof src[0]), out[20];
	float logits[LM_VOCAB];
	int i, k;

	printf("wmt: D=%d, vocab %d, weights %d bytes (flash), arena %d bytes + state %d bytes (RAM)\n",
	       WMT_DIM, WMT_VOCAB, WMT_WEIGHT_BYTES, WMT_ARENA_BYTES, WMT_STATE_BYTES);
	printf("  source tokens:");
	for (i = 0; i < n; i++)
		printf(" %d", (int)src[i]);
	k = wmt_greedy(src, n, out, 20);
	if (k < 0) {
		printf("\n  wmt_greedy failed: %d\n", k);
		return 1;
	}
	printf("\n  greedy output (%d tokens):", k);
	for (i = 0; i < k; i++)
		printf(" %d", (int)out[i]);
	printf("\n  bad input is refused: token 9999 -> %d, length 0 -> %d\n",
	       wmt_encode((const int32_t[]){ 9999 }, 1), wmt_encode(src, 0));

	printf("lm: D=%d, vocab %d, weights %d bytes, arena %d bytes + state %d bytes\n",
	       LM_DIM, LM_VOCAB, LM_WEIGHT_BYTES, LM_ARENA_BYTES, LM_STATE_BYTES);
	printf("  generated:");
	lm_reset();
	int32_t tok = LM_EOS;
	for (i = 0; i < 16; i++) {
		if (lm_decode_step(tok, logits) != 0)
			return 1;
		tok = 0;
		for (k = 1; k < LM_VOCAB; k++)
			if (logits[k] > logits[tok])
				tok = k;
		printf(" %d", (int)tok);
	}
	printf("\n");
	return 0;
}
