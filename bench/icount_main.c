/* icount_main.c — instructions for one compiled model (prefix b) on a
 * bare-metal target under QEMU -icount shift=0: the encoder on T source
 * tokens (none for a decoder-only model) and T decoder steps. Counts are
 * deterministic (runtime/rt.h). Prints one JSON object. */
#include <stdio.h>
#include "b.h"
#include "rt.h"

/* the paper's length 30, or the model's maximum if that is shorter */
#define T30 30
#define MIN2(a, b) ((a) < (b) ? (a) : (b))
#ifdef B_MAX_SOURCE
#define T MIN2(T30, MIN2(B_MAX_SOURCE, B_MAX_TARGET))
#define IN_VOCAB B_SRC_VOCAB
#else
#define T MIN2(T30, B_MAX_TARGET)
#define IN_VOCAB B_VOCAB
#endif

int main(void)
{
	static int32_t src[T];
	static float logits[B_VOCAB];
	int t;
	for (t = 0; t < T; t++)
		src[t] = 4 + (t * 37) % (IN_VOCAB - 4);
	uint64_t t0 = rt_icount();
#ifdef B_MAX_SOURCE
	if (b_encode(src, T) != 0)
		return 1;
#else
	b_reset();
#endif
	uint64_t t1 = rt_icount();
	for (t = 0; t < T; t++)
		if (b_decode_step(src[t] % B_VOCAB, logits) != 0)
			return 1;
	uint64_t t2 = rt_icount();
	printf("{\"encoder_insns\": %llu, \"steps_insns\": %llu, \"steps\": %d}\n",
	       (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1), T);
	return 0;
}
