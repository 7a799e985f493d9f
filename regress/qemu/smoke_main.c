/* smoke_main.c — run a model generated with `--prefix m` on a fixed input
 * and print checksums of what it computes, one line per step, for
 * comparison between a native build and a QEMU target build.
 *
 * Encoder-decoder models (m.h defines M_MAX_SOURCE): encode a fixed source,
 * print a checksum of the encoder output, then decode. Decoder-only models
 * decode from EOS. The tokens fed are fixed (not the argmax), so a small
 * numerical difference cannot change the input of later steps.
 *
 * Lines: "enc|step K  sum|x|  sum x^2  sum x*w" with w a fixed weight per
 * element, printed with %.6e. With -DRT_ICOUNT (the QEMU builds) it also
 * prints "icount decode_step N" for the step after the first: instructions
 * (under -icount shift=0) of one m_decode_step call, less rt_icount's own
 * overhead. smoke.sh leaves that line out of the comparison.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "m.h"
#ifdef RT_ICOUNT
#include "rt.h"
#endif

#define STEPS 6

static void checksum(const char *what, int k, const float *x, int n)
{
	double a = 0.0, q = 0.0, w = 0.0;
	int i;

	for (i = 0; i < n; i++) {
		a += fabs((double)x[i]);
		q += (double)x[i] * x[i];
		w += (double)x[i] * (double)((i % 7) - 3);
	}
	printf("%s %d %.6e %.6e %.6e\n", what, k, a, q, w);
}

int main(void)
{
	static float logits[M_VOCAB];
	int32_t tok = M_EOS;
	int k, rc, steps = STEPS < M_MAX_TARGET ? STEPS : M_MAX_TARGET;

#ifdef M_MAX_SOURCE
	int32_t src[8];
	int32_t n = 7 < M_MAX_SOURCE ? 7 : M_MAX_SOURCE;
	int i;

	for (i = 0; i < n; i++)
		src[i] = 4 + (5 * i) % (M_SRC_VOCAB - 4);
	src[n - 1] = M_EOS;
	rc = m_encode(src, n);
	if (rc != 0) {
		printf("m_encode: %d\n", rc);
		return 1;
	}
	checksum("enc", 0, m_encoder_output(), (int)n * M_DIM);
#else
	m_reset();
#endif
	for (k = 0; k < steps; k++) {
#ifdef RT_ICOUNT
		uint64_t t0 = rt_icount();
		rc = m_decode_step(tok, logits);
		t0 = rt_icount() - t0;
		if (k == 1)
			printf("icount decode_step %llu\n",
			       (unsigned long long)(t0 - rt_icount_overhead()));
#else
		rc = m_decode_step(tok, logits);
#endif
		if (rc != 0) {
			printf("m_decode_step: %d\n", rc);
			return 1;
		}
		checksum("step", k, logits, M_VOCAB);
		tok = 4 + (3 * k) % (M_VOCAB - 4);
	}
	return 0;
}
