/* greedy_main.c — what an adaptive softmax's greedy pick saves, on the
 * host, for a compiled language model (prefix g). For seeded prompts it
 * continues each by G tokens twice: with g_greedy, which computes a tail
 * cluster only when its log-probability beats the best word so far, and
 * with g_decode_step (the whole vocabulary's log-probabilities) and an
 * argmax. The tokens must agree. From the full log-probabilities it also
 * counts the tails the skip rule needs: a cluster's log-probability is the
 * log of the sum of its words' probabilities. Times are medians of
 * interleaved rounds. Prints one JSON object.
 * Usage: greedy_main ROUNDS G C1 C2 ... (the softmax's cutoffs, then the vocabulary) */
#define _POSIX_C_SOURCE 200112L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "g.h"
#include "clock.h"

#define PROMPTS 64

static int32_t prompt[PROMPTS][8], plen[PROMPTS];
static float lp[G_VOCAB];

/* the tails a greedy pick computes, decided from the full log-probabilities */
static int tails_needed(const int *cut, int nb)
{
	int best = 0, need = 0;
	for (int i = 1; i < cut[0]; i++)
		if (lp[i] > lp[best])
			best = i;
	for (int b = 1; b < nb; b++) {
		double s = 0;
		for (int i = cut[b - 1]; i < cut[b]; i++)
			s += exp((double)lp[i]);
		if (log(s) > (double)lp[best] - 1e-5) {  /* computed (float noise counted against us) */
			need++;
			for (int i = cut[b - 1]; i < cut[b]; i++)
				if (lp[i] > lp[best])
					best = i;
		}
	}
	return need;
}

/* continue prompt p by up to G tokens through decode_step + argmax */
static int naive(int p, int G, int32_t *out, const int *cut, int nb, long *tails)
{
	int32_t tok = 0, n = 0;
	g_reset();
	for (int t = 0; t < plen[p]; t++)
		g_decode_step(prompt[p][t], lp);
	for (;;) {
		tok = 0;
		for (int i = 1; i < G_VOCAB; i++)
			if (lp[i] > lp[tok])
				tok = i;
		if (tails)
			*tails += tails_needed(cut, nb);
		if (tok == G_EOS)
			break;
		out[n++] = tok;
		if (n == G || plen[p] + n > G_MAX_TARGET - 1)
			break;
		g_decode_step(tok, lp);
	}
	return n;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 9, G = argc > 2 ? atoi(argv[2]) : 12, nb = argc - 3, cut[16];
	if (nb < 2 || nb > 16 || G < 1 || G > 64 || rounds < 1 || rounds > 64)
		return fprintf(stderr, "usage: greedy_main ROUNDS G C1 ... VOCAB\n"), 2;
	for (int b = 0; b < nb; b++)
		cut[b] = atoi(argv[3 + b]);
	unsigned s = 12345;
	for (int p = 0; p < PROMPTS; p++) {
		plen[p] = 1 + p % 8;
		for (int t = 0; t < plen[p]; t++) {
			s = s * 1103515245u + 12345u;
			prompt[p][t] = 4 + (int32_t)((s >> 8) % (G_VOCAB - 4));
		}
	}
	long tails = 0, steps = 0, same = 1, tail_picks = 0;
	int32_t a[64], b[64];
	for (int p = 0; p < PROMPTS; p++) {
		int na = g_greedy(prompt[p], plen[p], a, G);
		int nn = naive(p, G, b, cut, nb, &tails);
		steps += nn + (nn < G);  /* picks made: the tokens and a final EOS */
		for (int i = 0; i < nn; i++)
			tail_picks += b[i] >= cut[0];
		same &= na == nn;
		for (int i = 0; same && i < na; i++)
			same &= a[i] == b[i];
	}
	double tg[64], tn[64];
	for (int r = 0; r < rounds; r++) {
		double t0 = now();
		for (int p = 0; p < PROMPTS; p++)
			g_greedy(prompt[p], plen[p], a, G);
		double t1 = now();
		for (int p = 0; p < PROMPTS; p++)
			naive(p, G, b, cut, nb, NULL);
		tn[r] = now() - t1;
		tg[r] = t1 - t0;
	}
	printf("{\"same_tokens\": %s, \"picks\": %ld, \"tail_picks\": %ld, \"tails\": %d, \"tails_computed\": %ld, "
	       "\"greedy_s\": %.6f, \"step_argmax_s\": %.6f}\n", same ? "true" : "false", steps, tail_picks, nb - 1, tails,
	       median(tg, rounds), median(tn, rounds));
	return !same;
}
