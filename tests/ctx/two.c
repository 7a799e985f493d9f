/* two.c — two instances of one compiled model (prefix m), stepped in turn,
 * must give bit for bit what each sequence gives run alone; the default
 * instance runs a third sequence in between. The instances share one
 * arena and have a state each (m.h: "instances"). Exit 0 when all agree. */
#include <stdio.h>
#include <string.h>
#include "m.h"

#define STEPS 6
#define FLOATS(bytes) ((bytes) / sizeof(float) + 1)

static float arena[FLOATS(M_ARENA_BYTES)], state1[FLOATS(M_STATE_BYTES)], state2[FLOATS(M_STATE_BYTES)];
static float alone[3][STEPS][M_VOCAB], mixed[3][STEPS][M_VOCAB];
static const int32_t seq[3][STEPS] = { { 5, 9, 4, 7, 11, 6 }, { 8, 4, 12, 5, 5, 9 }, { 6, 13, 7, 4, 10, 8 } };

/* start sequence s on an instance (NULL: the default one) */
static int start(m_ctx *c, int s)
{
#ifdef M_MAX_SOURCE
	return c ? m_ctx_encode(c, seq[s], 4 + s) : m_encode(seq[s], 4 + s);
#else
	(void)s;
	if (c)
		m_ctx_reset(c);
	else
		m_reset();
	return 0;
#endif
}

static int step(m_ctx *c, int s, int t, float *out)
{
	return c ? m_ctx_decode_step(c, seq[s][t], out) : m_decode_step(seq[s][t], out);
}

int main(void)
{
	m_ctx a, b, *who[3];
	int s, t, bad = 0;
#ifdef M_EXTERNAL_BUFFERS
	static float darena[FLOATS(M_ARENA_BYTES)], dstate[FLOATS(M_STATE_BYTES)];
	m_set_buffers(darena, dstate);
#endif
	m_init(&a, arena, state1);
	m_init(&b, arena, state2);
	who[0] = &a, who[1] = &b, who[2] = NULL;
	for (s = 0; s < 3; s++) {  /* each alone */
		if (start(who[s], s))
			return printf("FAIL start %d\n", s), 1;
		for (t = 0; t < STEPS; t++)
			if (step(who[s], s, t, alone[s][t]))
				return printf("FAIL step %d of %d\n", t, s), 1;
	}
	for (s = 0; s < 3; s++)  /* all three again, a step of each in turn */
		if (start(who[s], s))
			return printf("FAIL restart %d\n", s), 1;
	for (t = 0; t < STEPS; t++)
		for (s = 0; s < 3; s++)
			if (step(who[s], s, t, mixed[s][t]))
				return printf("FAIL interleaved step %d of %d\n", t, s), 1;
	for (s = 0; s < 3; s++)
		for (t = 0; t < STEPS; t++)
			if (memcmp(alone[s][t], mixed[s][t], sizeof alone[s][t])) {
				printf("FAIL sequence %d step %d: interleaved logits differ from its run alone\n", s, t);
				bad = 1;
			}
#ifdef M_MAX_SOURCE
	{
		int32_t g1[8], g2[8];
		int n1 = m_ctx_greedy(&a, seq[1], 5, g1, 8), n2 = m_greedy(seq[1], 5, g2, 8);
		if (n1 != n2 || n1 < 0 || memcmp(g1, g2, sizeof(int32_t) * (size_t)(n1 > 0 ? n1 : 0))) {
			printf("FAIL greedy on an instance differs from the default instance's\n");
			bad = 1;
		}
	}
#endif
	printf("two instances: %s\n", bad ? "FAIL" : "ok, interleaved equals alone");
	return bad;
}
