/* cost.c — the cost model: what a program costs on a target, in cycles,
 * priced call by call.
 *
 * A call of kernel k costs  call_k + mac_k * MACs + work_k * work  (MACs and
 * work from KERNEL_TABLE); what runs between calls (the block functions,
 * their loops, the entry points) costs glue_call per kernel call and
 * glue_run per program run. Each program has its own prices: a decoder
 * step's kernels run one row, often another loop than the encoder's. The coefficients are the target file's
 * <cost> children, fitted by tools/ltcc-calibrate to the instructions QEMU
 * counts in each kernel (a Cortex-M or RISC-V target: one instruction a
 * cycle) or to the time measured in each (x86, at the file's clock). A
 * kernel the file does not price costs MACs / macs-per-cycle.
 *
 * The run priced is run_model.h's: the encoder over T source tokens, then
 * T decoder steps, each at its own length; T = COST_T (the paper's 30) or
 * the model's maximum if that is shorter. */
#include "ltcc.h"

#define COST_T 30

int cost_length(const Model *m)
{
	int T = m->max_target < COST_T ? m->max_target : COST_T;
	if (!m->is_lm && m->max_source < T)
		T = m->max_source;
	return T;
}

static double call_cycles(const Target *t, const KCall *c, int prog)
{
	const KCost *k = &t->kcost[prog][c->k];
	if (!k->priced)
		return kern_macs(c) / t->macs_per_cycle;
	return k->call + k->mac * kern_macs(c) + k->work * kern_work(c);
}

/* One run of program p with rows counted at length T; its MACs added to *macs. */
static double run_cycles(const Program *p, const Target *t, int prog, int T, double *macs)
{
	KCall k[KERN_MAX_CALLS];
	double cy = t->glue_run[prog];
	for (int i = 0; i < p->nops; i++) {
		int nk = kern_calls(p->ops[i], T, k);
		for (int j = 0; j < nk; j++) {
			cy += call_cycles(t, &k[j], prog) + t->glue_call[prog];
			*macs += kern_macs(&k[j]);
		}
	}
	return cy;
}

Cost cost_estimate(const IR *ir, const Target *t)
{
	Cost c = { .T = cost_length(ir->m) };
	if (!ir->m->is_lm)
		c.enc_cycles = run_cycles(&ir->encode, t, PROG_ENCODE, c.T, &c.macs);
	for (int s = 1; s <= c.T; s++)
		c.step_cycles += run_cycles(&ir->step, t, PROG_STEP, s, &c.macs);
	c.ms = (c.enc_cycles + c.step_cycles) / (t->clock_mhz * 1e3);
	return c;
}
