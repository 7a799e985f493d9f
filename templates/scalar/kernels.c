/* ---- kernels for in-order scalar cores with a single-precision FPU and
 * fused multiply-add: Cortex-M4/M7 (VFMA.F32), RV32F (fmadd.s)
 * (ltcc templates/scalar/kernels.c, layered over templates/generic) ---- */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* the int8 kernel (k_linear_i8) on the DSP extension: ACLE's __sxtb16 and
 * __smlad, and a few instructions in GNU asm (GCC, Clang) */
#define K_I8_DSP 1
#include <arm_acle.h>
#endif

/*@ k_vfp */
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_FEATURE_FMA) && defined(__GNUC__) \
    && !defined(__aarch64__) && defined(__OPTIMIZE__)
/* The fp32 matmul's inner loops for the Cortex-M FPU (FPv4/FPv5), in GNU
 * asm (GCC, Clang): GCC loads one float per VLDR and never a run of them,
 * while one VLDMIA fills eight registers and steps its pointer, so eight
 * values of a row cost one instruction instead of eight. K_T1 is one FMA
 * of the loop below, K_T2 the two of a two-row tile, for input i (x rows
 * in s0-s7 and s8-s15, the weights in s16-s23). Per accumulator the sum
 * runs over i in order, as the C version's fmaf does, so both give the
 * same floats. Unoptimised (-O0), GCC cannot place the asm's operands
 * with every FPU register clobbered, so such a build takes the C loops. A
 * stride read on every pass is an in-out operand ("+r", never changed),
 * so GCC cannot give it the loop counter's register when both are the
 * same constant. */
#define K_VFP 1
#define K_T1(a, i, w) "vfma.f32 " a ", s" #i ", s" #w "\n\t"
#define K_T2(a, c, i, j, w) K_T1(a, i, w) K_T1(c, j, w)
#define K_T1x8(a) K_T1(a, 0, 16) K_T1(a, 1, 17) K_T1(a, 2, 18) K_T1(a, 3, 19) \
	K_T1(a, 4, 20) K_T1(a, 5, 21) K_T1(a, 6, 22) K_T1(a, 7, 23)
#define K_T1x4(a) K_T1(a, 0, 16) K_T1(a, 1, 17) K_T1(a, 2, 18) K_T1(a, 3, 19)
#define K_T2x8(a, c) K_T2(a, c, 0, 8, 16) K_T2(a, c, 1, 9, 17) K_T2(a, c, 2, 10, 18) \
	K_T2(a, c, 3, 11, 19) K_T2(a, c, 4, 12, 20) K_T2(a, c, 5, 13, 21) \
	K_T2(a, c, 6, 14, 22) K_T2(a, c, 7, 15, 23)
#define K_T2x4(a, c) K_T2(a, c, 0, 8, 16) K_T2(a, c, 1, 9, 17) K_T2(a, c, 2, 10, 18) \
	K_T2(a, c, 3, 11, 19)
#define K_VREGS "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", \
	"s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", \
	"s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31", "cc", "memory"
#endif

/*@ k_dot24 k_vfp */
/* s[0..4) = x0 . w0..w3, s[4..8) = x1 . w0..w3 over in values (the weight
 * rows in apart). On the Cortex-M FPU one asm block: the sums (s24-s31)
 * zeroed from a core register, eight values a loop (per 64 MACs two
 * VLDMIAs of x, four of w, 64 VFMAs, SUBS and BNE: 1.125 instructions a
 * MAC, all 32 FPU registers), then four if in % 8 >= 4; the in % 4 last
 * in C. In C (RV32F), per eight MACs six loads, eight FMAs, a compare and
 * a branch, the sums and operands in registers. */
#if defined(K_VFP)
static void k_dot24(int in, const float *x0, const float *x1, const float *w0, float *s)
{
	const float *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
	int g = in / 8, i;
	__asm__ volatile(
		"vmov s24, s25, %[z], %[z]\n\t"
		"vmov s26, s27, %[z], %[z]\n\t"
		"vmov s28, s29, %[z], %[z]\n\t"
		"vmov s30, s31, %[z], %[z]\n\t"
		"cmp %[g], #0\n\t"
		"beq 2f\n"
		"1:\n\t"
		"vldmia %[x0]!, {s0-s7}\n\t"
		"vldmia %[x1]!, {s8-s15}\n\t"
		"vldmia %[w0]!, {s16-s23}\n\t" K_T2x8("s24", "s28")
		"vldmia %[w1]!, {s16-s23}\n\t" K_T2x8("s25", "s29")
		"vldmia %[w2]!, {s16-s23}\n\t" K_T2x8("s26", "s30")
		"vldmia %[w3]!, {s16-s23}\n\t" K_T2x8("s27", "s31")
		"subs %[g], %[g], #1\n\t"
		"bne 1b\n"
		"2:\n\t"
		"tst %[in], #4\n\t"
		"beq 3f\n\t"
		"vldmia %[x0]!, {s0-s3}\n\t"
		"vldmia %[x1]!, {s8-s11}\n\t"
		"vldmia %[w0]!, {s16-s19}\n\t" K_T2x4("s24", "s28")
		"vldmia %[w1]!, {s16-s19}\n\t" K_T2x4("s25", "s29")
		"vldmia %[w2]!, {s16-s19}\n\t" K_T2x4("s26", "s30")
		"vldmia %[w3]!, {s16-s19}\n\t" K_T2x4("s27", "s31")
		"3:\n\t"
		"vstmia %[s], {s24-s31}"
		: [x0] "+r"(x0), [x1] "+r"(x1), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2),
		  [w3] "+r"(w3), [g] "+r"(g)
		: [s] "r"(s), [in] "r"(in), [z] "r"(0) : K_VREGS);
	for (i = 0; i < (in & 3); i++) {
		s[0] = fmaf(x0[i], w0[i], s[0]);
		s[1] = fmaf(x0[i], w1[i], s[1]);
		s[2] = fmaf(x0[i], w2[i], s[2]);
		s[3] = fmaf(x0[i], w3[i], s[3]);
		s[4] = fmaf(x1[i], w0[i], s[4]);
		s[5] = fmaf(x1[i], w1[i], s[5]);
		s[6] = fmaf(x1[i], w2[i], s[6]);
		s[7] = fmaf(x1[i], w3[i], s[7]);
	}
}
#else
static void k_dot24(int in, const float *x0, const float *x1, const float *w0, float *s)
{
	const float *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
	float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f;
	int i;
	for (i = 0; i < in; i++) {
		float u = x0[i], v = x1[i], p = w0[i], q = w1[i], r = w2[i], z = w3[i];
		a0 = fmaf(u, p, a0);
		c0 = fmaf(v, p, c0);
		a1 = fmaf(u, q, a1);
		c1 = fmaf(v, q, c1);
		a2 = fmaf(u, r, a2);
		c2 = fmaf(v, r, c2);
		a3 = fmaf(u, z, a3);
		c3 = fmaf(v, z, c3);
	}
	s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3, s[4] = c0, s[5] = c1, s[6] = c2, s[7] = c3;
}
#endif

/*@ k_dot14 k_vfp */
/* s[0..4) = x . w0..w3 (rows in apart): a decoder step's row, the same
 * way; 1.22 instructions a MAC on the Cortex-M FPU (per 32: one VLDMIA of
 * x, four of w, 32 VFMAs, SUBS, BNE) */
#if defined(K_VFP)
static void k_dot14(int in, const float *x, const float *w0, float *s)
{
	const float *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
	int g = in / 8, i;
	__asm__ volatile(
		"vmov s24, s25, %[z], %[z]\n\t"
		"vmov s26, s27, %[z], %[z]\n\t"
		"cmp %[g], #0\n\t"
		"beq 2f\n"
		"1:\n\t"
		"vldmia %[x]!, {s0-s7}\n\t"
		"vldmia %[w0]!, {s16-s23}\n\t" K_T1x8("s24")
		"vldmia %[w1]!, {s16-s23}\n\t" K_T1x8("s25")
		"vldmia %[w2]!, {s16-s23}\n\t" K_T1x8("s26")
		"vldmia %[w3]!, {s16-s23}\n\t" K_T1x8("s27")
		"subs %[g], %[g], #1\n\t"
		"bne 1b\n"
		"2:\n\t"
		"tst %[in], #4\n\t"
		"beq 3f\n\t"
		"vldmia %[x]!, {s0-s3}\n\t"
		"vldmia %[w0]!, {s16-s19}\n\t" K_T1x4("s24")
		"vldmia %[w1]!, {s16-s19}\n\t" K_T1x4("s25")
		"vldmia %[w2]!, {s16-s19}\n\t" K_T1x4("s26")
		"vldmia %[w3]!, {s16-s19}\n\t" K_T1x4("s27")
		"3:\n\t"
		"vstmia %[s], {s24-s27}"
		: [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [g] "+r"(g)
		: [s] "r"(s), [in] "r"(in), [z] "r"(0) : K_VREGS);
	for (i = 0; i < (in & 3); i++) {
		s[0] = fmaf(x[i], w0[i], s[0]);
		s[1] = fmaf(x[i], w1[i], s[1]);
		s[2] = fmaf(x[i], w2[i], s[2]);
		s[3] = fmaf(x[i], w3[i], s[3]);
	}
}
#else
static void k_dot14(int in, const float *x, const float *w0, float *s)
{
	const float *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
	float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
	int i;
	for (i = 0; i < in; i++) {
		float xv = x[i];
		s0 = fmaf(xv, w0[i], s0);
		s1 = fmaf(xv, w1[i], s1);
		s2 = fmaf(xv, w2[i], s2);
		s3 = fmaf(xv, w3[i], s3);
	}
	s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
}
#endif

/*@ k_out4 k_out */
/* k_out for the four outputs o..o+3 of one row (sums s[0..4)), its tests
 * of b, scale, act and acc made once for the four, ReLU inline (GELU goes
 * to k_out); the same floats (a scale of 1 is skipped: x * 1 is x) */
static inline void k_out4(const float *s, const float *b, int o, float scale, int act, int acc, float *y)
{
	float v0 = s[0], v1 = s[1], v2 = s[2], v3 = s[3];
	if (act == 2) {
		k_out(v0, b, o, scale, act, acc, y);
		k_out(v1, b, o + 1, scale, act, acc, y);
		k_out(v2, b, o + 2, scale, act, acc, y);
		k_out(v3, b, o + 3, scale, act, acc, y);
		return;
	}
	if (b) {
		v0 += b[o];
		v1 += b[o + 1];
		v2 += b[o + 2];
		v3 += b[o + 3];
	}
	if (scale != 1.0f) {
		v0 *= scale;
		v1 *= scale;
		v2 *= scale;
		v3 *= scale;
	}
	if (act == 1) {
		v0 = v0 > 0.0f ? v0 : 0.0f;
		v1 = v1 > 0.0f ? v1 : 0.0f;
		v2 = v2 > 0.0f ? v2 : 0.0f;
		v3 = v3 > 0.0f ? v3 : 0.0f;
	}
	y += o;
	if (acc) {
		v0 += y[0];
		v1 += y[1];
		v2 += y[2];
		v3 += y[3];
	}
	y[0] = v0;
	y[1] = v1;
	y[2] = v2;
	y[3] = v3;
}

/*@ k_linear_row k_out k_out4 k_dot14 */
/* outputs [o, out) of one row (a decoder step's matmuls): four at a time
 * (k_dot14: 1.22 instructions a MAC on the Cortex-M FPU), then one by one */
static void k_linear_row(int in, int o, int out, const float *restrict xr, const float *restrict W,
			 const float *restrict b, float *restrict yr, float scale, int act, int acc)
{
	int i;
	for (; o + 4 <= out; o += 4) {
		float s[4];
		k_dot14(in, xr, W + (long)o * in, s);
		k_out4(s, b, o, scale, act, acc, yr);
	}
	for (; o < out; o++) {
		const float *wr = W + (long)o * in;
		float s = 0.0f;
		for (i = 0; i < in; i++)
			s = fmaf(xr[i], wr[i], s);
		k_out(s, b, o, scale, act, acc, yr);
	}
}

/*@ k_linear k_out4 k_linear_row k_dot24 */
/* act(x (n,in) @ W^T + b) * scale -> y. Two rows by four outputs at a
 * time (k_dot24): each weight loaded feeds two FMAs and each x value four.
 * A last odd row, and a decoder step's single row, go to k_linear_row. */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o;
	for (t = 0; t + 2 <= n; t += 2) {
		const float *x0 = x + (long)t * xs, *x1 = x0 + xs;
		float *y0 = y + (long)t * ys, *y1 = y0 + ys;
		for (o = 0; o + 4 <= out; o += 4) {
			float s[8];
			k_dot24(in, x0, x1, W + (long)o * in, s);
			k_out4(s, b, o, scale, act, acc, y0);
			k_out4(s + 4, b, o, scale, act, acc, y1);
		}
		k_linear_row(in, o, out, x0, W, b, y0, scale, act, acc);
		k_linear_row(in, o, out, x1, W, b, y1, scale, act, acc);
	}
	if (t < n)
		k_linear_row(in, 0, out, x + (long)t * xs, W, b, y + (long)t * ys, scale, act, acc);
}

/*@ k_dots k_vfp */
/* the generic k_dots (sc[j] = q . k_j, n >= 1 rows ks apart). On the Cortex-M FPU eight channels at a time, q's in
 * s16-s23 for all n keys: per key a VLDMIA of its eight, an ADD to the
 * next key, the score's VLDR and VSTMIA, eight VFMAs, SUBS, BNE (14
 * instructions per 8 MACs); then four; the hd % 4 last in C. Each score
 * sums its channels in order, as the C version does. */
#if defined(K_VFP)
static void k_dots(int hd, const float *q, const float *k, int ks, int n, float *sc)
{
	int c = 0, j, ks4 = ks * 4;
	for (j = 0; j < n; j++)
		sc[j] = 0.0f;
	for (; c + 8 <= hd; c += 8) {
		const float *kp = k + c;
		float *sp = sc;
		int m = n;
		__asm__ volatile(
			"vldmia %[q], {s16-s23}\n"
			"1:\n\t"
			"vldmia %[kp], {s0-s7}\n\t"
			"add %[kp], %[kp], %[ks4]\n\t"
			"vldr s24, [%[sp]]\n\t" K_T1x8("s24")
			"vstmia %[sp]!, {s24}\n\t"
			"subs %[m], %[m], #1\n\t"
			"bne 1b"
			: [kp] "+r"(kp), [sp] "+r"(sp), [m] "+r"(m), [ks4] "+r"(ks4)
			: [q] "r"(q + c) : K_VREGS);
	}
	if (c + 4 <= hd) {
		const float *kp = k + c;
		float *sp = sc;
		int m = n;
		__asm__ volatile(
			"vldmia %[q], {s16-s19}\n"
			"1:\n\t"
			"vldmia %[kp], {s0-s3}\n\t"
			"add %[kp], %[kp], %[ks4]\n\t"
			"vldr s24, [%[sp]]\n\t" K_T1x4("s24")
			"vstmia %[sp]!, {s24}\n\t"
			"subs %[m], %[m], #1\n\t"
			"bne 1b"
			: [kp] "+r"(kp), [sp] "+r"(sp), [m] "+r"(m), [ks4] "+r"(ks4)
			: [q] "r"(q + c) : K_VREGS);
		c += 4;
	}
	for (; c < hd; c++)
		for (j = 0; j < n; j++)
			sc[j] = fmaf(q[c], k[(long)j * ks + c], sc[j]);
}
#else  /* RV32F: the generic loop with fused multiply-adds */
static void k_dots(int hd, const float *q, const float *k, int ks, int n, float *sc)
{
	int c, j;
	for (j = 0; j < n; j++) {
		const float *kr = k + (long)j * ks;
		float s = 0.0f;
		for (c = 0; c < hd; c++)
			s = fmaf(q[c], kr[c], s);
		sc[j] = s;
	}
}
#endif

/*@ k_wsum k_vfp */
/* the generic k_wsum (o[c] += sum_j p[j] v_j[c], n >= 1 rows vs apart). On the Cortex-M FPU eight channels of o at a
 * time held in s24-s31 over all n rows: per row a VLDMIA of its eight and
 * one of p[j], an ADD to the next row, eight VFMAs, SUBS, BNE (13
 * instructions per 8 MACs); then four; the hd % 4 last in C */
#if defined(K_VFP)
#define K_PV(a, i) "vfma.f32 " a ", s" #i ", s8\n\t"
static void k_wsum(int hd, const float *p, const float *v, int vs, int n, float *o)
{
	int c = 0, j, vs4 = vs * 4;
	for (; c + 8 <= hd; c += 8) {
		const float *vp = v + c, *pp = p;
		int m = n;
		__asm__ volatile(
			"vldmia %[o], {s24-s31}\n"
			"1:\n\t"
			"vldmia %[vp], {s0-s7}\n\t"
			"add %[vp], %[vp], %[vs4]\n\t"
			"vldmia %[pp]!, {s8}\n\t"
			K_PV("s24", 0) K_PV("s25", 1) K_PV("s26", 2) K_PV("s27", 3)
			K_PV("s28", 4) K_PV("s29", 5) K_PV("s30", 6) K_PV("s31", 7)
			"subs %[m], %[m], #1\n\t"
			"bne 1b\n\t"
			"vstmia %[o], {s24-s31}"
			: [vp] "+r"(vp), [pp] "+r"(pp), [m] "+r"(m), [vs4] "+r"(vs4)
			: [o] "r"(o + c) : K_VREGS);
	}
	if (c + 4 <= hd) {
		const float *vp = v + c, *pp = p;
		int m = n;
		__asm__ volatile(
			"vldmia %[o], {s24-s27}\n"
			"1:\n\t"
			"vldmia %[vp], {s0-s3}\n\t"
			"add %[vp], %[vp], %[vs4]\n\t"
			"vldmia %[pp]!, {s8}\n\t"
			K_PV("s24", 0) K_PV("s25", 1) K_PV("s26", 2) K_PV("s27", 3)
			"subs %[m], %[m], #1\n\t"
			"bne 1b\n\t"
			"vstmia %[o], {s24-s27}"
			: [vp] "+r"(vp), [pp] "+r"(pp), [m] "+r"(m), [vs4] "+r"(vs4)
			: [o] "r"(o + c) : K_VREGS);
		c += 4;
	}
	for (; c < hd; c++)
		for (j = 0; j < n; j++)
			o[c] = fmaf(p[j], v[(long)j * vs + c], o[c]);
}
#else  /* RV32F: the generic loop with fused multiply-adds */
static void k_wsum(int hd, const float *p, const float *v, int vs, int n, float *o)
{
	int c, j;
	for (j = 0; j < n; j++) {
		const float *vr = v + (long)j * vs;
		for (c = 0; c < hd; c++)
			o[c] = fmaf(p[j], vr[c], o[c]);
	}
}
#endif

/*@ k_linear_w8 k_out */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, int8 weight rows with one
 * scale each. Widening a weight to float costs a load, a move and a
 * convert, so each converted weight feeds as many rows as possible: four
 * rows by four outputs (on Cortex-M4, per 16 MACs 4 x loads, 12 to load
 * and convert four weights, 16 FMAs: 16 sums and 8 operands in the FPU's
 * 32 registers); the rows left over, and a decoder step, one row by four
 * outputs, then one by one. */
static void k_linear_w8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t = 0, o, i, r;
	for (; t + 4 <= n; t += 4) {
		const float *x0 = x + (long)t * xs, *x1 = x0 + xs, *x2 = x1 + xs, *x3 = x2 + xs;
		for (o = 0; o + 4 <= out; o += 4) {
			const int8_t *w0 = Wq + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
			float s[4][4] = { { 0 } };
			for (i = 0; i < in; i++) {
				float p = (float)w0[i], q = (float)w1[i], u = (float)w2[i], v = (float)w3[i];
				float a = x0[i], c = x1[i], d = x2[i], e = x3[i];
				s[0][0] = fmaf(a, p, s[0][0]); s[0][1] = fmaf(a, q, s[0][1]);
				s[0][2] = fmaf(a, u, s[0][2]); s[0][3] = fmaf(a, v, s[0][3]);
				s[1][0] = fmaf(c, p, s[1][0]); s[1][1] = fmaf(c, q, s[1][1]);
				s[1][2] = fmaf(c, u, s[1][2]); s[1][3] = fmaf(c, v, s[1][3]);
				s[2][0] = fmaf(d, p, s[2][0]); s[2][1] = fmaf(d, q, s[2][1]);
				s[2][2] = fmaf(d, u, s[2][2]); s[2][3] = fmaf(d, v, s[2][3]);
				s[3][0] = fmaf(e, p, s[3][0]); s[3][1] = fmaf(e, q, s[3][1]);
				s[3][2] = fmaf(e, u, s[3][2]); s[3][3] = fmaf(e, v, s[3][3]);
			}
			for (r = 0; r < 4; r++) {
				float *yr = y + (long)(t + r) * ys;
				k_out(s[r][0] * Ws[o], b, o, scale, act, acc, yr);
				k_out(s[r][1] * Ws[o + 1], b, o + 1, scale, act, acc, yr);
				k_out(s[r][2] * Ws[o + 2], b, o + 2, scale, act, acc, yr);
				k_out(s[r][3] * Ws[o + 3], b, o + 3, scale, act, acc, yr);
			}
		}
		for (; o < out; o++) {
			const int8_t *wr = Wq + (long)o * in;
			for (r = 0; r < 4; r++) {
				const float *xr = x0 + (long)r * xs;
				float sum = 0.0f;
				for (i = 0; i < in; i++)
					sum = fmaf(xr[i], (float)wr[i], sum);
				k_out(sum * Ws[o], b, o, scale, act, acc, y + (long)(t + r) * ys);
			}
		}
	}
	for (; t < n; t++) {
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys;
		for (o = 0; o + 4 <= out; o += 4) {
			const int8_t *w0 = Wq + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
			float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
			for (i = 0; i < in; i++) {
				float a = xr[i];
				s0 = fmaf(a, (float)w0[i], s0);
				s1 = fmaf(a, (float)w1[i], s1);
				s2 = fmaf(a, (float)w2[i], s2);
				s3 = fmaf(a, (float)w3[i], s3);
			}
			k_out(s0 * Ws[o], b, o, scale, act, acc, yr);
			k_out(s1 * Ws[o + 1], b, o + 1, scale, act, acc, yr);
			k_out(s2 * Ws[o + 2], b, o + 2, scale, act, acc, yr);
			k_out(s3 * Ws[o + 3], b, o + 3, scale, act, acc, yr);
		}
		for (; o < out; o++) {
			const int8_t *wr = Wq + (long)o * in;
			float sum = 0.0f;
			for (i = 0; i < in; i++)
				sum = fmaf(xr[i], (float)wr[i], sum);
			k_out(sum * Ws[o], b, o, scale, act, acc, yr);
		}
	}
}

/*@ k_i8_dsp */
#if defined(K_I8_DSP)
/* What the int8 kernels need besides ACLE's __sxtb16 and __smlad. GCC 12's
 * arm_acle.h has no __ror, GCC does not fold a rotate into SXTB16, and it
 * splits wide loads into single LDRs, so three instructions are written
 * out: k_i8_odd(w) is bytes 1 and 3 of w as two int16 (SXTB16 with ROR #8);
 * K_I8_LDM4(p) loads four words at p into p0..p3 and steps p by 16 bytes in
 * one LDM, and K_I8_LDRD two weight words. LDM takes its registers in
 * ascending order, so p0..p3 are pinned (K_I8_REGS4) to r8-r11, which no
 * argument uses (the Thumb frame pointer is r7). */
static inline int32_t k_i8_odd(int32_t w)
{
	int32_t r;
	__asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
	return r;
}
#define K_I8_REGS4 register int32_t p0 __asm__("r8"), p1 __asm__("r9"), \
	p2 __asm__("r10"), p3 __asm__("r11")
#define K_I8_LDM4(p) __asm__ volatile("ldmia %4!, {%0, %1, %2, %3}" \
	: "=r"(p0), "=r"(p1), "=r"(p2), "=r"(p3), "+r"(p) : : "memory")
/* two weight words at w, word-aligned, into u and v, w += 8: one LDRD */
#define K_I8_LDRD(w, u, v) __asm__ volatile("ldrd %0, %1, [%2], #8" \
	: "=r"(u), "=r"(v), "+r"(w) : : "memory")
/* one weight word: its four int8 as (w0, w2) and (w1, w3) int16 pairs */
#define K_I8_W(w, e, o) do { int32_t k_w_; memcpy(&k_w_, w, 4); w += 4; \
	e = __sxtb16(k_w_); o = k_i8_odd(k_w_); } while (0)
#endif

/*@ k_i8_relayout */
#if defined(K_I8_DSP)
/* Lays out r quantized rows (g groups of four int16 each, rows 4g apart
 * from q) for the kernels below: group j of row t moves to slot j*r + t,
 * so one pointer and one LDM reach the same group of several rows, and
 * each group x0,x1,x2,x3 becomes the words (x0,x2) (x1,x3), which SMLAD
 * pairs with the (w0,w2) (w1,w3) that SXTB16 makes of a weight word. The
 * transpose is done in place, by following the cycles of c -> c*r mod
 * (r*g - 1) (the last slot stays) from their least slot, which the scan
 * meets first; a group moved ahead of the scan is marked by bit 8 of its
 * first value (|q| <= 127 leaves bits 7..15 equal), cleared when the scan
 * gets there. */
static void k_i8_relayout(int r, int g, int16_t *q)
{
	unsigned n = (unsigned)(r * g), m1 = n - 1, s, c;
	uint32_t v[2], u[2], p[2];
	for (s = 0; s < n; s++) {
		memcpy(v, q + 4 * s, 8);
		if (((v[0] >> 7) ^ (v[0] >> 8)) & 1) {  /* in place already */
			v[0] = (uint32_t)__sxtb16((int32_t)v[0]);
			memcpy(q + 4 * s, v, 4);
			continue;
		}
		c = s;
		do {
			c = c == m1 ? c : c * (unsigned)r % m1;
			memcpy(u, q + 4 * c, 8);
			p[0] = (v[0] & 0xffffu) | (v[1] << 16);
			p[1] = (v[0] >> 16) | (v[1] & 0xffff0000u);
			p[0] ^= c != s ? 0x100u : 0;
			memcpy(q + 4 * c, p, 8);
			v[0] = u[0];
			v[1] = u[1];
		} while (c != s);
	}
}
#endif

/*@ k_i8_dot4 k_i8_dsp */
#if defined(K_I8_DSP)
/* s[0..4) = four relaid rows (x) . one int8 weight row (w), g groups of 4
 * (the in % 4 last are the caller's). A weight word (LDR, two SXTB16)
 * feeds eight SMLADs, two rows' groups come in one LDM: 13 instructions
 * per 16 MACs. When w is word-aligned (LDRD faults if not), eight groups a
 * loop, their weights in four LDRDs: 105 instructions per 128 MACs on
 * Cortex-M4; else four a loop, 56 per 64. A function of its own
 * (noinline): inlined into k_linear_i8, the loop loses registers */
#define K_I8_SM4(e, o) do { K_I8_LDM4(x); \
	a0 = __smlad(e, p0, a0); a0 = __smlad(o, p1, a0); \
	a1 = __smlad(e, p2, a1); a1 = __smlad(o, p3, a1); \
	K_I8_LDM4(x); \
	a2 = __smlad(e, p0, a2); a2 = __smlad(o, p1, a2); \
	a3 = __smlad(e, p2, a3); a3 = __smlad(o, p3, a3); } while (0)
#define K_I8_STEP4 do { K_I8_W(w, e, o); K_I8_SM4(e, o); } while (0)
#define K_I8_STEP4W(v) do { e = __sxtb16(v); o = k_i8_odd(v); K_I8_SM4(e, o); } while (0)
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void k_i8_dot4(int g, const int16_t *x, const int8_t *w, int32_t *s)
{
	int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, e, o, u, v;
	const int8_t *end = w + 4 * g, *end4 = w + 16 * (g / 4), *end8 = w + 32 * (g / 8);
	K_I8_REGS4;
	if (((uintptr_t)w & 3) == 0) {
		while (w != end8) {
			K_I8_LDRD(w, u, v);
			K_I8_STEP4W(u);
			K_I8_STEP4W(v);
			K_I8_LDRD(w, u, v);
			K_I8_STEP4W(u);
			K_I8_STEP4W(v);
			K_I8_LDRD(w, u, v);
			K_I8_STEP4W(u);
			K_I8_STEP4W(v);
			K_I8_LDRD(w, u, v);
			K_I8_STEP4W(u);
			K_I8_STEP4W(v);
		}
		while (w != end4) {
			K_I8_LDRD(w, u, v);
			K_I8_STEP4W(u);
			K_I8_STEP4W(v);
		}
	}
	while (w != end4) {
		K_I8_STEP4;
		K_I8_STEP4;
		K_I8_STEP4;
		K_I8_STEP4;
	}
	while (w != end)
		K_I8_STEP4;
	s[0] = a0;
	s[1] = a1;
	s[2] = a2;
	s[3] = a3;
}
#endif

/*@ k_i8_dot2 k_i8_dsp */
#if defined(K_I8_DSP)
/* k_i8_dot4 for two rows: one LDM a group, 8 instructions per 8 MACs;
 * four groups a loop (two LDRDs when w is word-aligned) */
#define K_I8_SM2(e, o) do { K_I8_LDM4(x); \
	a0 = __smlad(e, p0, a0); a0 = __smlad(o, p1, a0); \
	a1 = __smlad(e, p2, a1); a1 = __smlad(o, p3, a1); } while (0)
#define K_I8_STEP2 do { K_I8_W(w, e, o); K_I8_SM2(e, o); } while (0)
#define K_I8_STEP2W(v) do { e = __sxtb16(v); o = k_i8_odd(v); K_I8_SM2(e, o); } while (0)
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void k_i8_dot2(int g, const int16_t *x, const int8_t *w, int32_t *s)
{
	int32_t a0 = 0, a1 = 0, e, o, u, v;
	const int8_t *end = w + 4 * g, *end4 = w + 16 * (g / 4);
	K_I8_REGS4;
	if (((uintptr_t)w & 3) == 0)
		while (w != end4) {
			K_I8_LDRD(w, u, v);
			K_I8_STEP2W(u);
			K_I8_STEP2W(v);
			K_I8_LDRD(w, u, v);
			K_I8_STEP2W(u);
			K_I8_STEP2W(v);
		}
	while (w != end4) {
		K_I8_STEP2;
		K_I8_STEP2;
		K_I8_STEP2;
		K_I8_STEP2;
	}
	while (w != end)
		K_I8_STEP2;
	s[0] = a0;
	s[1] = a1;
}
#endif

/*@ k_i8_dot1 k_i8_dsp */
#if defined(K_I8_DSP)
/* k_i8_dot4 for one row: one LDM two groups; four groups a loop (two
 * LDRDs when w is word-aligned), 22 instructions per 16 MACs */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void k_i8_dot1(int g, const int16_t *x, const int8_t *w, int32_t *s)
{
	int32_t a0 = 0, a1 = 0, e, o, u, v;
	const int8_t *end2 = w + 8 * (g / 2), *end4 = w + 16 * (g / 4);
	K_I8_REGS4;
	if (((uintptr_t)w & 3) == 0)
		while (w != end4) {
			K_I8_LDRD(w, u, v);
			K_I8_LDM4(x);
			a0 = __smlad(__sxtb16(u), p0, a0); a1 = __smlad(k_i8_odd(u), p1, a1);
			a0 = __smlad(__sxtb16(v), p2, a0); a1 = __smlad(k_i8_odd(v), p3, a1);
			K_I8_LDRD(w, u, v);
			K_I8_LDM4(x);
			a0 = __smlad(__sxtb16(u), p0, a0); a1 = __smlad(k_i8_odd(u), p1, a1);
			a0 = __smlad(__sxtb16(v), p2, a0); a1 = __smlad(k_i8_odd(v), p3, a1);
		}
	while (w != end2) {
		K_I8_LDM4(x);
		K_I8_W(w, e, o);
		a0 = __smlad(e, p0, a0); a1 = __smlad(o, p1, a1);
		K_I8_W(w, e, o);
		a0 = __smlad(e, p2, a0); a1 = __smlad(o, p3, a1);
	}
	if (g & 1) {
		memcpy(&u, x, 4);
		memcpy(&v, x + 2, 4);
		K_I8_W(w, e, o);
		a0 = __smlad(e, u, a0); a1 = __smlad(o, v, a1);
	}
	s[0] = a0 + a1;
}
#endif

/*@ k_i8_dot42 */
/* without the DSP extension (RV32): s[t][c] = row t of q (4 rows, in apart)
 * . weight row c of w (2 rows, in apart), in plain C: each int8 weight
 * loaded feeds four multiply-adds, each int16 input two; two i a loop, 52
 * instructions per 16 MACs on RV32IM (four i make GCC spill). A function
 * of its own, kept so (noinline), for the registers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void k_i8_dot42(int in, const int16_t *q, const int8_t *w, int32_t (*s)[4])
{
	const int16_t *q0 = q, *q1 = q0 + in, *q2 = q1 + in, *q3 = q2 + in;
	const int8_t *w0 = w, *w1 = w + in;
	int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
	int i;
#define K_I8_MAC8(k) do { int32_t u = w0[i + k], v = w1[i + k], a = q0[i + k]; \
	int32_t c = q1[i + k], d = q2[i + k], e = q3[i + k]; \
	s00 += a * u; s01 += a * v; s10 += c * u; s11 += c * v; \
	s20 += d * u; s21 += d * v; s30 += e * u; s31 += e * v; } while (0)
	for (i = 0; i + 2 <= in; i += 2) {
		K_I8_MAC8(0);
		K_I8_MAC8(1);
	}
	if (i < in)
		K_I8_MAC8(0);
#undef K_I8_MAC8
	s[0][0] = s00; s[0][1] = s01;
	s[1][0] = s10; s[1][1] = s11;
	s[2][0] = s20; s[2][1] = s21;
	s[3][0] = s30; s[3][1] = s31;
}

/*@ k_i8_dot14 */
/* k_i8_dot42 for one row q by four weight rows (w, in apart): rows left
 * over from blocks of four, and calls of one or two rows; four i a loop */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void k_i8_dot14(int in, const int16_t *q, const int8_t *w, int32_t *s)
{
	const int8_t *w0 = w, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
	int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int i, in4 = in - in % 4;  /* (i + 4 <= in made GCC 12 see an overflow in clones with in constant) */
#define K_I8_MAC4(k) do { int32_t a = q[i + k]; \
	s0 += a * w0[i + k]; s1 += a * w1[i + k]; s2 += a * w2[i + k]; s3 += a * w3[i + k]; } while (0)
	for (i = 0; i < in4; i += 4) {
		K_I8_MAC4(0);
		K_I8_MAC4(1);
		K_I8_MAC4(2);
		K_I8_MAC4(3);
	}
	for (; i < in; i++)
		K_I8_MAC4(0);
#undef K_I8_MAC4
	s[0] = s0;
	s[1] = s1;
	s[2] = s2;
	s[3] = s3;
}

/*@ k_linear_i8 k_out k_quant_rows k_i8_relayout k_i8_dot4 k_i8_dot2 k_i8_dot1 k_i8_dot42 k_i8_dot14 */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, x quantized QX_ROWS = 4
 * rows at a time into qx; exact int32 sums, then the generic epilogue
 * (k_out), so the floats are the generic kernel's. With the DSP extension
 * (Cortex-M4/M7) rows go in blocks of 4, then 2, then 1, relaid
 * (k_i8_relayout) so each unpacked weight word feeds every row of the
 * block (k_i8_dot4: 13 instructions per 16 MACs); the in % 4 last values
 * of each row are kept aside and added one by one. Without it (RV32), or
 * if qx is not word-aligned, plain C: four rows by two outputs, rows left
 * over by four outputs. k_out is inlined (flatten; a call costs as much
 * again), and for act 0 without accumulate it is given them as constants,
 * so it has no branches on them. */
#if defined(__GNUC__)
__attribute__((flatten))
#endif
static void k_linear_i8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc, int16_t *restrict qx)
{
	int t, o, i, r, j, c, w, dsp = 0;
	int32_t s[4][4];
	float sx[4];
#if defined(K_I8_DSP)
	int g = in / 4, m = in - 4 * g;
	int16_t tl[4][3];
	dsp = ((uintptr_t)qx & 3) == 0;  /* LDM wants words */
#endif
	for (t = 0; t < n; t += r) {
		r = n - t >= 4 ? 4 : !dsp ? n - t : n - t >= 2 ? 2 : 1;
		k_quant_rows(r, in, x + (long)t * xs, xs, qx, sx);
#if defined(K_I8_DSP)
		if (dsp) {
			if (m)  /* the last m of each row aside, rows to 4g apart */
				for (j = 0; j < r; j++) {
					for (i = 0; i < m; i++)
						tl[j][i] = qx[(long)j * in + 4 * g + i];
					memmove(qx + (long)j * 4 * g, qx + (long)j * in, (size_t)g * 8);
				}
			k_i8_relayout(r, g, qx);
		}
#endif
		for (o = 0; o < out; o += w) {
			const int8_t *w0 = Wq + (long)o * in;
			w = dsp || o + 2 > out ? 1 : r == 4 ? 2 : o + 4 <= out ? 4 : 1;
#if defined(K_I8_DSP)
			if (dsp) {
				int32_t d[4];
				if (r == 4)
					k_i8_dot4(g, qx, w0, d);
				else if (r == 2)
					k_i8_dot2(g, qx, w0, d);
				else
					k_i8_dot1(g, qx, w0, d);
				for (j = 0; j < r && m; j++)
					for (i = 0; i < m; i++)
						d[j] += (int32_t)tl[j][i] * w0[4 * g + i];
				if (r == 4) {  /* act 0, no accumulate: no branches on them */
					float f = Ws[o], v0 = (float)d[0] * sx[0] * f, v1 = (float)d[1] * sx[1] * f;
					float v2 = (float)d[2] * sx[2] * f, v3 = (float)d[3] * sx[3] * f, *y0 = y + (long)t * ys;
					if (!act && !acc) {
						k_out(v0, b, o, scale, 0, 0, y0);
						k_out(v1, b, o, scale, 0, 0, y0 + ys);
						k_out(v2, b, o, scale, 0, 0, y0 + 2 * ys);
						k_out(v3, b, o, scale, 0, 0, y0 + 3 * ys);
					} else {
						k_out(v0, b, o, scale, act, acc, y0);
						k_out(v1, b, o, scale, act, acc, y0 + ys);
						k_out(v2, b, o, scale, act, acc, y0 + 2 * ys);
						k_out(v3, b, o, scale, act, acc, y0 + 3 * ys);
					}
				} else if (!act && !acc)
					for (j = 0; j < r; j++)
						k_out((float)d[j] * sx[j] * Ws[o], b, o, scale, 0, 0, y + (long)(t + j) * ys);
				else
					for (j = 0; j < r; j++)
						k_out((float)d[j] * sx[j] * Ws[o], b, o, scale, act, acc, y + (long)(t + j) * ys);
				continue;
			} else
#endif
			if (w == 2)
				k_i8_dot42(in, qx, w0, s);
			else if (w == 4)
				for (j = 0; j < r; j++)
					k_i8_dot14(in, qx + (long)j * in, w0, s[j]);
			else
				for (j = 0; j < r; j++) {
					const int16_t *qr = qx + (long)j * in;
					int32_t a = 0;
					for (i = 0; i < in; i++)
						a += (int32_t)qr[i] * w0[i];
					s[j][0] = a;
				}
			for (j = 0; j < r; j++)
				for (c = 0; c < w; c++)
					if (!act && !acc)
						k_out((float)s[j][c] * sx[j] * Ws[o + c], b, o + c, scale, 0, 0,
						      y + (long)(t + j) * ys);
					else
						k_out((float)s[j][c] * sx[j] * Ws[o + c], b, o + c, scale, act, acc,
						      y + (long)(t + j) * ys);
		}
	}
}
