/* model.c — libFuzzer harness for the whole compiler on a fuzzed model
 * description: ast_parse -> check_model -> lower_model -> fuse_program ->
 * plan_memory -> emit_c/emit_h, with weights made up to fit.
 * Input: .ltd text (as for the ltd harness); its last byte also turns
 * passes off (bit i: pass i). A model that checks is lowered once against
 * an empty weight file; the "missing tensor 'NAME' (shape (A, B))" errors
 * name every tensor it needs, which are then made (small finite values)
 * and the model lowered again, so odd shapes (one head, kernel longer than
 * the sequence, width 1, ...) reach the passes, the planner and emit.
 * Models needing more than 64 Ki weights are skipped (emit time). */
#include <math.h>
#include "fuzz.h"

#define MAX_FLOATS (1 << 16)

/* Add a made tensor to wf for every "missing tensor" diagnostic in text;
 * false if there was none or the model is too big. */
static bool made_weights(WeightFile *wf, int *cap, long *total, const char *text)
{
	int n0 = wf->n;
	for (const char *p = text; (p = strstr(p, "missing tensor '"));) {
		p += strlen("missing tensor '");
		const char *e = strstr(p, "' (shape (");
		if (!e)
			break;
		WTensor t = { .dtype = "F32" };
		char *name = arena_alloc((size_t)(e - p) + 1);
		memcpy(name, p, (size_t)(e - p));
		t.name = name;
		const char *q = e + strlen("' (shape (");
		t.numel = 1;
		while (t.ndim < 8) {
			char *end;
			long long v = strtoll(q, &end, 10);
			if (end == q)
				break;
			if (v < 0 || v > MAX_FLOATS)
				return false;
			t.shape[t.ndim++] = v;
			t.numel *= v;
			if (t.numel > MAX_FLOATS)
				return false;
			q = end;
			while (*q == ',' || *q == ' ')
				q++;
		}
		*total += t.numel;
		if (!t.ndim || *total > MAX_FLOATS)
			return false;
		t.data = arena_alloc(sizeof(float) * (size_t)(t.numel ? t.numel : 1));
		for (int64_t i = 0; i < t.numel; i++)  /* finite, varied, reproducible */
			t.data[i] = (float)((int)((i * 2654435761u + (uint64_t)wf->n * 40503u) % 2001) - 1000) / 4000.0f;
		ARENA_PUSH(wf->t, wf->n, *cap, t);
		p = q;
	}
	return wf->n > n0;
}

static Target generic;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_begin();
	generic = fz_keep_target("generic");
	fz_end();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_begin();
	char *text = fz_cstring(data, size);
	SrcFile *src = src_from_string("fuzz.ltd", text);
	free(text);
	Node *root = NULL;
	Model *m = strlen(src->text) == size && ast_parse(src, &root) ? check_model(root, "fuzz.ltd") : NULL;
	if (m) {
		/* lower against the weights made so far, and make what it says
		 * is missing, until it has everything (it may stop early) */
		WeightFile *wf = arena_alloc(sizeof *wf);
		wf->path = "made.safetensors";
		int cap = 0;
		long total = 0;
		IR *ir = NULL;
		for (int round = 0; round < 16 && !ir; round++) {
			char *msgs = NULL;
			size_t mlen = 0;
			FILE *cf = open_memstream(&msgs, &mlen);
			if (!cf)
				abort();
			diag_set_stream(cf);
			diag_reset();
			ir = lower_model(m, wf);
			fclose(cf);
			diag_set_stream(fz_devnull);
			bool more = !ir && made_weights(wf, &cap, &total, msgs);
			/* refused for another reason (say two shapes under one name):
			 * a reported error, fine; FUZZ_DEBUG=1 shows it */
			if (!ir && !more && getenv("FUZZ_DEBUG"))
				fputs(msgs, stderr);
			free(msgs);
			if (!more)
				break;
		}
		if (ir) {
			uint8_t off = size ? data[size - 1] : 0;
			FuseOpts fo = {
				.zero_copy = !(off & 1), .stream_attn = !(off & 2), .dyn_taps_row = !(off & 4),
				.fold_q_scale = !(off & 8), .fold_light_softmax = !(off & 16), .linear_glu = !(off & 32),
				.residual_ln = !(off & 64), .ln_linear = !(off & 128),
			};
			fuse_program(ir, &fo);
			plan_memory(ir);
			if (ir->arena_floats < ir->arena_lower_bound)
				die("arena of %zu floats below its lower bound %zu", ir->arena_floats, ir->arena_lower_bound);
			EmitOpts eo = { .prefix = "fz", .target = &generic, .cmdline = "ltcc fuzz", .ltd_name = "fuzz.ltd" };
			report_text(ir, &generic, fz_devnull);
			emit_c(ir, &eo, fz_devnull, "fz.h");
			emit_h(ir, &eo, fz_devnull);
		}
	}
	fz_end();
	return 0;
}
