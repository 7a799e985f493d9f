/* run_model.h — what the QEMU instruction-count harnesses run, the same
 * way each: a compiled model (prefix b, its header included first) over T
 * tokens, the paper's 30 or the model's maximum if that is shorter; the
 * encoder on T source tokens (a decoder-only model is only reset), then T
 * decoder steps. Needs rt.h. A harness may define AFTER_ENCODER(), called
 * between the two. */
#define T30 30
#define MIN2(a, b) ((a) < (b) ? (a) : (b))
#ifdef B_MAX_SOURCE
#define T MIN2(T30, MIN2(B_MAX_SOURCE, B_MAX_TARGET))
#define IN_VOCAB B_SRC_VOCAB
#else
#define T MIN2(T30, B_MAX_TARGET)
#define IN_VOCAB B_VOCAB
#endif

/* instructions of the encoder and of the T steps; 0, or 1 after an error */
static int run_model(uint64_t *enc, uint64_t *steps)
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
#ifdef AFTER_ENCODER
	AFTER_ENCODER();  /* profile_main.c: the encoder's share, taken apart */
#endif
	for (t = 0; t < T; t++)
		if (b_decode_step(src[t] % B_VOCAB, logits) != 0)
			return 1;
	*enc = t1 - t0;
	*steps = rt_icount() - t1;
	return 0;
}
