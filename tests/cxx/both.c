/* both.c — one driver, valid C and C++: encodes a fixed source, decodes a
 * few steps and prints every logit. Built as C and as C++ against the same
 * compiled model (prefix m), the two must print the same (tests/cxx). */
#include <stdio.h>
#include "m.h"

int main(void)
{
	static const int32_t src[] = { 4, 9, 17, 5 };
	static float logits[M_VOCAB];
	int t, v;
#ifdef M_MAX_SOURCE
	if (m_encode(src, 4) != 0)
		return 1;
#else
	m_reset();
#endif
	for (t = 0; t < 4; t++) {
		if (m_decode_step(src[t], logits) != 0)
			return 1;
		for (v = 0; v < M_VOCAB; v++)
			printf("%d %d %.9g\n", t, v, (double)logits[v]);
	}
	return 0;
}
