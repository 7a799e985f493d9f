/* main.c — the driver: options, then the passes as a flat list.
 * Exit status: 0 ok, 1 bad input, 2 bad usage. A failed compile leaves no
 * output file: both files are written to temporaries and renamed at the end. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ltcc.h"

static const char usage[] =
"usage: ltcc MODEL.ltd [options]\n"
"\n"
"Compile a Lite Transformer model (a .ltd description and its safetensors\n"
"weights) into one self-contained, allocation-free C file and its header.\n"
"\n"
"options:\n"
"  -o, --output FILE      write FILE (a .c) and FILE with .h; default NAME.c\n"
"  -t, --target NAME      target to specialise for (default generic)\n"
"      --target-file FILE use your own target description (XML, see targets/)\n"
"      --list-targets     list the built-in targets\n"
"      --no-fit-check     compile even if the model exceeds the target's flash or RAM\n"
"      --prefix NAME      symbol prefix of the generated API (default: model name)\n"
"  -d, --dump WHAT        print WHAT and stop: 'ast', 'model' or 'ir'\n"
"      --external-buffers the caller passes the arena and state (P_set_buffers)\n"
"      --section-weights NAME, --section-arena NAME, --section-state NAME\n"
"                         place weights, scratch arena and state in linker sections\n"
"      --emit-testbench DIR  also write DIR/testbench.c: a main() that checks the\n"
"                         model against the --golden files and prints per-block checksums\n"
"      --golden FILE      a golden case (tools/reference.py's format); repeatable\n"
"      --report           print per-layer parameters, MACs and memory\n"
"      --report-json FILE write the report as JSON\n"
"      --report-svg FILE  draw the memory plan as SVG\n"
"      --no-fold-q-scale  scale q at run time instead of folding it into W_q\n"
"      --no-fold-softmax  softmax lightweight kernels at run time\n"
"      --no-fuse-glu      store linear1's output, then apply the GLU in a second pass\n"
"      --no-fuse-residual-ln  store each block's output, then add it and normalise in a second pass\n"
"      --no-fuse-ln-linear    pre-norm: store LN(x), then run the linear on it\n"
"      --no-zero-copy     copy each branch's channel slice out and its output back\n"
"      --no-stream-attention  store the (heads, T, T) score map, then softmax it\n"
"      --no-fuse-dyn-taps store every step's dynamic-conv taps, (T, H*K), first\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"targets: generic, x86-avx2, cortex-m4, cortex-m7, cortex-m55, riscv32\n"
"exit status: 0 ok, 1 bad input (diagnostics on stderr), 2 bad usage\n";

static _Noreturn void bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "ltcc: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'ltcc --help')\n");
	arena_free_all();
	exit(2);
}

static bool valid_ident(const char *s)
{
	if (!*s || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void dump_ir(const IR *ir)
{
	const Program *ps[2] = { &ir->encode, &ir->step };
	static const char *rows[] = { "1", "n", "pos+1", "src_n" };
	for (int p = 0; p < 2; p++) {
		printf("program %s\n", ps[p]->name);
		for (int i = 0; i < ps[p]->nops; i++) {
			const Op *o = ps[p]->ops[i];
			printf("  %3d %-10s rows=%-5s %-14s", i, op_name[o->kind], rows[o->rows], o->block);
			for (int k = 0; k < OP_MAX_IN; k++)
				if (o->in[k])
					printf(" %s(%dx%d)", o->in[k]->name, o->in[k]->rows, o->in[k]->cols);
			if (o->out)
				printf(" -> %s(%dx%d)%s", o->out->name, o->out->rows, o->out->cols, o->out_at_pos ? "@pos" : "");
			printf("\n");
		}
	}
	printf("arena %zu floats (lower bound %zu, naive %zu), state %zu floats, weights %zu floats\n",
	       ir->arena_floats, ir->arena_lower_bound, ir->arena_naive, ir->state_floats, ir->weight_floats);
}

static void dump_ast(const Node *n, int depth)
{
	for (; n; n = n->next) {
		printf("%*s%s", depth * 2, "", n->key);
		for (Value *v = n->vals; v; v = v->next)
			printf(v->kind == V_STR ? " \"%s\"" : " %s", v->s);
		printf(n->has_block ? " {\n" : ";\n");
		if (n->has_block) {
			dump_ast(n->kids, depth + 1);
			printf("%*s}\n", depth * 2, "");
		}
	}
}

static void dump_model(const Model *m)
{
	printf("model %s: %s, D=%d, vocab %d/%d, max %d/%d, embeddings %s, output %s, weights %s\n",
	       m->name, m->is_lm ? "lm" : "encdec", m->dim, m->src_vocab, m->tgt_vocab, m->max_source,
	       m->max_target, m->shared_embed ? "shared" : "separate", m->tied_output ? "tied" : "separate",
	       m->weights_path);
	const Stack *ss[2] = { &m->enc, &m->dec };
	for (int s = 0; s < 2; s++) {
		if (!ss[s]->present)
			continue;
		printf("%s: %d layers, %s-norm, final_norm %d, ffn %d %s, cross heads %d\n", s ? "decoder" : "encoder",
		       ss[s]->nlayers, ss[s]->pre_norm ? "pre" : "post", ss[s]->final_norm, ss[s]->ffn,
		       ss[s]->act == ACT_GELU ? "gelu" : "relu", ss[s]->cross_heads);
		for (int i = 0; i < ss[s]->nlayers; i++) {
			const Layer *L = &ss[s]->layers[i];
			printf("  layer %d%s %s:", i, L->plain ? " plain" : "", L->prefix);
			for (int b = 0; b < L->nbranch; b++) {
				const Branch *br = &L->br[b];
				static const char *k[] = { "attn", "lightweight", "dynamic" };
				printf(" [%s %d..%d h%d", k[br->kind], br->c0, br->c0 + br->width, br->heads);
				if (br->kind != BR_ATTN)
					printf(" K%d%s", br->kernel, br->glu ? " glu" : "");
				printf(" %s]", br->prefix);
			}
			printf("\n");
		}
	}
}

/* Write through a temporary beside `path`, renamed into place on success. */
typedef struct OutFile { const char *path, *tmp; FILE *f; } OutFile;

static bool out_open(OutFile *o, const char *path)
{
	o->path = path;
	o->tmp = arena_printf("%s.tmp%ld", path, (long)getpid());
	o->f = fopen(o->tmp, "w");
	if (!o->f)
		diag_plain_error("cannot write %s", path);
	return o->f != NULL;
}

static bool out_close(OutFile *o, bool keep)
{
	bool ok = o->f && !ferror(o->f);
	if (o->f && fclose(o->f) != 0)
		ok = false;
	o->f = NULL;
	if (!keep || !ok) {
		remove(o->tmp);
		if (keep)
			diag_plain_error("error writing %s", o->path);
		return false;
	}
	if (rename(o->tmp, o->path) != 0) {
		remove(o->tmp);
		diag_plain_error("cannot create %s", o->path);
		return false;
	}
	return true;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* long options without a short letter */
enum { OPT_NO_ZERO_COPY = 256, OPT_NO_STREAM_ATTN, OPT_NO_FUSE_DYN_TAPS };

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", required_argument, 0, 'o' },
		{ "target", required_argument, 0, 't' },
		{ "prefix", required_argument, 0, 'p' },
		{ "dump", required_argument, 0, 'd' },
		{ "target-file", required_argument, 0, 'T' },
		{ "list-targets", no_argument, 0, 'L' },
		{ "no-fit-check", no_argument, 0, 'F' },
		{ "emit-testbench", required_argument, 0, 'E' },
		{ "golden", required_argument, 0, 'g' },
		{ "external-buffers", no_argument, 0, 'X' },
		{ "section-weights", required_argument, 0, 'W' },
		{ "section-arena", required_argument, 0, 'A' },
		{ "section-state", required_argument, 0, 'Z' },
		{ "report", no_argument, 0, 'r' },
		{ "report-json", required_argument, 0, 'J' },
		{ "report-svg", required_argument, 0, 'G' },
		{ "no-fold-q-scale", no_argument, 0, 'Q' },
		{ "no-fold-softmax", no_argument, 0, 'S' },
		{ "no-fuse-glu", no_argument, 0, 'U' },
		{ "no-fuse-residual-ln", no_argument, 0, 'R' },
		{ "no-fuse-ln-linear", no_argument, 0, 'N' },
		{ "no-zero-copy", no_argument, 0, OPT_NO_ZERO_COPY },
		{ "no-stream-attention", no_argument, 0, OPT_NO_STREAM_ATTN },
		{ "no-fuse-dyn-taps", no_argument, 0, OPT_NO_FUSE_DYN_TAPS },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	const char *out = NULL, *target = "generic", *prefix = NULL, *dump = NULL;
	const char *rjson = NULL, *rsvg = NULL, *tfile = NULL, *tbdir = NULL;
	const char **goldens = arena_alloc(sizeof(char *) * (size_t)argc);
	int ngold = 0;
	bool report = false, fit_check = true, ext = false;
	const char *sw = NULL, *sa = NULL, *ss = NULL;
	FuseOpts fo = { .zero_copy = true, .stream_attn = true, .dyn_taps_row = true, .fold_q_scale = true,
			.fold_light_softmax = true, .linear_glu = true, .residual_ln = true, .ln_linear = true };
	int c;
	/* the command line for the header comment, before getopt reorders it;
	 * paths cut to their last part, so the output does not depend on
	 * where it was built */
	char *cmd = arena_strdup("ltcc");
	for (int i = 1; i < argc; i++)
		cmd = arena_printf("%s %s", cmd, base_name(argv[i]));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:t:d:hV", longs, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 't': target = optarg; break;
		case 'p': prefix = optarg; break;
		case 'd': dump = optarg; break;
		case 'T': tfile = optarg; break;
		case 'E': tbdir = optarg; break;
		case 'g': goldens[ngold++] = optarg; break;
		case 'L': tgt_list(stdout); tgt_cleanup(); arena_free_all(); return 0;
		case 'F': fit_check = false; break;
		case 'X': ext = true; break;
		case 'W': sw = optarg; break;
		case 'A': sa = optarg; break;
		case 'Z': ss = optarg; break;
		case 'r': report = true; break;
		case 'J': rjson = optarg; break;
		case 'G': rsvg = optarg; break;
		case 'Q': fo.fold_q_scale = false; break;
		case 'S': fo.fold_light_softmax = false; break;
		case 'U': fo.linear_glu = false; break;
		case 'R': fo.residual_ln = false; break;
		case 'N': fo.ln_linear = false; break;
		case OPT_NO_ZERO_COPY: fo.zero_copy = false; break;
		case OPT_NO_STREAM_ATTN: fo.stream_attn = false; break;
		case OPT_NO_FUSE_DYN_TAPS: fo.dyn_taps_row = false; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("ltcc %s\n", LTCC_VERSION); return 0;
		case ':': bad_usage("option '%s' needs a value", argv[optind - 1]);
		default: bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		bad_usage("%s", optind >= argc ? "expected one model file (MODEL.ltd)" : "expected exactly one model file");
	const char *ltd = argv[optind];
	Target *tgt = NULL;
	if (tfile) {
		if (!(tgt = tgt_load_file(tfile))) {
			tgt_cleanup();
			arena_free_all();
			return 1;
		}
	} else if (!(tgt = tgt_find(target))) {
		bad_usage("unknown target '%s' (ltcc --list-targets shows them)", target);
	}
	if (dump && strcmp(dump, "ast") && strcmp(dump, "model") && strcmp(dump, "ir"))
		bad_usage("unknown dump '%s' (ast, model or ir)", dump);
	if (ext && (sa || ss))
		bad_usage("%s", "--external-buffers: the caller places arena and state, not --section-arena/--section-state");
	if (ngold && !tbdir)
		bad_usage("%s", "--golden goes with --emit-testbench DIR");
	if (prefix && !valid_ident(prefix))
		bad_usage("prefix '%s' is not a C identifier", prefix);
	if (out && (strlen(out) < 3 || strcmp(out + strlen(out) - 2, ".c")))
		bad_usage("output '%s' must end in .c (the header is written beside it)", out);

	int rc = 1;
	SrcFile *src = src_read(ltd);
	Node *root;
	if (!src) {
		if (!diag_error_count())
			diag_plain_error("cannot read %s", ltd);
		goto done;
	}
	if (!ast_parse(src, &root))
		goto done;
	if (dump && !strcmp(dump, "ast")) {
		dump_ast(root, 0);
		rc = 0;
		goto done;
	}
	Model *m = check_model(root, ltd);
	if (!m)
		goto done;
	if (dump && !strcmp(dump, "model")) {
		dump_model(m);
		rc = 0;
		goto done;
	}
	WeightFile *wf = wf_load(m->weights_path);
	if (!wf) {
		diag_note(m->weights_loc, "weights named here");
		goto done;
	}
	IR *ir = lower_model(m, wf);
	if (!ir)
		goto done;
	fuse_program(ir, &fo);
	plan_memory(ir);
	if (dump) {
		dump_ir(ir);
		rc = 0;
		goto done;
	}
	if (report)
		report_text(ir, tgt, stdout);
	if ((rjson && !report_json(ir, tgt, rjson)) || (rsvg && !report_svg(ir, rsvg)))
		goto done;
	if (fit_check && !report_fits(ir, tgt, true))
		goto done;
	if ((report || rjson || rsvg) && !out) {  /* a report alone writes no C */
		rc = 0;
		goto done;
	}

	if (!prefix)
		prefix = m->name;
	if (!out)
		out = arena_printf("%s.c", prefix);
	char *hpath = arena_strdup(out);
	hpath[strlen(hpath) - 1] = 'h';
	EmitOpts eo = { .prefix = prefix, .target = tgt, .cmdline = cmd, .ltd_name = base_name(ltd),
			.external_buffers = ext, .sec_weights = sw, .sec_arena = sa, .sec_state = ss };
	if (tbdir && !testbench_write(ir, prefix, base_name(hpath), tbdir, goldens, ngold))
		goto done;
	OutFile oc = {0}, oh = {0};
	if (!out_open(&oc, out) || !out_open(&oh, hpath)) {
		out_close(&oc, false);
		goto done;
	}
	emit_c(ir, &eo, oc.f, base_name(hpath));
	emit_h(ir, &eo, oh.f);
	if (!out_close(&oc, true)) {
		out_close(&oh, false);
		goto done;
	}
	if (!out_close(&oh, true)) {
		remove(out);
		goto done;
	}
	rc = 0;
done:
	tgt_cleanup();
	arena_free_all();
	return rc;
}
