/* driver.c — runs one compiled model (built with --prefix m) over golden
 * files written by tools/reference.py, and compares:
 *   encoder output and per-step logits: max abs error <= 1e-4
 *   greedy decoding: the same tokens (unless the reference saw a near tie)
 * The decoder runs step by step; the reference ran the full sequence.
 * Prints one line per case and exits 1 if any case fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "m.h"

#define TOL 1e-4

#ifdef QTRACE
/* --quantize int8 builds (m.c with -DLTCC_QTRACE=m_qtrace): every input
 * row a matmul quantizes, as records {int32 n, float s, int16 q[n]}, to
 * $QTRACE_DIR/CASE.golden.qtrace, one file per golden case. The reference
 * reads them to settle its near-tie roundings (tools/reference.py --ties). */
static FILE *qtrace;

void m_qtrace(const int16_t *q, int n, float s);
void m_qtrace(const int16_t *q, int n, float s)
{
	int32_t len = n;
	if (qtrace && (fwrite(&len, 4, 1, qtrace) != 1 || fwrite(&s, 4, 1, qtrace) != 1 ||
		       fwrite(q, 2, (size_t)n, qtrace) != (size_t)n)) {
		perror("qtrace");
		exit(2);
	}
}

static void qtrace_open(const char *name)
{
	const char *dir = getenv("QTRACE_DIR");
	char path[4096];
	if (qtrace)
		fclose(qtrace);
	qtrace = NULL;
	if (dir && snprintf(path, sizeof path, "%s/%s.qtrace", dir, name) < (int)sizeof path &&
	    !(qtrace = fopen(path, "wb"))) {
		perror(path);
		exit(2);
	}
}
#else
static void qtrace_open(const char *name) { (void)name; }
#endif

static int read_ints(FILE *f, const char *tag, int32_t **out)
{
	char w[32];
	int n;
	if (fscanf(f, "%31s %d", w, &n) != 2 || strcmp(w, tag) || n < 0)
		return -1;
	*out = malloc(sizeof(int32_t) * (size_t)(n + 1));
	for (int i = 0; i < n; i++)
		if (fscanf(f, "%d", &(*out)[i]) != 1)
			return -1;
	return n;
}

static float *read_floats(FILE *f, const char *tag, int *r, int *c)
{
	char w[32];
	if (fscanf(f, "%31s %d %d", w, r, c) != 3 || strcmp(w, tag))
		return NULL;
	float *v = malloc(sizeof(float) * (size_t)(*r * *c + 1));
	for (int i = 0; i < *r * *c; i++)
		if (fscanf(f, "%f", &v[i]) != 1)
			return NULL;
	return v;
}

static int run(const char *path)
{
	FILE *f = fopen(path, "r");
	char magic[32];
	int ver, ns, nt, er, ec, lr, lc, ng, bad = 0;
	int32_t *src, *tgt, *greedy;
	double margin;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!f || fscanf(f, "%31s %d", magic, &ver) != 2 || strcmp(magic, "ltcc-golden")) {
		printf("%-22s FAIL cannot read golden file\n", name);
		return 1;
	}
	ns = read_ints(f, "src", &src);
	float *enc = read_floats(f, "enc", &er, &ec);
	nt = read_ints(f, "tgt", &tgt);
	float *logits = read_floats(f, "logits", &lr, &lc);
	char w[32];
	if (ns < 0 || !enc || nt < 0 || !logits || fscanf(f, "%31s %d %lf", w, &ng, &margin) != 3) {
		printf("%-22s FAIL malformed golden file\n", name);
		return 1;
	}
	greedy = malloc(sizeof(int32_t) * (size_t)(ng + 1));
	for (int i = 0; i < ng; i++)
		if (fscanf(f, "%d", &greedy[i]) != 1)
			return printf("%-22s FAIL malformed greedy line\n", name), 1;
	fclose(f);
	qtrace_open(name);

	double enc_err = 0, log_err = 0;
	float out[M_VOCAB];
#ifdef M_MAX_SOURCE
	if (m_encode(src, ns) != 0)
		return printf("%-22s FAIL m_encode returned an error\n", name), 1;
	const float *eo = m_encoder_output();
	for (int i = 0; i < er * ec; i++)
		enc_err = fmax(enc_err, fabs((double)eo[i] - enc[i]));
#else
	m_reset();
#endif
	if (lc != M_VOCAB)
		return printf("%-22s FAIL golden vocabulary %d, model %d\n", name, lc, M_VOCAB), 1;
	for (int t = 0; t < nt; t++) {
		if (m_decode_step(tgt[t], out) != 0)
			return printf("%-22s FAIL m_decode_step %d returned an error\n", name, t), 1;
		for (int v = 0; v < lc; v++)
			log_err = fmax(log_err, fabs((double)out[v] - logits[t * lc + v]));
	}

	/* greedy: the reference's rules (tools/README-reference.md) */
	int32_t got[64];
	int ngot = 0;
#ifdef M_MAX_SOURCE
	int G = M_MAX_TARGET - 1 < 20 ? M_MAX_TARGET - 1 : 20;
	ngot = m_greedy(src, ns, got, G);
#else
	int G = M_MAX_TARGET - nt < 10 ? M_MAX_TARGET - nt : 10;
	ngot = m_greedy(tgt, nt, got, G);
#endif
	int greedy_ok = ngot == ng;
	for (int i = 0; greedy_ok && i < ng; i++)
		greedy_ok = got[i] == greedy[i];
	const char *gs = greedy_ok ? "same" : margin < 1e-3 ? "differs (near tie, not counted)" : "DIFFERS";
	if (!greedy_ok && margin >= 1e-3)
		bad = 1;
	if (enc_err > TOL || log_err > TOL || !(enc_err == enc_err) || !(log_err == log_err))
		bad = 1;
	printf("%-22s %s  encoder max|err| %.2e  logits max|err| %.2e (%d steps)  greedy %d tokens %s\n",
	       name, bad ? "FAIL" : "ok  ", enc_err, log_err, nt, ng, gs);
	return bad;
}

int main(int argc, char **argv)
{
	int failed = 0;
#ifdef M_EXTERNAL_BUFFERS
	/* built with --external-buffers: nothing runs before the buffers come */
	static float arena_buf[M_ARENA_BYTES / 4 + 1], state_buf[M_STATE_BYTES / 4 + 1];
	float logits[M_VOCAB];
	if (m_decode_step(M_EOS, logits) != M_ERR_NO_BUFFERS) {
		printf("FAIL decode_step without buffers did not return M_ERR_NO_BUFFERS\n");
		return 1;
	}
	m_set_buffers(arena_buf, state_buf);
#endif
	for (int i = 1; i < argc; i++)
		failed += run(argv[i]);
	return failed ? 1 : 0;
}
