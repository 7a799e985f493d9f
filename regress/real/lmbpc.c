/* lmbpc.c — bits per character of the compiled fortune LM (built with
 * --prefix m) on the held-out windows written by regress/real/ref.py, next
 * to PyTorch's.  Each window starts from m_reset(); every step feeds x[t]
 * through m_decode_step and adds -log2 softmax(logits)[y[t]] (in double).
 * Usage: lmbpc FILE.  Passes if |C - PyTorch| <= 1e-4 bits/char. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "m.h"

#define TOL 1e-4

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
	char tag[16];
	int nw, ne;
	if (!f || fscanf(f, "%15s %d %d", tag, &nw, &ne) != 3 || strcmp(tag, "fortune")) {
		fprintf(stderr, "lmbpc: cannot read %s\n", argc == 2 ? argv[1] : "(no file given)");
		return 2;
	}
	static int32_t x[M_MAX_TARGET], y[M_MAX_TARGET];
	static float logits[M_VOCAB];
	double bits = 0;
	long preds = 0;
	for (int w = 0; w < nw; w++) {
		int n;
		if (fscanf(f, "%d", &n) != 1 || n < 1 || n > M_MAX_TARGET) {
			fprintf(stderr, "lmbpc: bad window %d\n", w);
			return 2;
		}
		for (int i = 0; i < 2 * n; i++)
			if (fscanf(f, "%d", i < n ? &x[i] : &y[i - n]) != 1) {
				fprintf(stderr, "lmbpc: malformed window %d\n", w);
				return 2;
			}
		m_reset();
		for (int t = 0; t < n; t++) {
			int rc = m_decode_step(x[t], logits);
			if (rc) {
				fprintf(stderr, "lmbpc: m_decode_step returned %d (window %d, step %d)\n", rc, w, t);
				return 1;
			}
			double mx = logits[0], sum = 0;
			for (int v = 1; v < M_VOCAB; v++)
				mx = logits[v] > mx ? logits[v] : mx;
			for (int v = 0; v < M_VOCAB; v++)
				sum += exp((double)logits[v] - mx);
			bits += -(((double)logits[y[t]] - mx) - log(sum)) / log(2.0);
		}
		preds += n;
	}
	double py_bits;
	long py_preds;
	if (fscanf(f, "%15s %lf %ld", tag, &py_bits, &py_preds) != 3 || strcmp(tag, "bits") || py_preds != preds) {
		fprintf(stderr, "lmbpc: bad or missing 'bits' line\n");
		return 2;
	}
	fclose(f);
	double c = bits / preds, p = py_bits / py_preds, d = fabs(c - p);
	int pass = d <= TOL;
	printf("%s bits/char C %.6f PyTorch %.6f |diff| %.1e (%d entries, %d windows, %ld predictions)\n",
	       pass ? "ok" : "FAIL", c, p, d, ne, nw, preds);
	return pass ? 0 : 1;
}
