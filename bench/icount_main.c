/* icount_main.c — instructions for one compiled encoder-decoder model
 * (prefix b) on a bare-metal target under QEMU -icount shift=0: the encoder
 * on T source tokens and T decoder steps. Counts are deterministic
 * (runtime/rt.h). Prints one JSON object. */
#include <stdio.h>
#include "b.h"
#include "rt.h"

/* the paper's length 30, or the model's maximum if that is shorter */
#define T30 30
#define MIN2(a, b) ((a) < (b) ? (a) : (b))
#define T MIN2(T30, MIN2(B_MAX_SOURCE, B_MAX_TARGET))

int main(void)
{
	static int32_t src[T];
	static float logits[B_VOCAB];
	int t;
	for (t = 0; t < T; t++)
		src[t] = 4 + (t * 37) % (B_SRC_VOCAB - 4);
	uint64_t t0 = rt_icount();
	if (b_encode(src, T) != 0)
		return 1;
	uint64_t t1 = rt_icount();
	for (t = 0; t < T; t++)
		if (b_decode_step(src[t] % B_VOCAB, logits) != 0)
			return 1;
	uint64_t t2 = rt_icount();
	printf("{\"encoder_insns\": %llu, \"steps_insns\": %llu, \"steps\": %d}\n",
	       (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1), T);
	return 0;
}
