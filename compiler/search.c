/* search.c — ltcc search: the Pareto front of a search space, without
 * training anything (LiteTransformerSearch, Javaheripi et al. 2022).
 *
 * Each candidate of the space (space.c) is compiled as far as the memory
 * plan, on made-up weights (--weightless): that gives its non-embedding
 * parameters (the proxy for its accuracy after training, which the paper
 * found ranks autoregressive transformers well), its flash and RAM from
 * the real planner, and its latency from the target's cost model (cost.c)
 * or, with --measure, from a run in QEMU. The candidates within the
 * budgets are ranked on proxy against latency; an evolutionary search (or
 * all of them, when the space is small) finds the front.
 *
 * Candidates are evaluated by -j worker processes, forked per batch, so a
 * batch's compiler memory goes when its workers exit; each sends back one
 * fixed-size record per candidate over a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "ltcc.h"

static const char usage[] =
"usage: ltcc search SPACE -t TARGET -o DIR [options]\n"
"\n"
"Find the models of a search space (a .ltd whose values may be choices, see\n"
"docs/search.md) that trade latency on the target best against non-embedding\n"
"parameters, the proxy for accuracy, within flash, RAM and latency budgets.\n"
"No weights are needed. Writes DIR/candidates.csv (every model evaluated),\n"
"DIR/front.csv, DIR/front.svg and, for each front model, DIR/NAME.ltd and\n"
"DIR/NAME.json (the configuration tools/train_lm.py --config trains).\n"
"\n"
"options:\n"
"  -t, --target NAME        the target (default generic)\n"
"      --target-file FILE   your own target description\n"
"  -o, --output DIR         where the results go (created if missing)\n"
"      --max-flash SIZE     weights at most SIZE bytes (K, M, G); default: the target's flash\n"
"      --max-ram SIZE       arena, state and scratch at most SIZE; default: the target's RAM\n"
"      --max-latency-ms X   the priced run at most X ms: the encoder over T tokens, then T\n"
"                           decoder steps (T = 30, or the model's maximum if shorter)\n"
"      --quantize MODE      none, w8 or int8: the candidates as ltcc --quantize compiles them\n"
"      --measure            latency from a QEMU run of each candidate (tools/ltcc-measure, or\n"
"                           the command in $LTCC_MEASURE) instead of the cost model\n"
"      --population N       candidates per generation (default 48)\n"
"      --generations N      generations of the evolutionary search (default 20)\n"
"      --exhaustive N       evaluate every candidate when the space holds at most N (default 2000)\n"
"      --random N           random candidates until N (at most 200) are within the budgets,\n"
"                           their .ltd written; no search (tools/ltcc-calibrate measures them)\n"
"  -j, --jobs N             worker processes (default 1)\n"
"      --seed S             the random seed (default 1); the same seed gives the same results\n"
"  -q, --quiet              no progress on stderr\n"
"  -h, --help               show this help\n"
"\n"
"exit status: 0 ok, 1 bad space or no candidate within the budgets, 2 bad usage\n";

typedef struct SOpts {
	const char *space, *target, *tfile, *dir;
	long long max_flash, max_ram;
	double max_ms;
	Quant quant;
	bool measure, quiet;
	int pop, gens, jobs, random;
	double exhaustive;
	uint64_t seed;
} SOpts;

/* What one candidate costs; sent from a worker as is. */
typedef struct Eval {
	int ok;                 /* compiled */
	double params;          /* the proxy: non-embedding parameters */
	double dec_params, all_params;
	long long flash, ram, arena, state;
	double macs;            /* of the priced run */
	double cycles, ms;      /* the cost model's */
	double meas_cycles;     /* --measure: QEMU's, else -1 */
	char why[200];          /* not ok: the first error */
} Eval;

typedef struct Cand {
	int *g;
	const char *name, *text;
	Eval e;
	bool feasible, front;
} Cand;

/* A set of 64-bit keys (open addressing; 0 stands for empty, so keys are
 * made odd): the models seen, and the names given. */
typedef struct KeySet { uint64_t *k; size_t cap, n; } KeySet;

typedef struct Run {
	SOpts o;
	const Space *sp;
	const Target *tgt;
	Cand *c;
	int n, cap;
	KeySet seen, names;     /* models' hashes, names' 32-bit hashes */
	uint64_t rng;
	const char *self;       /* this executable, for --measure ... */
	const char *mdir;       /* ... and its scratch directory */
} Run;

static _Noreturn void search_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "ltcc search: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'ltcc search --help')\n");
	arena_free_all();
	exit(2);
}

/* ---- one candidate, in a worker ---- */

/* Parameters of the weights lower_model bound, before any pass folds or
 * packs them: all, the non-embedding ones, and the decoder's among those. */
static void count_params(const IR *ir, Eval *e)
{
	static const char *const embedding[] = { "embed_tokens", "embed_out", "embed_positions", "adaptive_softmax" };
	const char *dec = ir->m->dec.prefix;
	for (int i = 0; i < ir->ntensors; i++) {
		const Tensor *t = ir->tensors[i];
		if (t->kind != T_WEIGHT)
			continue;
		double n = (double)t->rows * t->cols;
		e->all_params += n;
		bool emb = false;
		for (int k = 0; k < 4; k++)
			emb |= strstr(t->src, embedding[k]) != NULL;
		if (emb)
			continue;
		e->params += n;
		if (!strncmp(t->src, dec, strlen(dec)))
			e->dec_params += n;
	}
	/* the LiteTransformerSearch proxy is the decoder's; an encoder-decoder
	 * model's capacity is in both stacks, so both count there */
	if (!ir->m->is_lm)
		return;
	e->params = e->dec_params;
}

/* Run argv, the end of its stdout into buf; true if it exited 0. */
static bool run_command(char *const argv[], char *buf, size_t len)
{
	int fd[2];
	if (pipe(fd))
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	size_t got = 0;
	ssize_t r;
	while (pid > 0 && (r = read(fd[0], buf + got, len - 1 - got)) > 0) {
		got += (size_t)r;
		if (got == len - 1) {  /* full: keep the second half, read on */
			memmove(buf, buf + got / 2, got - got / 2);
			got -= got / 2;
		}
	}
	buf[got] = 0;
	close(fd[0]);
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* --measure: the candidate compiled and run by the measuring command,
 * whose last output line is its cycles (instructions on a Cortex-M or
 * RISC-V target, time at the target's clock on x86); -1 if it failed. */
static double measure(const Run *r, const Cand *c)
{
	const char *ltd = arena_printf("%s/%s.ltd", r->mdir, c->name);
	FILE *f = fopen(ltd, "w");
	if (!f)
		return -1;
	fputs(c->text, f);
	fclose(f);
	const char *cmd = getenv("LTCC_MEASURE"), *slash = strrchr(r->self, '/');
	if (!cmd || !*cmd)
		cmd = slash ? arena_printf("%.*s/../tools/ltcc-measure", (int)(slash - r->self), r->self) : "ltcc-measure";
	static const char *const qn[] = { "none", "w8", "int8" };
	char *argv[] = { (char *)cmd, "--ltcc", (char *)r->self, r->o.tfile ? "--target-file" : "--target",
			 (char *)(r->o.tfile ? r->o.tfile : r->tgt->name), "--quantize", (char *)qn[r->o.quant],
			 (char *)ltd, NULL };
	char out[4096];
	bool ran = run_command(argv, out, sizeof out);
	remove(ltd);
	if (!ran)
		return -1;
	char *last = strrchr(out, '\n');
	while (last && last > out && !last[1]) {  /* skip the final newline */
		*last = 0;
		last = strrchr(out, '\n');
	}
	double v = strtod(last ? last + 1 : out, NULL);
	return v > 0 && isfinite(v) ? v : -1;
}

/* About how many parameters a checked model has: the matrices of its
 * layers, embeddings and output, before anything is bound. */
static double about_params(const Model *m)
{
	double D = m->dim, p = D * ((double)m->src_vocab + m->tgt_vocab);
	const Stack *ss[2] = { &m->enc, &m->dec };
	for (int s = 0; s < 2; s++)
		for (int i = 0; ss[s]->present && i < ss[s]->nlayers; i++) {
			const Layer *L = &ss[s]->layers[i];
			p += 2 * D * ss[s]->ffn + (ss[s]->cross_heads ? 4 * D * D : 0);
			for (int b = 0; b < L->nbranch; b++) {
				const Branch *br = &L->br[b];
				double w = br->width;
				p += br->kind == BR_ATTN ? 4 * w * w : (br->glu ? 3 : 2) * w * w;
				p += br->kind == BR_DYN ? w * br->heads * br->kernel : 0;
			}
		}
	return p;
}

/* Weights (fp32 bytes) a candidate may have and still be compiled: 5x the
 * flash budget (int8 stores a quarter) but at least 64 MiB, or 1 GiB
 * without a budget. Larger ones are refused before a made-up copy of them
 * would take the worker's memory. */
static double weight_cap(const Run *r)
{
	return r->o.max_flash ? fmax(5.0 * (double)r->o.max_flash, 64.0 * (1 << 20)) : (double)(1u << 30);
}

/* The first error a candidate's compile reported, one line. */
static void first_error(const char *diag, char *why, size_t len)
{
	const char *e = strstr(diag, "error: ");
	e = e ? e + 7 : diag;
	size_t n = strcspn(e, "\n");
	snprintf(why, len, "%.*s", (int)(n < len ? n : len - 1), e);
}

static Eval evaluate(const Run *r, const Cand *c)
{
	Eval e = { .meas_cycles = -1 };
	char *diag = NULL;
	size_t dlen = 0;
	FILE *ds = open_memstream(&diag, &dlen);
	diag_set_stream(ds);
	diag_reset();
	Node *root;
	const SrcFile *src = src_from_string(arena_printf("%s.ltd", c->name), c->text);
	Model *m = ast_parse(src, &root) ? check_model(root, src->name) : NULL;
	if (m && 4 * about_params(m) > weight_cap(r)) {
		diag_error(m->loc, "about %.1f MB of fp32 weights, over the %.1f MB a candidate may have to be compiled",
			   4 * about_params(m) / 1e6, weight_cap(r) / 1e6);
		m = NULL;
	}
	IR *ir = m && quant_supports(m, r->o.quant) ? lower_model(m, wf_synthetic()) : NULL;
	if (ir) {
		count_params(ir, &e);
		fuse_program(ir, &fuse_all);
		compress_weights(ir, false);
		quant_weights(ir, r->o.quant);
		pack_weights(ir, r->tgt);
		plan_memory(ir);
		Cost cost = cost_estimate(ir, r->tgt);
		e.ok = 1;
		e.flash = (long long)ir->weight_bytes;
		e.arena = (long long)ir->arena_floats * 4;
		e.state = (long long)ir->state_floats * 4;
		e.ram = e.arena + e.state + (long long)ir->qx_bytes;
		e.macs = cost.macs;
		e.cycles = cost.enc_cycles + cost.step_cycles;
		e.ms = cost.ms;
	}
	fflush(ds);
	if (!e.ok)
		first_error(diag ? diag : "", e.why, sizeof e.why);
	diag_set_stream(NULL);
	fclose(ds);
	free(diag);
	bool fits = (!r->o.max_flash || e.flash <= r->o.max_flash) && (!r->o.max_ram || e.ram <= r->o.max_ram);
	if (e.ok && fits && r->o.measure && (e.meas_cycles = measure(r, c)) < 0) {
		e.ok = 0;
		snprintf(e.why, sizeof e.why, "--measure: the measuring command failed");
	}
	return e;
}

/* ---- workers ---- */

typedef struct Rec { int i; Eval e; } Rec;

static void worker(const Run *r, const int *idx, int n, int w, int jobs, int fd)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);  /* a measuring command must not hold the pipe open */
	for (int k = w; k < n; k += jobs) {
		Rec rec = { idx[k], evaluate(r, &r->c[idx[k]]) };
		if (write(fd, &rec, sizeof rec) != (ssize_t)sizeof rec)
			_exit(1);
	}
	_exit(0);
}

static bool read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

/* Evaluate candidates idx[0..n) with up to r->o.jobs processes, worker w
 * taking idx[w], idx[w + jobs], ... in that order. A worker that dies took
 * down the candidate it was on, the first of its share not reported: that
 * one is marked so, and the rest of its share goes to a new worker. */
static void eval_batch(Run *r, const int *idx, int n)
{
	int jobs = r->o.jobs < n ? r->o.jobs : n, fds[64], nleft = 0;
	int *left = arena_alloc(sizeof(int) * (size_t)(n + 1));
	pid_t pids[64];
	fflush(NULL);
	for (int w = 0; w < jobs; w++) {
		int fd[2];
		if (pipe(fd) || (pids[w] = fork()) < 0)
			die("cannot start a worker: %s", strerror(errno));
		if (pids[w] == 0) {
			close(fd[0]);
			worker(r, idx, n, w, jobs, fd[1]);
		}
		close(fd[1]);
		fcntl(fd[0], F_SETFD, FD_CLOEXEC);  /* not inherited by the next workers' commands */
		fds[w] = fd[0];
	}
	for (int w = 0; w < jobs; w++) {
		Rec rec;
		int k = w;
		for (; k < n && read_full(fds[w], &rec, sizeof rec) && rec.i == idx[k]; k += jobs)
			r->c[rec.i].e = rec.e;
		close(fds[w]);
		waitpid(pids[w], NULL, 0);
		if (k >= n)
			continue;
		r->c[idx[k]].e = (Eval){ .meas_cycles = -1 };
		snprintf(r->c[idx[k]].e.why, sizeof r->c[idx[k]].e.why, "its evaluation crashed");
		for (k += jobs; k < n; k += jobs)
			left[nleft++] = idx[k];
	}
	if (nleft)
		eval_batch(r, left, nleft);
}

/* ---- candidates ---- */

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Add key k to s; false if it was there. */
static bool key_add(KeySet *s, uint64_t k)
{
	k |= 1;
	if (2 * (s->n + 1) > s->cap) {  /* grow: the old table left in the arena */
		KeySet g = { arena_alloc(sizeof(uint64_t) * (s->cap ? 2 * s->cap : 1024)), s->cap ? 2 * s->cap : 1024, 0 };
		for (size_t i = 0; i < s->cap; i++)
			if (s->k[i])
				key_add(&g, s->k[i]);
		*s = g;
	}
	size_t i = (size_t)(k >> 7) & (s->cap - 1);
	for (; s->k[i]; i = (i + 1) & (s->cap - 1))
		if (s->k[i] == k)
			return false;
	s->k[i] = k;
	s->n++;
	return true;
}

/* Add genome g (canonical) unless an equal model is known; its index, or
 * -1. Its name is the space's and 8 hex digits of the model's hash, 16 if
 * another model has those 8. */
static int add_cand(Run *r, const int *g)
{
	const char *body = space_render(r->sp, g, "CANDIDATE");
	uint64_t h = fnv(body);
	if (!key_add(&r->seen, h))
		return -1;
	Cand c = { 0 };
	c.g = arena_alloc(sizeof(int) * (size_t)(r->sp->ndim ? r->sp->ndim : 1));
	memcpy(c.g, g, sizeof(int) * (size_t)r->sp->ndim);
	c.name = key_add(&r->names, h >> 32 << 1) ? arena_printf("%s_%08x", r->sp->name, (unsigned)(h >> 32))
						     : arena_printf("%s_%016llx", r->sp->name, (unsigned long long)h);
	c.text = space_render(r->sp, g, c.name);
	ARENA_PUSH(r->c, r->n, r->cap, c);
	return r->n - 1;
}

/* A candidate's latency: measured (--measure, if it was run: those over
 * the flash or RAM budget are not), else the cost model's. */
static double latency(const Run *r, const Cand *c)
{
	return r->o.measure && c->e.meas_cycles > 0 ? c->e.meas_cycles / (r->tgt->clock_mhz * 1e3) : c->e.ms;
}

static bool feasible(const Run *r, const Cand *c)
{
	const Eval *e = &c->e;
	return e->ok && (!r->o.max_flash || e->flash <= r->o.max_flash) && (!r->o.max_ram || e->ram <= r->o.max_ram) &&
	       (!r->o.max_ms || latency(r, c) <= r->o.max_ms);
}

/* the run being sorted: qsort passes its comparison no context */
static const Run *sort_run;
static int by_latency(const void *a, const void *b)
{
	const Cand *x = sort_run->c + *(const int *)a, *y = sort_run->c + *(const int *)b;
	double lx = latency(sort_run, x), ly = latency(sort_run, y);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (x->e.params != y->e.params)
		return x->e.params > y->e.params ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Mark the front: no feasible candidate is at least as fast with at least
 * as many parameters, better in one. Returns its size. */
static int mark_front(Run *r)
{
	int *idx = arena_alloc(sizeof(int) * (size_t)(r->n + 1)), n = 0;
	for (int i = 0; i < r->n; i++) {
		r->c[i].feasible = feasible(r, &r->c[i]);
		r->c[i].front = false;
		if (r->c[i].feasible)
			idx[n++] = i;
	}
	sort_run = r;
	qsort(idx, (size_t)n, sizeof *idx, by_latency);
	double best = -1;
	int nf = 0;
	for (int k = 0; k < n; k++)
		if (r->c[idx[k]].e.params > best) {  /* of exact ties, the first by name */
			best = r->c[idx[k]].e.params;
			r->c[idx[k]].front = true;
			nf++;
		}
	return nf;
}

/* ---- the search ---- */

static void progress(const Run *r, const char *what)
{
	if (r->o.quiet)
		return;
	int ok = 0, fe = 0, fr = 0;
	for (int i = 0; i < r->n; i++) {
		ok += r->c[i].e.ok;
		fe += r->c[i].feasible;
		fr += r->c[i].front;
	}
	fprintf(stderr, "ltcc search: %s: %d evaluated, %d valid, %d within the budgets, front %d\n", what, r->n, ok, fe, fr);
}

/* Evaluate the candidates from `from` on, in batches, with progress. */
static void eval_new(Run *r, int from, const char *what)
{
	int batch = r->o.jobs * 32;
	int *idx = arena_alloc(sizeof(int) * (size_t)(r->n - from + 1));
	for (int s = from; s < r->n; s += batch) {
		int n = r->n - s < batch ? r->n - s : batch;
		for (int k = 0; k < n; k++)
			idx[k] = s + k;
		eval_batch(r, idx, n);
		mark_front(r);
		if (r->n - from > batch)
			progress(r, arena_printf("%s, %d of %d", what, s + n - from, r->n - from));
	}
	if (r->n - from <= batch)
		progress(r, what);
}

static void random_cands(Run *r, int want)
{
	int *g = arena_alloc(sizeof(int) * (size_t)(r->sp->ndim + 1));
	for (int tries = 0, got = 0; got < want && tries < 50 * want + 100; tries++) {
		space_random(r->sp, g, &r->rng);
		got += add_cand(r, g) >= 0;
	}
}

/* --random N: random candidates until N are within the budgets (or the
 * space seems to have no more). */
static void random_feasible(Run *r)
{
	for (int round = 0, fe = 0; fe < r->o.random && round < 20; round++) {
		int from = r->n;
		random_cands(r, r->o.random - fe);
		if (r->n == from)
			break;
		eval_new(r, from, "random candidates");
		fe = 0;
		for (int i = 0; i < r->n; i++)
			fe += r->c[i].feasible;
	}
}

/* Every genome, by a mixed-radix counter; equal models once. */
static void all_cands(Run *r)
{
	int *g = arena_alloc(sizeof(int) * (size_t)(r->sp->ndim + 1)), *c = arena_alloc(sizeof(int) * (size_t)(r->sp->ndim + 1));
	for (;;) {
		memcpy(c, g, sizeof(int) * (size_t)r->sp->ndim);
		space_canonical(r->sp, c);
		add_cand(r, c);
		int d = 0;
		while (d < r->sp->ndim && ++g[d] == r->sp->dims[d].choice->nalts)
			g[d++] = 0;
		if (d == r->sp->ndim)
			return;
	}
}

/* A child of the front: a parent, crossed with another half the time, then
 * each choice redrawn with probability 1/ndim (at least one). */
static void child(Run *r, const int *par, int npar, int *g)
{
	const Cand *a = &r->c[par[space_rand(&r->rng) % (uint64_t)npar]];
	const Cand *b = &r->c[par[space_rand(&r->rng) % (uint64_t)npar]];
	bool cross = space_rand(&r->rng) & 1;
	int nd = r->sp->ndim, forced = (int)(space_rand(&r->rng) % (uint64_t)nd);
	for (int i = 0; i < nd; i++) {
		g[i] = cross && (space_rand(&r->rng) & 1) ? b->g[i] : a->g[i];
		if (i == forced || space_rand(&r->rng) % (uint64_t)nd == 0)
			g[i] = (int)(space_rand(&r->rng) % (uint64_t)r->sp->dims[i].choice->nalts);
	}
	space_canonical(r->sp, g);
}

/* Parents: the front, topped up with other feasible (else valid)
 * candidates to a quarter of the population. */
static int parents(const Run *r, int *par)
{
	int n = 0;
	for (int i = 0; i < r->n; i++)
		if (r->c[i].front)
			par[n++] = i;
	for (int pass = 0; pass < 2 && n < r->o.pop / 4; pass++)
		for (int i = 0; i < r->n && n < r->o.pop / 4; i++)
			if (!r->c[i].front && (pass ? r->c[i].e.ok : r->c[i].feasible))
				par[n++] = i;
	return n;
}

static void evolve(Run *r)
{
	random_cands(r, r->o.pop);
	eval_new(r, 0, "generation 0 (random)");
	int *g = arena_alloc(sizeof(int) * (size_t)(r->sp->ndim + 1));
	for (int gen = 1; gen <= r->o.gens; gen++) {
		int *par = arena_alloc(sizeof(int) * (size_t)(r->n + 1));
		int npar = parents(r, par), from = r->n;
		if (!npar)
			break;
		for (int tries = 0; r->n - from < r->o.pop && tries < 50 * r->o.pop; tries++) {
			child(r, par, npar, g);
			add_cand(r, g);
		}
		if (r->n == from)
			break;  /* nothing new near the front */
		eval_new(r, from, arena_printf("generation %d/%d", gen, r->o.gens));
	}
}

/* ---- outputs ---- */

static const char *csv(const char *s)
{
	if (!strpbrk(s, ",\"\n\r"))
		return s;
	char *q = arena_alloc(2 * strlen(s) + 3), *d = q;
	*d++ = '"';
	for (; *s; s++) {
		if (*s == '"')
			*d++ = '"';
		*d++ = *s == '\n' || *s == '\r' ? ' ' : *s;
	}
	*d = '"';
	return q;
}

static void csv_header(const Run *r, FILE *f)
{
	fprintf(f, "name");
	for (int i = 0; i < r->sp->ndim; i++)
		fprintf(f, ",%s", csv(r->sp->dims[i].what));
	fprintf(f, ",valid,params_nonembedding,params_decoder,params_total,flash_bytes,ram_bytes,arena_bytes,state_bytes,"
		   "macs,cost_cycles,cost_ms,measured_cycles,measured_ms,feasible,front,error\n");
}

static void csv_row(const Run *r, const Cand *c, FILE *f)
{
	const Eval *e = &c->e;
	fprintf(f, "%s", c->name);
	for (int i = 0; i < r->sp->ndim; i++) {
		const Value *a = space_alt(r->sp, c->g, i);
		fprintf(f, ",%s", space_dim_used(r->sp, c->g, i) ? csv(a->s) : "");
	}
	fprintf(f, ",%d", e->ok);
	if (e->ok)
		fprintf(f, ",%.0f,%.0f,%.0f,%lld,%lld,%lld,%lld,%.0f,%.0f,%.6g", e->params, e->dec_params, e->all_params,
			e->flash, e->ram, e->arena, e->state, e->macs, e->cycles, e->ms);
	else
		fprintf(f, ",,,,,,,,,,");
	if (e->meas_cycles > 0)
		fprintf(f, ",%.0f,%.6g", e->meas_cycles, e->meas_cycles / (r->tgt->clock_mhz * 1e3));
	else
		fprintf(f, ",,");
	fprintf(f, ",%d,%d,%s\n", c->feasible, c->front, e->ok ? "" : csv(e->why));
}

/* The front in latency order. */
static int front_order(const Run *r, int *idx)
{
	int n = 0;
	for (int i = 0; i < r->n; i++)
		if (r->c[i].front)
			idx[n++] = i;
	sort_run = r;
	qsort(idx, (size_t)n, sizeof *idx, by_latency);
	return n;
}

/* A round step for an axis: 1, 2 or 5 times a power of ten. */
static double tick_step(double span)
{
	double s = pow(10, floor(log10(span / 5))), m[] = { 1, 2, 5, 10 };
	for (int i = 0; i < 4; i++)
		if (span / (s * m[i]) <= 6)
			return s * m[i];
	return s * 10;
}

static void svg_axes(FILE *f, double xmax, double ymax, double W, double H, double L, double B)
{
	double sx = (W - L - 30) / xmax, sy = (H - B - 50) / ymax;
	fprintf(f, "<line x1='%g' y1='%g' x2='%g' y2='%g' stroke='black'/>\n", L, H - B, W - 20, H - B);
	fprintf(f, "<line x1='%g' y1='%g' x2='%g' y2='40' stroke='black'/>\n", L, H - B, L);
	for (double x = 0, st = tick_step(xmax); x <= xmax * 1.0001; x += st)
		fprintf(f, "<text x='%g' y='%g' font-size='11' text-anchor='middle'>%g</text>\n", L + x * sx, H - B + 16, x);
	for (double y = 0, st = tick_step(ymax); y <= ymax * 1.0001; y += st)
		fprintf(f, "<text x='%g' y='%g' font-size='11' text-anchor='end'>%gk</text>\n", L - 6, H - B - y * sy + 4, y / 1e3);
	fprintf(f, "<text x='%g' y='%g' font-size='13' text-anchor='middle'>latency (ms)</text>\n", L + (W - L) / 2, H - 8);
	fprintf(f, "<text x='16' y='%g' font-size='13' text-anchor='middle' transform='rotate(-90 16 %g)'>non-embedding parameters</text>\n",
		(H - B) / 2 + 20, (H - B) / 2 + 20);
}

static void write_svg(const Run *r, FILE *f)
{
	double W = 900, H = 560, L = 80, B = 50, xmax = 0, ymax = 0;
	for (int i = 0; i < r->n; i++)
		if (r->c[i].e.ok) {
			xmax = fmax(xmax, latency(r, &r->c[i]));
			ymax = fmax(ymax, r->c[i].e.params);
		}
	xmax = xmax > 0 ? xmax * 1.05 : 1;
	ymax = ymax > 0 ? ymax * 1.05 : 1;
	double sx = (W - L - 30) / xmax, sy = (H - B - 50) / ymax;
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%g' height='%g' font-family='sans-serif'>\n", W, H);
	fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
	int nfront = 0;
	for (int i = 0; i < r->n; i++)
		nfront += r->c[i].front;
	fprintf(f, "<text x='%g' y='20' font-size='15' text-anchor='middle'>%s on %s: %d candidates, %d on the front</text>\n",
		W / 2, r->sp->name, r->tgt->name, r->n, nfront);
	fprintf(f, "<text x='%g' y='36' font-size='11' text-anchor='middle' fill='#555'>blue: the front; grey: within "
		   "the budgets; hollow: over a budget; latency %s</text>\n", W / 2,
		r->o.measure ? "measured in QEMU" : "from the cost model");
	svg_axes(f, xmax, ymax, W, H, L, B);
	for (int i = 0; i < r->n; i++) {
		const Cand *c = &r->c[i];
		if (!c->e.ok || c->front)
			continue;
		fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s' stroke='#999'/>\n", L + latency(r, c) * sx,
			H - B - c->e.params * sy, c->feasible ? "#bbb" : "none");
	}
	int *idx = arena_alloc(sizeof(int) * (size_t)(r->n + 1)), n = front_order(r, idx);
	fprintf(f, "<polyline fill='none' stroke='#1f5fbf' stroke-width='1.5' points='");
	for (int k = 0; k < n; k++)
		fprintf(f, "%.1f,%.1f ", L + latency(r, &r->c[idx[k]]) * sx, H - B - r->c[idx[k]].e.params * sy);
	fprintf(f, "'/>\n");
	for (int k = 0; k < n; k++) {
		const Cand *c = &r->c[idx[k]];
		double x = L + latency(r, c) * sx, y = H - B - c->e.params * sy;
		fprintf(f, "<circle cx='%.1f' cy='%.1f' r='4.5' fill='#1f5fbf'><title>%s: %.0f parameters, %.4g ms</title></circle>\n",
			x, y, c->name, c->e.params, latency(r, c));
		if (n <= 16)
			fprintf(f, "<text x='%.1f' y='%.1f' font-size='10' fill='#1f5fbf'>%s</text>\n", x + 6, y - 6, c->name);
	}
	fprintf(f, "</svg>\n");
}

/* tools/reference.py's configuration of a checked model: what
 * tools/train_lm.py --config trains. */
static json_object *stack_json(const Stack *s)
{
	static const char *const kinds[] = { "attn", "lightweight", "dynamic" };
	json_object *o = json_object_new_object(), *ls = json_object_new_array();
	json_object_object_add(o, "norm", json_object_new_string(s->pre_norm ? "pre" : "post"));
	json_object_object_add(o, "final_norm", json_object_new_boolean(s->final_norm));
	json_object_object_add(o, "ffn", json_object_new_int(s->ffn));
	json_object_object_add(o, "activation", json_object_new_string(s->act == ACT_GELU ? "gelu" : "relu"));
	json_object_object_add(o, "weight_softmax", json_object_new_boolean(s->weight_softmax));
	if (s->cross_heads)
		json_object_object_add(o, "cross_heads", json_object_new_int(s->cross_heads));
	for (int i = 0; i < s->nlayers; i++) {
		json_object *l = json_object_new_object(), *bs = json_object_new_array();
		json_object_object_add(l, "plain", json_object_new_boolean(s->layers[i].plain));
		for (int b = 0; b < s->layers[i].nbranch; b++) {
			const Branch *br = &s->layers[i].br[b];
			json_object *j = json_object_new_object();
			json_object_object_add(j, "kind", json_object_new_string(kinds[br->kind]));
			json_object_object_add(j, "width", json_object_new_int(br->width));
			json_object_object_add(j, "heads", json_object_new_int(br->heads));
			if (br->kind != BR_ATTN) {
				json_object_object_add(j, "kernel", json_object_new_int(br->kernel));
				json_object_object_add(j, "glu", json_object_new_boolean(br->glu));
			}
			json_object_array_add(bs, j);
		}
		json_object_object_add(l, "branches", bs);
		json_object_array_add(ls, l);
	}
	json_object_object_add(o, "layers", ls);
	return o;
}

static bool write_config(const Cand *c, const char *path)
{
	Node *root;
	const SrcFile *src = src_from_string(arena_printf("%s.ltd", c->name), c->text);
	Model *m = ast_parse(src, &root) ? check_model(root, src->name) : NULL;
	FILE *f = m ? out_create(path) : NULL;
	if (!f)
		return false;
	json_object *o = json_object_new_object(), *tok = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "kind", json_object_new_string(m->is_lm ? "lm" : "encdec"));
	json_object_object_add(o, "dim", json_object_new_int(m->dim));
	json_object_object_add(o, "src_vocab", json_object_new_int(m->is_lm ? 0 : m->src_vocab));
	json_object_object_add(o, "tgt_vocab", json_object_new_int(m->tgt_vocab));
	json_object_object_add(o, "max_source", json_object_new_int(m->is_lm ? 0 : m->max_source));
	json_object_object_add(o, "max_target", json_object_new_int(m->max_target));
	json_object_object_add(tok, "bos", json_object_new_int(m->bos));
	json_object_object_add(tok, "pad", json_object_new_int(m->pad));
	json_object_object_add(tok, "eos", json_object_new_int(m->eos));
	json_object_object_add(tok, "unk", json_object_new_int(m->unk));
	json_object_object_add(o, "tokens", tok);
	json_object_object_add(o, "embeddings", json_object_new_string(m->shared_embed ? "shared" : "separate"));
	json_object_object_add(o, "output", json_object_new_string(m->tied_output ? "tied" : "separate"));
	if (!m->is_lm)
		json_object_object_add(o, "encoder", stack_json(&m->enc));
	json_object_object_add(o, "decoder", stack_json(&m->dec));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return true;
}

#define MAX_FRONT_FILES 400

static bool write_results(const Run *r)
{
	FILE *all = out_create(arena_printf("%s/candidates.csv", r->o.dir));
	FILE *fr = all ? out_create(arena_printf("%s/front.csv", r->o.dir)) : NULL;
	FILE *svg = fr ? out_create(arena_printf("%s/front.svg", r->o.dir)) : NULL;
	if (!svg)
		return false;
	csv_header(r, all);
	csv_header(r, fr);
	for (int i = 0; i < r->n; i++)
		csv_row(r, &r->c[i], all);
	int *idx = arena_alloc(sizeof(int) * (size_t)(r->n + 1)), n = front_order(r, idx);
	for (int k = 0; k < n; k++)
		csv_row(r, &r->c[idx[k]], fr);
	write_svg(r, svg);
	if (n > MAX_FRONT_FILES)
		fprintf(stderr, "ltcc search: the front has %d models; .ltd and .json written for the %d fastest\n", n,
			MAX_FRONT_FILES);
	if (r->o.random)  /* a sample to measure: all of it */
		for (int i = 0; i < r->n; i++) {
			FILE *f = r->c[i].feasible ? out_create(arena_printf("%s/%s.ltd", r->o.dir, r->c[i].name)) : NULL;
			if (f)
				fputs(r->c[i].text, f);
		}
	for (int k = 0; k < n && k < MAX_FRONT_FILES && !r->o.random; k++) {
		const Cand *c = &r->c[idx[k]];
		FILE *f = out_create(arena_printf("%s/%s.ltd", r->o.dir, c->name));
		if (!f || !write_config(c, arena_printf("%s/%s.json", r->o.dir, c->name)))
			return false;
		fputs(c->text, f);
	}
	return true;
}

/* ---- the command ---- */

static long opt_count(const char *s, const char *what, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		search_usage("%s", arena_printf("%s '%s' must be an integer from %ld to %ld", what, s, lo, hi));
	return v;
}

enum { O_MAX_FLASH = 256, O_MAX_RAM, O_MAX_MS, O_QUANT, O_MEASURE, O_POP, O_GENS, O_EXH, O_RANDOM, O_SEED, O_TFILE };

static const struct option longs[] = {
	{ "target", required_argument, 0, 't' },
	{ "target-file", required_argument, 0, O_TFILE },
	{ "output", required_argument, 0, 'o' },
	{ "max-flash", required_argument, 0, O_MAX_FLASH },
	{ "max-ram", required_argument, 0, O_MAX_RAM },
	{ "max-latency-ms", required_argument, 0, O_MAX_MS },
	{ "quantize", required_argument, 0, O_QUANT },
	{ "measure", no_argument, 0, O_MEASURE },
	{ "population", required_argument, 0, O_POP },
	{ "generations", required_argument, 0, O_GENS },
	{ "exhaustive", required_argument, 0, O_EXH },
	{ "random", required_argument, 0, O_RANDOM },
	{ "jobs", required_argument, 0, 'j' },
	{ "seed", required_argument, 0, O_SEED },
	{ "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 },
};

static void take(SOpts *o, int c, char **argv)
{
	char *end;
	switch (c) {
	case 't': o->target = optarg; break;
	case O_TFILE: o->tfile = optarg; break;
	case 'o': o->dir = optarg; break;
	case O_MAX_FLASH:
	case O_MAX_RAM: {
		long long v = (long long)size_parse(optarg);
		if (!v)
			search_usage("%s", arena_printf("--%s '%s' is not a size (bytes, or with K, M or G)",
							c == O_MAX_FLASH ? "max-flash" : "max-ram", optarg));
		*(c == O_MAX_FLASH ? &o->max_flash : &o->max_ram) = v;
		break;
	}
	case O_MAX_MS:
		o->max_ms = strtod(optarg, &end);
		if (end == optarg || *end || !(o->max_ms > 0) || !isfinite(o->max_ms))
			search_usage("--max-latency-ms '%s' must be a positive number of milliseconds", optarg);
		break;
	case O_QUANT:
		if ((int)(o->quant = quant_parse(optarg)) < 0)
			search_usage("unknown --quantize '%s' (none, w8 or int8)", optarg);
		break;
	case O_MEASURE: o->measure = true; break;
	case O_POP: o->pop = (int)opt_count(optarg, "--population", 4, 100000); break;
	case O_GENS: o->gens = (int)opt_count(optarg, "--generations", 0, 100000); break;
	case O_EXH: o->exhaustive = (double)opt_count(optarg, "--exhaustive", 0, 1000000); break;
	case O_RANDOM: o->random = (int)opt_count(optarg, "--random", 1, 200); break;
	case 'j': o->jobs = (int)opt_count(optarg, "--jobs", 1, 64); break;
	case O_SEED: o->seed = (uint64_t)opt_count(optarg, "--seed", 0, 2147483647); break;
	case 'q': o->quiet = true; break;
	case 'h': fputs(usage, stdout); arena_free_all(); exit(0);
	case ':': search_usage("option '%s' needs a value", diag_option(argv));
	default: search_usage("unknown option '%s'", diag_option(argv));
	}
}

static SOpts parse(int argc, char **argv)
{
	SOpts o = { .target = "generic", .pop = 48, .gens = 20, .exhaustive = 2000, .jobs = 1, .seed = 1 };
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":t:o:j:qh", longs, NULL)) != -1)
		take(&o, c, argv);
	if (optind != argc - 1)
		search_usage("%s", optind >= argc ? "expected one search space (SPACE.ltd)" : "expected exactly one search space");
	o.space = argv[optind];
	if (!o.dir)
		search_usage("%s", "-o DIR is required: the results are several files");
	return o;
}

/* Budgets the target rules out, before any work. */
static bool budgets_fit(SOpts *o, const Target *t)
{
	const char *what[2] = { "flash", "RAM" };
	long long *b[2] = { &o->max_flash, &o->max_ram }, have[2] = { t->flash, t->ram };
	for (int i = 0; i < 2; i++) {
		if (*b[i] && have[i] && *b[i] > have[i]) {
			diag_plain_error("--max-%s %lld contradicts %s, which has %lld bytes of %s", i ? "ram" : "flash",
					 *b[i], t->name, have[i], what[i]);
			return false;
		}
		if (!*b[i])
			*b[i] = have[i];
	}
	return true;
}

static const char *self_path(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return "ltcc";
	buf[n] = 0;
	return arena_strdup(buf);
}

/* mkdir -p */
static bool make_dir(const char *d)
{
	char *p = arena_strdup(d);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(p, 0777);  /* a parent that cannot be made fails below */
		*s = '/';
	}
	if (mkdir(d, 0777) && errno != EEXIST) {
		diag_plain_error("cannot create %s: %s", d, strerror(errno));
		return false;
	}
	struct stat st;
	if (stat(d, &st) || !S_ISDIR(st.st_mode)) {
		diag_plain_error("%s is not a directory", d);
		return false;
	}
	return true;
}

/* Why nothing came out: no valid model, or none within the budgets (with
 * the least any candidate needs, against each budget). */
static bool explain_empty(const Run *r)
{
	const Eval *first_bad = NULL;
	double mf = INFINITY, mr = INFINITY, mt = INFINITY;
	int ok = 0, front = 0;
	for (int i = 0; i < r->n; i++) {
		const Cand *c = &r->c[i];
		front += c->front;
		if (!c->e.ok) {
			first_bad = first_bad ? first_bad : &c->e;
			continue;
		}
		ok++;
		mf = fmin(mf, (double)c->e.flash);
		mr = fmin(mr, (double)c->e.ram);
		mt = fmin(mt, latency(r, c));
	}
	if (front)
		return true;
	if (!ok) {
		diag_plain_error("%s: none of its %d candidates is a valid model; the first: %s", r->o.space, r->n,
				 first_bad ? first_bad->why : "(none generated)");
		return false;
	}
	diag_plain_error("%s: no candidate within the budgets (%d valid): the least flash any needs is %.0f B (budget %lld), "
			 "the least RAM %.0f B (budget %lld), the least latency %.4g ms (budget %s)", r->o.space, ok, mf,
			 r->o.max_flash, mr, r->o.max_ram, mt, r->o.max_ms ? arena_printf("%g", r->o.max_ms) : "none");
	return false;
}

static void print_front(const Run *r)
{
	int *idx = arena_alloc(sizeof(int) * (size_t)(r->n + 1)), n = front_order(r, idx);
	printf("%s on %s: %d candidates evaluated, %d on the front%s\n", r->sp->name, r->tgt->name, r->n, n,
	       r->o.measure ? " (latency measured in QEMU)" : "");
	printf("  %-20s %12s %10s %10s %12s\n", "model", "params", "flash B", "RAM B", "latency ms");
	/* a long front: 20 rows spread along it, the ends included */
	int rows = n < 20 ? n : 20;
	for (int j = 0; j < rows; j++) {
		const Cand *c = &r->c[idx[rows > 1 ? (int)((double)j * (n - 1) / (rows - 1) + 0.5) : 0]];
		printf("  %-20s %12.0f %10lld %10lld %12.4g\n", c->name, c->e.params, c->e.flash, c->e.ram, latency(r, c));
	}
	if (rows < n)
		printf("  (%d of the %d; front.csv has them all)\n", rows, n);
	printf("results in %s: candidates.csv, front.csv, front.svg, the front's .ltd and .json\n", r->o.dir);
}

static int finish(int rc)
{
	out_abort();
	tgt_cleanup();
	arena_free_all();
	return rc;
}

/* The search, then its results: DIR is made only when they are ready. */
static int run_search(Run *r)
{
	if (!r->o.quiet)
		fprintf(stderr, "ltcc search: %s: %d choices, %.4g candidates; %s\n", r->o.space, r->sp->ndim, r->sp->size,
			r->o.random ? arena_printf("%d random ones", r->o.random)
			: r->sp->size <= r->o.exhaustive || !r->sp->ndim ? "evaluating all of them"
			: arena_printf("evolutionary search, %d generations of %d", r->o.gens, r->o.pop));
	if (r->o.random) {
		random_feasible(r);
	} else if (r->sp->size <= r->o.exhaustive || !r->sp->ndim) {
		all_cands(r);
		eval_new(r, 0, "all candidates");
	} else {
		evolve(r);
	}
	mark_front(r);
	if (!r->o.random && !explain_empty(r))
		return 1;
	if (!make_dir(r->o.dir) || !write_results(r) || !out_commit())
		return 1;
	if (!r->o.quiet)
		print_front(r);
	return 0;
}

int search_main(int argc, char **argv)
{
	Run r = { .o = parse(argc, argv) };
	Target *t = r.o.tfile ? tgt_load_file(r.o.tfile) : tgt_find(r.o.target);
	if (!t && !r.o.tfile)
		search_usage("%s", arena_printf("unknown target '%s' (ltcc --list-targets shows them)", r.o.target));
	if (!t || !budgets_fit(&r.o, t))
		return finish(1);
	r.tgt = t;
	r.rng = r.o.seed;
	r.self = self_path();
	if (!(r.sp = space_load(r.o.space)))
		return finish(1);
	char mdir[] = "/tmp/ltcc-measure-XXXXXX";
	if (r.o.measure && !(r.mdir = mkdtemp(mdir))) {
		diag_plain_error("cannot make a scratch directory for --measure: %s", strerror(errno));
		return finish(1);
	}
	int rc = run_search(&r);
	if (r.mdir)
		rmdir(r.mdir);  /* empty: each candidate's file goes once measured */
	return finish(rc);
}
