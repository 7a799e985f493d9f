/* translit.c — the compiled dedict model (built with --prefix m) against
 * PyTorch on the held-out words written by regress/real/ref.py:
 *   every word: m_greedy's output must equal the reference's greedy output;
 *   exact match and character error rate of both against the dictionary's
 *   translation are reported and must be equal.
 * Usage: translit FILE.  Prints one summary line; exits 1 on a mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "m.h"

#define MAXW 64

static int read_seq(FILE *f, int32_t *v)
{
	int n;
	if (fscanf(f, "%d", &n) != 1 || n < 0 || n > MAXW)
		return -1;
	for (int i = 0; i < n; i++)
		if (fscanf(f, "%d", &v[i]) != 1)
			return -1;
	return n;
}

/* Levenshtein distance between token strings */
static int edit_distance(const int32_t *a, int na, const int32_t *b, int nb)
{
	int prev[MAXW + 1], cur[MAXW + 1];
	for (int j = 0; j <= nb; j++)
		prev[j] = j;
	for (int i = 1; i <= na; i++) {
		cur[0] = i;
		for (int j = 1; j <= nb; j++) {
			int d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(int) * (size_t)(nb + 1));
	}
	return prev[nb];
}

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
	char tag[16];
	int n, G;
	if (!f || fscanf(f, "%15s %d %d", tag, &n, &G) != 3 || strcmp(tag, "dedict") || G > MAXW) {
		fprintf(stderr, "translit: cannot read %s\n", argc == 2 ? argv[1] : "(no file given)");
		return 2;
	}
	long ref_chars = 0, err_c = 0, err_py = 0;
	int exact_c = 0, exact_py = 0, same = 0, first_bad = -1;
	for (int w = 0; w < n; w++) {
		int32_t src[MAXW], ref[MAXW], py[MAXW], got[MAXW];
		int ns = read_seq(f, src), nr = read_seq(f, ref), np = read_seq(f, py);
		if (ns < 0 || nr < 0 || np < 0) {
			fprintf(stderr, "translit: malformed line %d\n", w + 2);
			return 2;
		}
		int ng = m_greedy(src, ns, got, G);
		if (ng < 0) {
			fprintf(stderr, "translit: m_greedy failed with %d on word %d\n", ng, w);
			return 1;
		}
		int ok = ng == np && !memcmp(got, py, sizeof(int32_t) * (size_t)np);
		same += ok;
		if (!ok && first_bad < 0)
			first_bad = w;
		ref_chars += nr;
		err_c += edit_distance(got, ng, ref, nr);
		err_py += edit_distance(py, np, ref, nr);
		exact_c += ng == nr && !memcmp(got, ref, sizeof(int32_t) * (size_t)nr);
		exact_py += np == nr && !memcmp(py, ref, sizeof(int32_t) * (size_t)nr);
	}
	fclose(f);
	int pass = same == n && exact_c == exact_py && err_c == err_py;
	printf("%s greedy identical on %d/%d words; C: exact %.4f CER %.4f, PyTorch: exact %.4f CER %.4f",
	       pass ? "ok" : "FAIL", same, n, (double)exact_c / n, (double)err_c / ref_chars,
	       (double)exact_py / n, (double)err_py / ref_chars);
	if (first_bad >= 0)
		printf(" (first difference: word %d)", first_bad);
	printf("\n");
	return pass ? 0 : 1;
}
