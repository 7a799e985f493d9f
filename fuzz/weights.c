/* weights.c — libFuzzer harness for the safetensors loader and everything
 * after it, for the fixed model fuzz/tiny.ltd:
 *   wf_parse -> lower_model -> fuse_program -> pack_weights -> plan_memory
 *   -> report_text, report_fits, emit_c, emit_h   (output to /dev/null)
 * Input: a safetensors image. Its last byte also chooses the passes (bit i
 * set: pass i off) and the one before it the target and emit options, so
 * every pass combination meets hostile weights (NaN, huge, subnormal).
 * A safetensors file may carry bytes after its data, so the seeds stay
 * valid files. */
#include <math.h>
#include "fuzz.h"

#ifndef FUZZ_TINY_LTD
#error "build with -DFUZZ_TINY_LTD=\"path/to/fuzz/tiny.ltd\""
#endif

static char *ltd_text;
static Target targets[16];
static int ntargets;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_begin();
	size_t len;
	ltd_text = file_read(FUZZ_TINY_LTD, "model description", LTD_MAX_BYTES, &len);
	if (!ltd_text)
		abort();
	/* the shipped targets, copied out of the arena that fz_end frees */
	for (int i = 0; tmpl_targets[i].name && ntargets < 16; i++)
		targets[ntargets++] = fz_keep_target(tmpl_targets[i].name);
	fz_end();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_begin();
	WeightFile *wf = wf_parse("fuzz.safetensors", data, size);
	if ((wf != NULL) != (diag_error_count() == 0))
		die("wf_parse returned %s after %d errors", wf ? "weights" : "NULL", diag_error_count());
	IR *ir = NULL;
	if (wf) {  /* the model only for weights that parse: most do not */
		Node *root;
		SrcFile *src = src_from_string("tiny.ltd", ltd_text);
		Model *m = ast_parse(src, &root) ? check_model(root, "tiny.ltd") : NULL;
		if (!m)
			die("fuzz/tiny.ltd does not check");
		ir = lower_model(m, wf);
	}
	if (wf && (ir != NULL) != (diag_error_count() == 0))
		die("lower_model returned %s after %d errors", ir ? "an IR" : "NULL", diag_error_count());
	if (ir) {
		uint8_t off = size ? data[size - 1] : 0;
		uint8_t eopt = size > 1 ? data[size - 2] : 0;
		FuseOpts fo = {
			.zero_copy = !(off & 1), .stream_attn = !(off & 2), .dyn_taps_row = !(off & 4),
			.fold_q_scale = !(off & 8), .fold_light_softmax = !(off & 16), .linear_glu = !(off & 32),
			.residual_ln = !(off & 64), .ln_linear = !(off & 128),
		};
		fuse_program(ir, &fo);
		/* every value that reaches the C file must be a finite float:
		 * emit_float would write "nan" or "inf", which is not C */
		for (int i = 0; i < ir->ntensors; i++) {
			const Tensor *w = ir->tensors[i];
			if (w->kind == T_WEIGHT && w->data)
				for (long j = 0; j < (long)w->rows * w->cols; j++)
					if (!isfinite(w->data[j]))
						die("weight %s[%ld] = %g reaches the C file", w->name, j, (double)w->data[j]);
		}
		const Target *t = &targets[(eopt >> 2) % ntargets];
		pack_weights(ir, t);  /* x86-avx2 and cortex-m55 pack their matrices in panels */
		plan_memory(ir);
		if (ir->arena_floats < ir->arena_lower_bound)
			die("arena of %zu floats below its lower bound %zu", ir->arena_floats, ir->arena_lower_bound);
		EmitOpts eo = { .prefix = "fz", .target = t, .cmdline = "ltcc fuzz", .ltd_name = "tiny.ltd",
				.external_buffers = eopt & 1 };
		if (eopt & 2)
			eo.sec_weights = ".w", eo.sec_arena = ".a", eo.sec_state = ".s";
		report_text(ir, t, fz_devnull);
		report_fits(ir, t, false);
		emit_c(ir, &eo, fz_devnull, "fz.h");
		emit_h(ir, &eo, fz_devnull);
	}
	fz_end();
	return 0;
}
