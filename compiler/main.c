/* main.c — the driver: options, then the passes as a flat list.
 * Exit status: 0 ok, 1 bad input, 2 bad usage. A failed compile leaves no
 * output file: both files are written to temporaries and renamed at the end. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ltcc.h"

static const char usage[] =
"usage: ltcc MODEL.ltd [options]\n"
"       ltcc search SPACE.ltd -t TARGET -o DIR [options]   (see ltcc search --help)\n"
"\n"
"Compile a Lite Transformer model (a .ltd description and its safetensors\n"
"weights) into one self-contained, allocation-free C file and its header.\n"
"\n"
"options:\n"
"  -o, --output FILE      write FILE (a .c) and FILE with .h; default NAME.c\n"
"  -t, --target NAME      target to specialise for (default generic)\n"
"      --target-file FILE use your own target description (XML, see targets/)\n"
"      --list-targets     list the built-in targets\n"
"  -MD                    also write a make-style depfile, OUTPUT with .d: the .c\n"
"                         and .h depend on the .ltd, the weights, the target file\n"
"  -MF FILE               write that depfile to FILE instead\n"
"      --print-cflags     print the flags the target's generated C is built with\n"
"                         (with -t or --target-file; no model file) and stop\n"
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
"      --quantize MODE    none (default); w8: int8 weights, one fp32 scale per row,\n"
"                         for every matrix a matmul reads (4x less flash),\n"
"                         activations and arithmetic fp32; int8: those weights,\n"
"                         and each matmul's input rows quantized at run time\n"
"                         (one scale per row), int32 sums, fp32 epilogue\n"
"      --compress MODE    auto (default): a matrix a matmul reads whose values are at\n"
"                         most 256 distinct floats (a pruned, weight-shared model,\n"
"                         tools/ltcc-compress) is stored as a codebook and 4- or\n"
"                         8-bit indices, the zeros skipped, and decoded on the fly;\n"
"                         exact, and --quantize leaves such matrices alone; off: fp32\n"
"      --weightless       no weight file: every tensor made up from its name and shape,\n"
"                         for sizes, the memory plan, the report and timing runs\n"
"                         (ltcc search uses it); the outputs compute nothing useful\n"
"      --max-weights-size SIZE  refuse a weight file larger than SIZE bytes\n"
"                         (K, M, G suffixes; default 4G). A .ltd may be 16 MiB,\n"
"                         a target file 1 MiB; every input must be a regular file\n"
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
	printf("arena %zu floats (lower bound %zu, naive %zu), state %zu floats, weights %zu bytes\n",
	       ir->arena_floats, ir->arena_lower_bound, ir->arena_naive, ir->state_floats, ir->weight_bytes);
}

static void dump_ast(const Node *n, int depth)
{
	for (; n; n = n->next) {
		printf("%*s%s", depth * 2, "", n->key);
		for (Value *v = n->vals; v; v = v->next) {
			if (v->kind != V_CHOICE) {
				printf(v->kind == V_STR ? " \"%s\"" : " %s", v->s);
				continue;
			}
			printf(" [");
			for (Value *a = v->alts; a; a = a->next)
				printf(a->kind == V_STR ? "%s\"%s\"" : "%s%s", a == v->alts ? "" : " ", a->s);
			printf("]");
		}
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
	       m->max_target, m->shared_embed ? "shared" : "separate",
	       m->aout.on ? "adaptive" : m->tied_output ? "tied" : "separate", m->weights_path);
	const Adaptive *ad[2] = { &m->ain, &m->aout };
	for (int a = 0; a < 2; a++) {
		if (!ad[a]->on)
			continue;
		printf("adaptive %s, factor %g%s%s:", a ? "softmax" : "input", ad[a]->factor,
		       ad[a]->tied ? ", tied" : "", ad[a]->tied_proj ? ", tied_proj" : "");
		for (int b = 0; b < ad[a]->nband; b++)
			printf(" [%d..%d w%d]", b ? ad[a]->cut[b - 1] : 0, ad[a]->cut[b], ad[a]->dim[b]);
		printf("\n");
	}
	const Stack *ss[2] = { &m->enc, &m->dec };
	static const char *const pos[] = { "sinusoidal", "learned", "none" };
	for (int s = 0; s < 2; s++) {
		if (!ss[s]->present)
			continue;
		printf("%s: %d layers, %s-norm, final_norm %d, ffn %d %s, cross heads %d, positions %s", s ? "decoder" : "encoder",
		       ss[s]->nlayers, ss[s]->pre_norm ? "pre" : "post", ss[s]->final_norm, ss[s]->ffn,
		       ss[s]->act == ACT_GELU ? "gelu" : "relu", ss[s]->cross_heads, pos[ss[s]->pos]);
		if (s)
			printf(", input_dim %d, output_dim %d", ss[s]->in_dim, ss[s]->out_dim);
		printf("\n");
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

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Everything the command line says. */
typedef struct Opts {
	const char *ltd, *out, *target, *tfile, *prefix, *dump;
	const char *rjson, *rsvg, *tbdir;
	const char **goldens;
	int ngold;
	bool report, fit_check, ext, print_cflags;
	const char *depfile;    /* -MD: "" (beside the output), -MF FILE: FILE */
	const char *sec_weights, *sec_arena, *sec_state;
	size_t max_weights;
	Quant quant;
	bool compress;      /* --compress auto */
	bool weightless;    /* --weightless */
	FuseOpts fo;
	const char *cmd;    /* for the header comment */
} Opts;


/* --quantize MODE; given twice, the two must agree. */
static void set_quant(Opts *o, const char *mode)
{
	static const char *seen;
	Quant q = quant_parse(mode);
	if ((int)q < 0)
		bad_usage("unknown --quantize '%s' (none, w8 or int8)", mode);
	if (seen && strcmp(seen, mode))
		bad_usage("%s", arena_printf("--quantize %s conflicts with the earlier --quantize %s", mode, seen));
	seen = mode;
	o->quant = q;
}

/* A linker section name: what GNU as accepts unquoted. */
static bool valid_section(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$") == strlen(s);
}

/* The generated .c includes its header by this name, and an #include
 * cannot escape anything: so only plain file-name characters. */
static bool valid_file_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == strlen(s);
}

/* long options without a short letter */
enum { OPT_NO_ZERO_COPY = 256, OPT_NO_STREAM_ATTN, OPT_NO_FUSE_DYN_TAPS, OPT_MAX_WEIGHTS, OPT_QUANTIZE,
       OPT_PRINT_CFLAGS, OPT_COMPRESS, OPT_WEIGHTLESS };

static const struct option longs[] = {
	{ "output", required_argument, 0, 'o' },
	{ "target", required_argument, 0, 't' },
	{ "prefix", required_argument, 0, 'p' },
	{ "dump", required_argument, 0, 'd' },
	{ "target-file", required_argument, 0, 'T' },
	{ "list-targets", no_argument, 0, 'L' },
	{ "print-cflags", no_argument, 0, OPT_PRINT_CFLAGS },
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
	{ "max-weights-size", required_argument, 0, OPT_MAX_WEIGHTS },
	{ "quantize", required_argument, 0, OPT_QUANTIZE },
	{ "compress", required_argument, 0, OPT_COMPRESS },
	{ "weightless", no_argument, 0, OPT_WEIGHTLESS },
	{ "help", no_argument, 0, 'h' },
	{ "version", no_argument, 0, 'V' },
	{ 0, 0, 0, 0 },
};

/* An unknown option, with the long option it is closest to. */
static _Noreturn void unknown_option(const char *opt)
{
	const char *names[64];
	int n = 0;
	size_t len = strcspn(opt, "=");
	for (int i = 0; longs[i].name && n < 64; i++)
		names[n++] = arena_printf("--%s", longs[i].name);
	const char *near = strncmp(opt, "--", 2) ? NULL : diag_nearest(arena_printf("%.*s", (int)len, opt), names, n);
	bad_usage("%s", arena_printf("unknown option '%s'%s", opt, near ? arena_printf("; did you mean '%s'?", near) : ""));
}

/* One option into o; exits for --help, --version, --list-targets and
 * usage errors. */
static void take_option(Opts *o, int c, char **argv)
{
	switch (c) {
	case 'o': o->out = optarg; break;
	case 't': o->target = optarg; break;
	case 'p': o->prefix = optarg; break;
	case 'd': o->dump = optarg; break;
	case 'T': o->tfile = optarg; break;
	case 'E': o->tbdir = optarg; break;
	case 'g': o->goldens[o->ngold++] = optarg; break;
	case 'L': tgt_list(stdout); tgt_cleanup(); arena_free_all(); exit(0);
	case 'F': o->fit_check = false; break;
	case 'X': o->ext = true; break;
	case 'W': o->sec_weights = optarg; break;
	case 'A': o->sec_arena = optarg; break;
	case 'Z': o->sec_state = optarg; break;
	case 'r': o->report = true; break;
	case 'J': o->rjson = optarg; break;
	case 'G': o->rsvg = optarg; break;
	case 'Q': o->fo.fold_q_scale = false; break;
	case 'S': o->fo.fold_light_softmax = false; break;
	case 'U': o->fo.linear_glu = false; break;
	case 'R': o->fo.residual_ln = false; break;
	case 'N': o->fo.ln_linear = false; break;
	case OPT_NO_ZERO_COPY: o->fo.zero_copy = false; break;
	case OPT_NO_STREAM_ATTN: o->fo.stream_attn = false; break;
	case OPT_NO_FUSE_DYN_TAPS: o->fo.dyn_taps_row = false; break;
	case OPT_MAX_WEIGHTS:
		if (!(o->max_weights = size_parse(optarg)))
			bad_usage("--max-weights-size '%s' is not a size (bytes, or with K, M or G)", optarg);
		break;
	case OPT_QUANTIZE:
		set_quant(o, optarg);
		break;
	case OPT_COMPRESS:
		if (strcmp(optarg, "auto") && strcmp(optarg, "off"))
			bad_usage("unknown --compress '%s' (auto or off)", optarg);
		o->compress = !strcmp(optarg, "auto");
		break;
	case OPT_PRINT_CFLAGS: o->print_cflags = true; break;
	case OPT_WEIGHTLESS: o->weightless = true; break;
	case 'M':  /* gcc's spellings: -MD, -MF FILE (or -MFFILE) */
		if (!strcmp(optarg, "D"))
			o->depfile = o->depfile ? o->depfile : "";
		else if (optarg[0] == 'F' && (optarg[1] || argv[optind]))
			o->depfile = optarg[1] ? optarg + 1 : argv[optind++];
		else
			bad_usage("%s", optarg[0] == 'F' ? "option '-MF' needs a value"
						: arena_printf("unknown option '-M%s' (-MD or -MF FILE)", optarg));
		break;
	case 'h': fputs(usage, stdout); arena_free_all(); exit(0);
	case 'V': printf("ltcc %s\n", LTCC_VERSION); arena_free_all(); exit(0);
	case ':': bad_usage("option '%s' needs a value", diag_option(argv));
	default: unknown_option(diag_option(argv));
	}
}

/* Combinations and values the options alone rule out. */
static void check_options(const Opts *o)
{
	if (o->dump && strcmp(o->dump, "ast") && strcmp(o->dump, "model") && strcmp(o->dump, "ir"))
		bad_usage("unknown dump '%s' (ast, model or ir)", o->dump);
	if (o->ext && (o->sec_arena || o->sec_state))
		bad_usage("%s", "--external-buffers: the caller places arena and state, not --section-arena/--section-state");
	if (o->ngold && !o->tbdir)
		bad_usage("%s", "--golden goes with --emit-testbench DIR");
	if (o->prefix && !valid_ident(o->prefix))
		bad_usage("prefix '%s' is not a C identifier", o->prefix);
	const char *secs[] = { o->sec_weights, o->sec_arena, o->sec_state };
	for (int i = 0; i < 3; i++)
		if (secs[i] && !valid_section(secs[i]))
			bad_usage("section name '%s' may hold only letters, digits, '_', '.' and '$'", secs[i]);
	/* zeros in any other section would be stored in the image (PROGBITS):
	 * GCC and Clang make .bss* and .noinit* sections NOBITS */
	for (int i = 1; i < 3; i++)
		if (secs[i] && strncmp(secs[i], ".bss", 4) && strncmp(secs[i], ".noinit", 7))
			bad_usage("%s", arena_printf("section '%s' for the %s: name it .bss.NAME or .noinit.NAME, so its "
						     "zeros stay out of the load image (the linker script places it)",
						     secs[i], i == 1 ? "arena" : "state"));
	if (o->out && (strlen(o->out) < 3 || strcmp(o->out + strlen(o->out) - 2, ".c")))
		bad_usage("output '%s' must end in .c (the header is written beside it)", o->out);
	if (o->out && !valid_file_name(base_name(o->out)))
		bad_usage("output '%s': the file name may hold only letters, digits and _ . + - "
			  "(the .c includes the .h by that name)", o->out);
}

static Opts parse_args(int argc, char **argv)
{
	Opts o = { .target = "generic", .fit_check = true, .compress = true, .max_weights = WEIGHTS_MAX_BYTES,
		   .fo = fuse_all };
	o.goldens = arena_alloc(sizeof(char *) * (size_t)argc);
	/* the command line for the header comment, before getopt reorders it;
	 * paths cut to their last part, so the output does not depend on
	 * where it was built */
	char *cmd = arena_strdup("ltcc");
	for (int i = 1; i < argc; i++)
		cmd = arena_printf("%s %s", cmd, base_name(argv[i]));
	o.cmd = cmd;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:t:d:M:hV", longs, NULL)) != -1)
		take_option(&o, c, argv);
	if (o.print_cflags) {  /* a question about the target: no model */
		if (optind != argc)
			bad_usage("--print-cflags takes no model file, not '%s'", argv[optind]);
		return o;
	}
	if (optind != argc - 1)
		bad_usage("%s", optind >= argc ? "expected one model file (MODEL.ltd)" : "expected exactly one model file");
	o.ltd = argv[optind];
	check_options(&o);
	return o;
}

/* The front end and the passes, as a flat list; NULL after reporting (or
 * after a dump, with *dumped set). */
static IR *compile(const Opts *o, const Target *tgt, bool *dumped)
{
	SrcFile *src = src_read(o->ltd);
	Node *root;
	if (!src || !ast_parse(src, &root))
		return NULL;
	if (o->dump && !strcmp(o->dump, "ast")) {
		dump_ast(root, 0);
		*dumped = true;
		return NULL;
	}
	Model *m = check_model(root, o->ltd);
	if (!m)
		return NULL;
	if (o->dump && !strcmp(o->dump, "model")) {
		dump_model(m);
		*dumped = true;
		return NULL;
	}
	if (!quant_supports(m, o->quant))
		return NULL;
	WeightFile *wf = o->weightless ? wf_synthetic() : wf_load(m->weights_path, o->max_weights);
	if (!wf) {
		diag_note(m->weights_loc, "weights named here");
		return NULL;
	}
	IR *ir = lower_model(m, wf);
	if (!ir)
		return NULL;
	fuse_program(ir, &o->fo);
	compress_weights(ir, o->compress && !o->weightless);
	quant_weights(ir, o->quant);
	pack_weights(ir, tgt);
	plan_memory(ir);
	if (o->dump) {
		dump_ir(ir);
		*dumped = true;
		return NULL;
	}
	return ir;
}

/* Every output file, as one transaction: reports, testbench, .c and .h
 * are all written to temporaries and renamed into place together, only
 * after everything (the fit check included) succeeded. */
/* A path as a make word: space, '#' and '$' escaped; NULL if make cannot
 * say it (a newline, or a backslash before what it would escape). */
static const char *make_word(const char *s)
{
	char *d = arena_alloc(2 * strlen(s) + 1), *p = d;
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || (*s == '\\' && strchr(" #\\", s[1] ? s[1] : ' ')))
			return NULL;
		if (*s == '$')
			*p++ = '$';
		else if (*s == ' ' || *s == '#' || *s == '\t')
			*p++ = '\\';
		*p++ = *s;
	}
	*p = 0;
	return d;
}

/* -MD / -MF: the .c and .h depend on the .ltd, the weights and the target
 * file; each of those also gets an empty rule, so a deleted one makes the
 * build rerun ltcc (which then says what is missing) instead of stopping. */
static bool write_depfile(const Opts *o, const IR *ir, const char *out, const char *hpath)
{
	const char *path = *o->depfile ? o->depfile : arena_printf("%.*s.d", (int)strlen(out) - 2, out);
	const char *deps[] = { o->ltd, ir->m->weights_path, o->tfile };
	const char *w[5] = { make_word(out), make_word(hpath) };
	for (int i = 0; i < 3; i++)
		if (deps[i] && !(w[2 + i] = make_word(deps[i]))) {
			diag_plain_error("cannot write a depfile: make cannot name '%s'", emit_comment_text(deps[i]));
			return false;
		}
	if (!w[0] || !w[1]) {
		diag_plain_error("cannot write a depfile: make cannot name '%s'", out);
		return false;
	}
	FILE *f = out_create(path);
	if (!f)
		return false;
	fprintf(f, "%s %s:", w[0], w[1]);
	for (int i = 2; i < 5; i++)
		if (w[i])
			fprintf(f, " %s", w[i]);
	fputc('\n', f);
	for (int i = 2; i < 5; i++)
		if (w[i])
			fprintf(f, "%s:\n", w[i]);
	return true;
}

static bool write_outputs(const Opts *o, const IR *ir, const Target *tgt)
{
	if (o->report)
		report_text(ir, tgt, stdout);
	if ((o->rjson && !report_json(ir, tgt, o->rjson)) || (o->rsvg && !report_svg(ir, o->rsvg)))
		return false;
	if (o->fit_check && !report_fits(ir, tgt, true))
		return false;
	if ((o->report || o->rjson || o->rsvg) && !o->out)  /* a report alone writes no C */
		return true;
	const char *prefix = o->prefix ? o->prefix : ir->m->name;
	const char *out = o->out ? o->out : arena_printf("%s.c", prefix);
	char *hpath = arena_strdup(out);
	hpath[strlen(hpath) - 1] = 'h';
	EmitOpts eo = { .prefix = prefix, .target = tgt, .cmdline = o->cmd, .ltd_name = base_name(o->ltd),
			.external_buffers = o->ext, .sec_weights = o->sec_weights, .sec_arena = o->sec_arena,
			.sec_state = o->sec_state };
	if (o->tbdir && !testbench_write(ir, prefix, base_name(hpath), o->tbdir, o->goldens, o->ngold))
		return false;
	FILE *c = out_create(out), *h = c ? out_create(hpath) : NULL;
	if (!h)
		return false;
	emit_c(ir, &eo, c, base_name(hpath));
	emit_h(ir, &eo, h);
	return !o->depfile || write_depfile(o, ir, out, hpath);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "search"))
		return search_main(argc - 1, argv + 1);
	Opts o = parse_args(argc, argv);
	Target *tgt = NULL;
	if (o.tfile) {
		if (!(tgt = tgt_load_file(o.tfile))) {
			tgt_cleanup();
			arena_free_all();
			return 1;
		}
	} else if (!(tgt = tgt_find(o.target))) {
		const char *near = tgt_suggest(o.target);
		bad_usage("%s", arena_printf("unknown target '%s'%s (ltcc --list-targets shows them)", o.target,
					     near ? arena_printf("; did you mean '%s'?", near) : ""));
	}
	if (o.print_cflags) {
		printf("%s\n", tgt->cflags);
		tgt_cleanup();
		arena_free_all();
		return 0;
	}
	bool dumped = false;
	IR *ir = compile(&o, tgt, &dumped);
	int rc = dumped ? 0 : 1;
	if (ir)
		rc = write_outputs(&o, ir, tgt) && out_commit() ? 0 : 1;
	out_abort();
	tgt_cleanup();
	arena_free_all();
	return rc;
}
