/* ltcc.h — the one internal header of the Lite Transformer compiler.
 *
 * The pipeline, one file per stage:
 *   lexer.l/parser.y  .ltd text      -> Node tree        (ast_)
 *   check.c           Node tree      -> Model            (check_)
 *   weights.c         .safetensors   -> WeightFile       (wf_)
 *   lower.c           Model+weights  -> Program IR       (lower_)
 *   fuse.c            Program IR     -> Program IR       (fuse_)
 *   compress.c, quant.c, pack.c  weights -> as stored: codebooks, int8,
 *                     panels for the target's matmuls  (compress_, quant_, pack_)
 *   plan.c            Program IR     -> arena offsets    (plan_)
 *   emit.c            Program IR     -> OUT.c + OUT.h    (emit_)
 * Sections below are named after the file that owns them. */
#ifndef LTCC_H
#define LTCC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LTCC_VERSION "0.1.0"

/* ---- arena.c: compiler memory, freed once at exit ---- */
void *arena_alloc(size_t n);                 /* zeroed, never freed singly */
char *arena_strdup(const char *s);
char *arena_printf(const char *fmt, ...);
void arena_free_all(void);
/* Append to a growable array in the arena: doubling, the old block left
 * behind. Type-generic, so no casts through void **. */
#define ARENA_PUSH(arr, n, cap, item) do { \
		if ((n) == (cap)) { \
			(cap) = (cap) ? (cap) * 2 : 256; \
			void *grown_ = arena_alloc(sizeof *(arr) * (size_t)(cap)); \
			if (n) \
				memcpy(grown_, (arr), sizeof *(arr) * (size_t)(n)); \
			(arr) = grown_; \
		} \
		(arr)[(n)++] = (item); \
	} while (0)

/* ---- files.c: bounded reads, all-or-nothing writes ----
 * Every input must be a regular file within its limit; the limit for
 * weights is --max-weights-size. */
#define LTD_MAX_BYTES      ((size_t)16 << 20)
#define TARGET_MAX_BYTES   ((size_t)1 << 20)
#define GOLDEN_MAX_BYTES   ((size_t)256 << 20)
#define WEIGHTS_MAX_BYTES  ((size_t)4 << 30)   /* the default */
/* The whole file, NUL-terminated, malloc'd (the caller frees); NULL after
 * an error naming the file and the reason. `what` says what it is for. */
void *file_read(const char *path, const char *what, size_t limit, size_t *len);
/* A temporary beside `path`, renamed onto it by out_commit; NULL after
 * reporting. */
FILE *out_create(const char *path);
/* Close and rename every output, or none: on any failure the previous files
 * are back in place and the temporaries gone. An output whose file holds
 * the same bytes already is left alone, time stamp and all, so a build does
 * not recompile what includes it. False after reporting. */
bool out_commit(void);
void out_abort(void);                        /* drop every temporary */
size_t size_parse(const char *s);            /* "64K", "4M": bytes; 0 if malformed */

/* ---- diag.c: gcc-style diagnostics ---- */
typedef struct SrcFile {
	const char *name;   /* as given on the command line */
	const char *text;   /* whole file, NUL-terminated */
} SrcFile;

typedef struct Loc {
	const SrcFile *file;
	int line, col;      /* 1-based; line 0 = no location */
} Loc;

void diag_error(Loc at, const char *fmt, ...);
void diag_warning(Loc at, const char *fmt, ...);
void diag_note(Loc at, const char *fmt, ...);
void diag_plain_error(const char *fmt, ...);  /* no location: "ltcc: error: ..." */
int diag_error_count(void);
void diag_reset(void);
void diag_set_stream(FILE *f);               /* default stderr; tests redirect */
/* The candidate closest to a mistyped name (edit distance within a third of
 * its length, at least 2), or NULL: for "did you mean". */
const char *diag_nearest(const char *name, const char *const *cands, int n);
_Noreturn void die(const char *fmt, ...);    /* internal bug: abort */
const char *diag_option(char **argv);        /* the option getopt just refused, as written */

/* ---- lexer.l / parser.y: the .ltd syntax tree ----
 * Every statement is `key value* ;` or `key value* { statement* }`.
 * The meaning of keys is check.c's business, so syntax and semantics
 * report their errors separately and precisely. */
/* V_CHOICE, `[a b c]` or `[lo .. hi step s]`, is a search space's
 * (search.c): its alternatives, never a choice themselves. A model
 * description may not hold one. */
typedef enum { V_INT, V_NUM, V_IDENT, V_STR, V_CHOICE } ValKind;

typedef struct Value {
	ValKind kind;
	long ival;          /* V_INT */
	double num;         /* V_NUM (and V_INT) */
	const char *s;      /* V_IDENT, V_STR; source text for V_INT/V_NUM */
	struct Value *alts; /* V_CHOICE: the alternatives, ranges expanded */
	int nalts;
	Loc loc;
	struct Value *next;
} Value;

typedef struct Node {
	const char *key;
	Loc loc;
	Value *vals;
	int nvals;
	bool has_block;
	struct Node *kids;  /* statements inside { } */
	struct Node *next;
} Node;

/* Parse a whole .ltd file into its list of top-level statements;
 * false after reporting errors. */
bool ast_parse(const SrcFile *f, Node **root);
SrcFile *src_read(const char *path);         /* NULL after reporting */
SrcFile *src_from_string(const char *name, const char *text);

/* ---- check.c: the validated model description ---- */
typedef enum { BR_ATTN, BR_LIGHT, BR_DYN } BranchKind;
typedef enum { POS_SINUSOIDAL, POS_LEARNED, POS_NONE } PosKind;
typedef enum { ACT_NONE, ACT_RELU, ACT_GELU } Act;

typedef struct Branch {
	BranchKind kind;
	int c0, width;      /* channel slice [c0, c0+width) of the layer input */
	int heads;
	int kernel;         /* conv only */
	Loc kloc;           /* where the kernel size was written */
	bool glu;           /* conv only: linear1 maps w -> 2w, then GLU */
	const char *prefix; /* weight names: layer prefix + this */
	Loc loc;
} Branch;

#define MAX_BRANCHES 8

typedef struct Layer {
	int nbranch;
	Branch br[MAX_BRANCHES];
	bool plain;         /* fairseq MultiheadAttention over all D, no MultiBranch */
	const char *prefix; /* e.g. "encoder.layers.3." */
	Loc loc;
} Layer;

typedef struct Stack {
	bool present;
	bool pre_norm;
	bool final_norm;
	bool weight_softmax;
	int nlayers;
	int ffn;
	Act act;
	int cross_heads;    /* decoder of an encoder-decoder model */
	PosKind pos;        /* positions added to the embedded tokens */
	Loc pos_loc;        /* where they were said (the stack, when not) */
	int in_dim, out_dim;/* decoder: token embedding width E and output width O
			     * (project_in_dim / project_out_dim when not D) */
	const char *prefix; /* module prefix, "encoder." */
	Layer *layers;
	Loc loc;
} Stack;

/* fairseq's AdaptiveInput / AdaptiveSoftmax: the vocabulary cut into bands,
 * band i the ids [cut[i-1], cut[i]) (cut[-1] = 0, the last cut the
 * vocabulary), each with a narrower width dim[i] = floor(W / factor^i) of
 * the input width W (the softmax's band 0 is its head, its band i >= 1 the
 * tail cluster i-1). */
#define MAX_BANDS 8
typedef struct Adaptive {
	bool on;
	int nband;
	int cut[MAX_BANDS];
	int dim[MAX_BANDS];
	double factor;
	bool tied, tied_proj;   /* softmax: tie_adaptive_weights, tie_adaptive_proj */
	Loc loc;
} Adaptive;

typedef struct Model {
	const char *name;
	Loc loc;
	bool is_lm;         /* decoder only */
	int dim;
	int src_vocab, tgt_vocab;
	int max_source, max_target;
	int bos, pad, eos, unk;
	bool shared_embed;  /* one matrix for encoder and decoder tokens */
	bool tied_output;   /* logits = y @ E_dec^T */
	Adaptive ain, aout; /* adaptive input (decoder tokens), adaptive softmax (the output) */
	const char *weights_path;   /* resolved against the .ltd's folder */
	Loc weights_loc;
	Stack enc, dec;
} Model;

/* NULL after reporting errors. */
Model *check_model(const Node *root, const char *ltd_path);

/* ---- weights.c: safetensors ---- */
typedef struct WTensor {
	const char *name;
	const char *dtype;  /* as in the file: F32, F16, BF16 */
	int ndim;
	int64_t shape[8];
	int64_t numel;
	float *data;        /* converted to fp32 */
	bool used;
} WTensor;

typedef struct WeightFile {
	const char *path;
	int n, cap;
	WTensor *t;
	bool synth;         /* --weightless: tensors made on demand (wf_synth) */
} WeightFile;

/* NULL after reporting an error that names the file and the problem. */
WeightFile *wf_load(const char *path, size_t limit);
WeightFile *wf_parse(const char *path, const unsigned char *buf, size_t len);
WTensor *wf_find(WeightFile *wf, const char *name);
/* --weightless: a file that holds whatever the model asks for, shapes
 * only in spirit: wf_synth makes tensor `name` (rows, cols; cols 0 for a
 * vector), filled with small values fixed by its name, so the passes, the
 * planner, the report and the emitter run as on trained weights. */
WeightFile *wf_synthetic(void);
WTensor *wf_synth(WeightFile *wf, const char *name, int64_t rows, int64_t cols);

/* ---- lower.c: the IR ----
 * A tensor is a row-major matrix. Activations may be column slices (views)
 * of a parent buffer: that is how LSRA's channel split and concat cost
 * nothing. Rows are the maximum; the count at run time is an op's `rows`. */
typedef enum { T_WEIGHT, T_ACT, T_STATE } TensorKind;

typedef struct Tensor {
	int id;             /* its index in IR.tensors */
	const char *name;   /* C identifier stem: enc0_q */
	TensorKind kind;
	int rows, cols;
	int stride;         /* floats between rows (views: the parent's) */
	struct Tensor *base;/* view: the buffer it lives in, at column col0 */
	int col0;
	float *data;        /* T_WEIGHT: values after folding */
	int8_t *q;          /* T_WEIGHT quantized (quant.c): int8 rows ... */
	float *qs;          /* ... and one scale per row; NULL: fp32 */
	bool act8;          /* --quantize int8: matmuls by it quantize their input rows too */
	int cz_fmt;         /* CzFormat (compress.c): stored as a codebook and indices ... */
	uint8_t *cz;        /* ... this stream of cz_bytes ... */
	size_t cz_bytes;
	float *cz_book;     /* ... into these cz_nbook values */
	int cz_nbook;
	int pk;             /* T_WEIGHT fp32 in panels (pack.c): 0 row-major, else its
			     * rows [0, pk) and [pk, rows) are packed apart */
	const char *src;    /* T_WEIGHT: safetensors name; note for others */
	const char *note;   /* what was folded in, for the comment */
	Loc loc;
	/* plan.c */
	int first, last;    /* op indices of first and last use in its program */
	int prog;           /* program that owns it (-1: several) */
	size_t off;         /* in floats, in the arena (T_ACT) or state (T_STATE) */
	bool emitted;
} Tensor;

/* Run-time row counts. */
typedef enum {
	RW_ONE,             /* one row: a decoder step */
	RW_N,               /* the source length n of P_encode */
	RW_POS1,            /* decoder positions so far, pos + 1 */
	RW_SRC,             /* the stored source length */
} Rows;

/* The op table. Columns: name, what it computes (emitted as a comment).
 * Operand slots: in[0..] as listed in the formula. */
#define OP_TABLE(X) \
	X(EMBED,     "x = scale*E[tok] + PE[pos]          in: E") \
	X(LINEAR,    "y = act(x W^T + b)                   in: x W b?") \
	X(LINEAR_ACC,"y += x W^T + b                       in: x W b?") \
	X(LINEAR_ACC_LN, "x[:, c0:] += h W^T + b, then x = LN(x) row by row   in: h W b gamma beta") \
	X(LN_LINEAR, "y = act(LN(x) W^T + b), two rows a pass   in: x W b gamma beta tmp(2, D)") \
	X(GLU,       "g = u[:, :w] * sigmoid(u[:, w:])     in: u") \
	X(LINEAR_GLU,"g = GLU(x W^T + b), two rows a pass   in: x W b tmp(2, 2w)") \
	X(ATTN,      "o = softmax(q k^T) v                 in: q k v scores?(heads*rows, keys)") \
	X(CONV_LIGHT,"o[t] = sum_k w[h,k] g[t-P+k]         in: g w(H,K)") \
	X(CONV_DYN,  "o[t] = sum_k softmax(g[t] Ww^T)[h,k] g[t-P+k]   in: g Ww? hist? taps") \
	X(CONV_HIST, "push g into the K-1 row history      in: g") \
	X(ADD_LN,    "x = LN(x + y)                        in: x y gamma beta") \
	X(COPY,      "y = x (column slices)                in: x") \
	X(ADD,       "y += x (column slices)               in: x") \
	X(LN,        "y = LN(x)                            in: x gamma beta") \
	X(POS,       "x += PE[pos] (sinusoidal) or P[pos] (learned)   in: P?") \
	X(EMBED_ADAPTIVE, "x = scale * E_b[tok - lo_b] W_b^T, b the token's band") \
	X(LOGITS,    "logits = x W^T                       in: x W") \
	X(ADAPTIVE_OUT, "logits = adaptive log-softmax of x: head, then each tail cluster   in: x")

typedef enum {
#define X(name, doc) OP_##name,
	OP_TABLE(X)
#undef X
	OP_COUNT
} OpKind;

extern const char *const op_name[OP_COUNT];
extern const char *const op_doc[OP_COUNT];

#define OP_MAX_IN 6

typedef struct Op {
	OpKind kind;
	Tensor *in[OP_MAX_IN];
	Tensor *out;
	Rows rows;          /* rows processed */
	Rows krows;         /* ATTN: key rows */
	bool out_at_pos;    /* output row is the decoder position (K/V cache) */
	bool causal;        /* ATTN, CONV_*: causal window */
	bool weight_softmax;/* CONV_DYN: softmax over K */
	bool step;          /* CONV_*: decoder step, reads the history in[2] */
	bool taps_in;       /* CONV_DYN: in[3] holds every row's taps, made by an earlier LINEAR */
	bool in_at_pos;     /* POS: a decoder step reads the table's row st_pos */
	const struct AdaptiveIR *ad;  /* EMBED_ADAPTIVE, ADAPTIVE_OUT */
	int heads;
	int kernel, pad;    /* CONV_* */
	Act act;            /* LINEAR */
	float scale;        /* EMBED */
	int pos0;           /* EMBED, POS: the first token's position (fairseq: pad + 1);
			     * EMBED: -1 adds no positions */
	const char *block;  /* the emitted function this op belongs to */
	const char *what;   /* one-line comment for the block */
	Loc loc;            /* the .ltd statement it came from */
} Op;

/* An adaptive layer bound to its tensors: band b's matrices. The input's
 * E (rows, dim) is the band's embedding and P (D, dim) its projection up;
 * the softmax's band 0 is the head (E: the head words (cut0, O), P: the
 * cluster logits (ntail, O)), band b >= 1 the tail cluster b-1 (P projects
 * down: (dim, O), or (O, dim) used transposed when tied to the input's;
 * E: its words (rows, dim)). */
typedef struct AdaptiveIR {
	const Adaptive *a;
	Tensor *E[MAX_BANDS], *P[MAX_BANDS];
	bool ptrans;
	Tensor *h;          /* softmax: a tail's hidden row (1, widest dim) */
	Tensor *cls;        /* softmax: the clusters' log-probabilities (1, ntail) */
} AdaptiveIR;

typedef struct Program {
	const char *name;   /* "encode", "decode_step" */
	Op **ops;
	int nops, cap;
} Program;

typedef struct IR {
	const Model *m;
	Program encode, step;
	Tensor **tensors;   /* every tensor, in creation order */
	int ntensors, cap;
	Tensor *enc_embed, *dec_embed, *out_w;
	Tensor *enc_out;    /* encoder output buffer (NULL for LMs) */
	bool sinusoids;     /* some stack adds sinusoidal positions: pos_omega is emitted */
	AdaptiveIR *ain, *aout;     /* the decoder's adaptive input and softmax, or NULL */
	size_t arena_floats, state_floats;
	size_t arena_lower_bound;   /* plan.c: most floats live at one op */
	size_t arena_naive;         /* lower.c: every unfused activation its own buffer */
	size_t weight_bytes;        /* as stored: fp32, or int8 rows and their scales */
	int quant;                  /* Quant (quant.c) */
	size_t qx_bytes;            /* --quantize int8: the quantized-activation scratch */
} IR;

/* NULL after reporting errors (missing or mis-shaped tensors). */
IR *lower_model(const Model *m, WeightFile *wf);
/* Every weight op o reads, each once: its inputs' and its adaptive bands'. */
#define OP_MAX_W (OP_MAX_IN + 2 * MAX_BANDS)
int op_weights(const Op *o, const Tensor *w[OP_MAX_W]);
void ir_add_tensor(IR *ir, Tensor *t);

/* ---- fuse.c ---- */
typedef struct FuseOpts {
	bool zero_copy;         /* branches read and write column slices: no split/concat copies */
	bool stream_attn;       /* one query row at a time, online softmax: no score map */
	bool dyn_taps_row;      /* dynamic-conv taps computed per row: no (n, H*K) buffer */
	bool fold_q_scale;      /* scale W_q, b_q by hd^-0.5 at compile time */
	bool fold_light_softmax;/* softmax the lightweight kernels at compile time */
	bool linear_glu;        /* linear1 and its GLU in one pass, no (n, 2w) buffer */
	bool residual_ln;       /* residual add and LayerNorm in the producing matmul */
	bool ln_linear;         /* pre-norm: LayerNorm in the next linear's input pass */
} FuseOpts;
extern const FuseOpts fuse_all;     /* every pass on, the default */
void fuse_program(IR *ir, const FuseOpts *o);

/* ---- quant.c: --quantize ---- */
typedef enum { Q_NONE, Q_W8, Q_I8 } Quant;
/* The rows an int8 kernel quantizes at once, at most: qx holds this many
 * input rows as int16 (the targets' 16-bit multiply-adds read them). */
#define QX_ROWS 4
Quant quant_parse(const char *mode);         /* "none", "w8", "int8"; -1 if unknown */
bool quant_supports(const Model *m, Quant mode); /* false after saying why not */
void quant_weights(IR *ir, Quant mode);      /* also sets ir->weight_bytes, qx_bytes */
void quant_row(const float *w, int n, int8_t *q, float *s);
size_t quant_tensor_bytes(const Tensor *t);  /* as stored: fp32, int8 rows and scales, or compressed */
/* The weight matrix op o multiplies by (a lookup's table for EMBED), or NULL. */
Tensor *op_matmul_weight(const Op *o);

/* ---- compress.c: --compress auto ---- */
typedef enum { CZ_NONE, CZ_D8, CZ_D4, CZ_S4 } CzFormat;
#define CZ_MAX_BOOK 256
extern const char *const cz_format_name[];  /* "fp32", "D8", "D4", "S4" */
/* Before quant_weights, which leaves compressed matrices alone. */
void compress_weights(IR *ir, bool on);

/* ---- kernels.c: the kernel table ----
 * Every kernel the generated code calls, in one place: its name in
 * templates/ (k_ + id), its parameters in the order the emitter passes
 * them (tests/unit holds every template's signature to this list), the
 * multiply-adds of one call, and its other work (the elements its epilogue,
 * exps or normalisation touch: what the cost model charges besides MACs),
 * both written with A("param"), the value of an argument. kern_calls
 * turns an op into calls: the emitter prints them and pulls in their
 * templates, the report sums their MACs, the cost model (cost.c) prices
 * them.
 * Columns: id, parameters, multiply-adds of one call, other work of one call. */
#define KERNEL_TABLE(X) \
	X(linear,          "n in out x xs W b y ys scale act acc",          A("n") * A("in") * A("out"), A("n") * A("out")) \
	X(linear_ln,       "n in out x xs W b y ys c0 D gamma beta",        A("n") * A("in") * A("out"), A("n") * A("D")) \
	X(ln_linear,       "n in out x xs W b y ys act gamma beta pair",    A("n") * A("in") * A("out"), A("n") * (A("in") + A("out"))) \
	X(linear_glu,      "n in w x xs W b g gs pair",                     A("n") * A("in") * 2 * A("w"), A("n") * A("w")) \
	/* a panel-packed matrix Wp (pack.c), on targets whose kernels want one */ \
	X(linear_pk,       "n in out x xs Wp b y ys scale act acc",         A("n") * A("in") * A("out"), A("n") * A("out")) \
	X(linear_ln_pk,    "n in out x xs Wp b y ys c0 D gamma beta",       A("n") * A("in") * A("out"), A("n") * A("D")) \
	X(ln_linear_pk,    "n in out x xs Wp b y ys act gamma beta pair",   A("n") * A("in") * A("out"), A("n") * (A("in") + A("out"))) \
	X(linear_glu_pk,   "n in w x xs Wp b g gs pair",                    A("n") * A("in") * 2 * A("w"), A("n") * A("w")) \
	X(glu,             "n w u us g gs",                                 0, A("n") * A("w")) \
	X(attention,       "nq nk heads hd q qs k ks v vs o os",            2 * A("nq") * A("nk") * A("heads") * A("hd"), A("nq") * A("nk") * A("heads")) \
	X(attention_map,   "nq nk heads hd q qs k ks v vs o os S",          2 * A("nq") * A("nk") * A("heads") * A("hd"), A("nq") * A("nk") * A("heads")) \
	X(conv_row,        "t n w heads K P g gs wt orow",                  A("w") * A("K"), A("w")) \
	X(conv_light,      "n w heads K P g gs wt o os tmp sm",             A("n") * A("w") * A("K"), A("n") * A("w")) \
	X(conv_dyn,        "n w heads K P g gs Ww o os taps sm",            A("n") * A("w") * A("K") * (1 + A("heads")), A("n") * A("heads") * A("K")) \
	X(conv_dyn_taps,   "n w heads K P g gs taps o os sm",               A("n") * A("w") * A("K"), A("n") * A("heads") * A("K")) \
	X(conv_step,       "w heads K g hist wt o",                         A("w") * A("K"), A("w")) \
	X(conv_push,       "w K g hist",                                    0, A("w") * A("K")) \
	X(softmax_rows,    "rows len x",                                    0, A("rows") * A("len")) \
	X(copy,            "n cols x xs y ys acc",                          0, A("n") * A("cols")) \
	X(add_layernorm,   "n D x xs y ys gamma beta add",                  0, A("n") * A("D")) \
	X(layernorm,       "n D x xs out os gamma beta",                    0, A("n") * A("D")) \
	X(embed,           "n D tok first_pos E scale omega x",             0, A("n") * A("D")) \
	X(posenc,          "n D first_pos omega x",                         0, A("n") * A("D")) \
	/* adaptive softmax: a tail tied to the input's projection, the log-softmaxes */ \
	X(linear_t,        "n in out x W y",                                A("n") * A("in") * A("out"), A("n") * A("out")) \
	X(log_softmax2,    "n x m c",                                       0, A("n")) \
	X(log_softmax_add, "n x add",                                       0, A("n")) \
	X(argmax,          "n x",                                           0, A("n")) \
	/* --quantize w8: int8 weight rows Wq with one scale per row Ws */ \
	X(linear_w8,       "n in out x xs Wq Ws b y ys scale act acc",      A("n") * A("in") * A("out"), A("n") * A("out")) \
	X(linear_ln_w8,    "n in out x xs Wq Ws b y ys c0 D gamma beta",    A("n") * A("in") * A("out"), A("n") * A("D")) \
	X(ln_linear_w8,    "n in out x xs Wq Ws b y ys act gamma beta pair", A("n") * A("in") * A("out"), A("n") * (A("in") + A("out"))) \
	X(linear_glu_w8,   "n in w x xs Wq Ws b g gs pair",                 A("n") * A("in") * 2 * A("w"), A("n") * A("w")) \
	X(conv_dyn_w8,     "n w heads K P g gs Wq Ws o os taps sm",         A("n") * A("w") * A("K") * (1 + A("heads")), A("n") * A("heads") * A("K")) \
	X(embed_w8,        "n D tok first_pos Eq Es scale omega x",         0, A("n") * A("D")) \
	/* --quantize int8: int8 weights and int8 input rows, quantized into qx \
	 * (QX_ROWS x in int16) by the kernel, int32 sums, an fp32 epilogue */ \
	X(linear_i8,       "n in out x xs Wq Ws b y ys scale act acc qx",   A("n") * A("in") * A("out"), A("n") * A("out")) \
	X(linear_ln_i8,    "n in out x xs Wq Ws b y ys c0 D gamma beta qx", A("n") * A("in") * A("out"), A("n") * A("D")) \
	X(ln_linear_i8,    "n in out x xs Wq Ws b y ys act gamma beta pair qx", A("n") * A("in") * A("out"), A("n") * (A("in") + A("out"))) \
	X(linear_glu_i8,   "n in w x xs Wq Ws b g gs pair qx",              A("n") * A("in") * 2 * A("w"), A("n") * A("w")) \
	X(conv_dyn_i8,     "n w heads K P g gs Wq Ws o os taps sm qx",      A("n") * A("w") * A("K") * (1 + A("heads")), A("n") * A("heads") * A("K")) \
	/* --compress auto: a codebook matrix, its stream Wz, codebook cb and \
	 * format fmt (compress.c) */ \
	X(linear_cz,       "n in out x xs Wz cb fmt b y ys scale act acc",  A("n") * A("in") * A("out"), A("n") * A("out")) \
	X(linear_ln_cz,    "n in out x xs Wz cb fmt b y ys c0 D gamma beta", A("n") * A("in") * A("out"), A("n") * A("D")) \
	X(ln_linear_cz,    "n in out x xs Wz cb fmt b y ys act gamma beta pair", A("n") * A("in") * A("out"), A("n") * (A("in") + A("out"))) \
	X(linear_glu_cz,   "n in w x xs Wz cb fmt b g gs pair",             A("n") * A("in") * 2 * A("w"), A("n") * A("w")) \
	X(conv_dyn_cz,     "n w heads K P g gs Wz cb fmt o os taps sm",     A("n") * A("w") * A("K") * (1 + A("heads")), A("n") * A("heads") * A("K")) \
	X(embed_cz,        "n D tok first_pos Ez cb fmt scale omega x",     0, A("n") * A("D"))

typedef enum {
#define X(id, params, macs, work) K_##id,
	KERNEL_TABLE(X)
#undef X
	K_COUNT
} Kernel;

#define KERN_MAX_ARGS 16
#define KERN_MAX_CALLS (3 + 3 * MAX_BANDS)  /* an adaptive softmax: head, then 3 a tail */
typedef struct KArg {
	const char *c;      /* the C expression passed */
	double v;           /* its value, for sizes (rows at the length asked for); 0 for pointers */
	const Tensor *w;    /* a weight matrix: two arguments (rows, scales) if quantized */
	const Tensor *t;    /* the tensor it points into: every weight's is set (pack.c
			     * counts on it), an activation's may not be */
} KArg;
typedef struct KCall { Kernel k; int nargs; KArg a[KERN_MAX_ARGS]; } KCall;

extern const char *const kern_name[K_COUNT];    /* "k_linear" */
extern const char *const kern_params[K_COUNT];  /* "n in out x ..." */
/* The calls that compute op o, in order; rows counted at length T. */
int kern_calls(const Op *o, int T, KCall out[KERN_MAX_CALLS]);
double kern_macs(const KCall *c);
double kern_arg(const KCall *c, const char *name);  /* a size argument's value */
double kern_work(const KCall *c);
const char *kern_ref(const Tensor *t, bool at_pos);  /* C expression for a tensor's first element */
const char *kern_rows(Rows r);                       /* C expression for a row count */

/* ---- pack.c: weight matrices in the layout the matmuls stream ----
 * A packed matrix is its rows in panels of PANEL, the last one narrower,
 * each panel column by column: with p the panel's first row and
 * w = min(PANEL, rows - p) its width, W[r][i] sits at p*cols + i*w + r - p.
 * A GLU's matrix packs its two halves apart (Tensor.pk). Only matrices
 * that nothing but the linear kernels read are packed. */
#define PANEL 16
struct Target;
void pack_weights(IR *ir, const struct Target *t);
/* The index of W[r][i] in a matrix of `rows` rows and `cols` columns
 * packed in parts of `part` rows. */
size_t pack_index(int rows, int cols, int part, int r, int i);

/* ---- plan.c ---- */
void plan_memory(IR *ir);

/* ---- emit.c ---- */
typedef struct EmitOpts {
	const char *prefix;     /* symbol prefix */
	const struct Target *target;
	const char *cmdline;    /* for the header comment */
	const char *ltd_name;   /* the .ltd as given, for comments */
	bool external_buffers;  /* the caller passes arena and state (P_set_buffers) */
	const char *sec_weights, *sec_arena, *sec_state;  /* linker sections, or NULL */
} EmitOpts;
/* Writes the .c to `c` and the .h to `h`; `hname` is what the .c includes. */
void emit_c(const IR *ir, const EmitOpts *o, FILE *c, const char *hname);
void emit_h(const IR *ir, const EmitOpts *o, FILE *h);
void emit_float(FILE *f, float v);          /* exact; v finite */
const char *emit_float_text(float v);       /* the same, as a string */
const char *emit_comment_text(const char *s);  /* safe inside a block comment */
const char *emit_c_string(const char *s);      /* a quoted, escaped C string literal */


/* ---- target.c: target descriptions (XML, libxml2) ---- */
/* One kernel's price on a target (cost.c): cycles a call, a MAC, a unit of
 * its other work. Priced apart in the encoder's program and in a decoder
 * step's (PROG_STEP), where the kernels run one row: another code path. */
typedef struct KCost { bool priced; double call, mac, work; } KCost;
enum { PROG_ENCODE, PROG_STEP };

typedef struct Target {
	const char *name, *description, *file;
	const char *arch;       /* c99, x86-64, armv7e-m, armv8.1-m.main, rv32imafc */
	bool fpu, fma, mve, avx2;  /* what the kernel family needs is checked */
	bool panels;            /* <kernels panels>: weight matrices packed for the matmuls (pack.c) */
	int align;              /* bytes, for weights and buffers */
	long long flash, ram;   /* bytes; 0 = no limit */
	const char *cflags;     /* what the generated file is built with */
	const char *family;     /* kernel templates layered over generic */
	int clock_mhz;          /* the cost model (cost.c): */
	double macs_per_cycle;  /* sustained multiply-adds per cycle, for a kernel not priced */
	KCost kcost[2][K_COUNT];/* each kernel's price in each program, from <kernel> in <cost> */
	double glue_call[2], glue_run[2];  /* <glue>: between calls, per call and per program run */
	int priced;             /* how many prices <cost> gives */
} Target;

Target *tgt_find(const char *name);        /* built-in; NULL if unknown or invalid */
const char *tgt_suggest(const char *name); /* the built-in name closest to a mistyped one, or NULL */
Target *tgt_load_file(const char *path);   /* NULL after reporting */
Target *tgt_parse(const char *buf, size_t len, const char *name);  /* likewise */
void tgt_list(FILE *f);
void tgt_cleanup(void);

/* ---- cost.c: a program's cycles on a target ---- */
typedef struct Cost {
	int T;              /* the run priced: encoder over T tokens, T decoder steps */
	double enc_cycles, step_cycles;  /* the encoder; the T steps together */
	double ms;          /* both, at the target's clock */
	double macs;        /* both runs' multiply-adds */
} Cost;
int cost_length(const Model *m);
Cost cost_estimate(const IR *ir, const Target *t);

/* ---- space.c: a search space, a .ltd whose values may be choices ---- */
#define SPACE_MAX_DIMS 256
#define SPACE_MAX_LAYERS 64
typedef struct Dim {
	const char *what;       /* "dim", "decoder.layers", "decoder.kernel3" */
	const Value *choice;    /* its alternatives */
	const Node *stmt;       /* the statement it is in */
	const Node *stack;      /* the stack it is in, or NULL */
	int layer;              /* a per-layer kernel: its layer; else -1 */
} Dim;
typedef struct Space {
	const char *path, *name;
	const Node *model;
	Dim dims[SPACE_MAX_DIMS];
	int ndim;
	double size;            /* genomes: the product of the choices' sizes */
} Space;
Space *space_load(const char *path);          /* NULL after reporting */
/* Candidate g (an alternative's index per dimension) as .ltd text. */
char *space_render(const Space *sp, const int *g, const char *name);
const Value *space_alt(const Space *sp, const int *g, int i);  /* what g picks in dimension i */
bool space_dim_used(const Space *sp, const int *g, int i);
void space_canonical(const Space *sp, int *g);
void space_random(const Space *sp, int *g, uint64_t *rng);
uint64_t space_rand(uint64_t *state);

/* ---- search.c: ltcc search ---- */
int search_main(int argc, char **argv);


/* ---- testbench.c ---- */
bool testbench_write(const IR *ir, const char *prefix, const char *hname, const char *dir,
		     const char *const *goldens, int ngold);

/* ---- report.c ---- */
void report_text(const IR *ir, const Target *t, FILE *f);
bool report_json(const IR *ir, const Target *t, const char *path);
bool report_svg(const IR *ir, const char *path);
bool report_fits(const IR *ir, const Target *t, bool complain);

/* ---- templates.c (generated from templates/ and targets/ at build time) ---- */
typedef struct TmplFile { const char *name, *text; } TmplFile;
extern const TmplFile tmpl_kernels[];       /* {family, kernels}, NULL-terminated */
extern const struct TmplTarget { const char *name, *xml; } tmpl_targets[];
extern const char *const tmpl_target_schema;
const char *tmpl_family(const char *family); /* kernel text, NULL if unknown */

#endif
