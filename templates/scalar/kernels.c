/* ---- kernels for in-order scalar cores with a single-precision FPU and
 * fused multiply-add: Cortex-M4/M7 (VFMA.F32), RV32F (fmadd.s)
 * (ltcc templates/scalar/kernels.c, layered over templates/generic) ---- */

/*@ k_linear_row k_out */
/* outputs [o, out) of one row (a decoder step's matmuls): eight at a
 * time, so each x[i] loaded feeds eight fused multiply-adds and the loop
 * overhead is shared (on Cortex-M4, 21 instructions per 8 MACs, against
 * 11 per 4 four at a time); then four, then one */
static void k_linear_row(int in, int o, int out, const float *restrict xr, const float *restrict W,
			 const float *restrict b, float *restrict yr, float scale, int act, int acc)
{
	int i;
	for (; o + 8 <= out; o += 8) {
		const float *w0 = W + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
		const float *w4 = w3 + in, *w5 = w4 + in, *w6 = w5 + in, *w7 = w6 + in;
		float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f, s7 = 0.0f;
		for (i = 0; i < in; i++) {
			float xv = xr[i];
			s0 = fmaf(xv, w0[i], s0);
			s1 = fmaf(xv, w1[i], s1);
			s2 = fmaf(xv, w2[i], s2);
			s3 = fmaf(xv, w3[i], s3);
			s4 = fmaf(xv, w4[i], s4);
			s5 = fmaf(xv, w5[i], s5);
			s6 = fmaf(xv, w6[i], s6);
			s7 = fmaf(xv, w7[i], s7);
		}
		k_out(s0, b, o, scale, act, acc, yr);
		k_out(s1, b, o + 1, scale, act, acc, yr);
		k_out(s2, b, o + 2, scale, act, acc, yr);
		k_out(s3, b, o + 3, scale, act, acc, yr);
		k_out(s4, b, o + 4, scale, act, acc, yr);
		k_out(s5, b, o + 5, scale, act, acc, yr);
		k_out(s6, b, o + 6, scale, act, acc, yr);
		k_out(s7, b, o + 7, scale, act, acc, yr);
	}
	for (; o + 4 <= out; o += 4) {
		const float *w0 = W + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
		float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
		for (i = 0; i < in; i++) {
			float xv = xr[i];
			s0 = fmaf(xv, w0[i], s0);
			s1 = fmaf(xv, w1[i], s1);
			s2 = fmaf(xv, w2[i], s2);
			s3 = fmaf(xv, w3[i], s3);
		}
		k_out(s0, b, o, scale, act, acc, yr);
		k_out(s1, b, o + 1, scale, act, acc, yr);
		k_out(s2, b, o + 2, scale, act, acc, yr);
		k_out(s3, b, o + 3, scale, act, acc, yr);
	}
	for (; o < out; o++) {
		const float *wr = W + (long)o * in;
		float s = 0.0f;
		for (i = 0; i < in; i++)
			s = fmaf(xr[i], wr[i], s);
		k_out(s, b, o, scale, act, acc, yr);
	}
}

/*@ k_linear k_out k_linear_row */
/* act(x (n,in) @ W^T + b) * scale -> y. Two rows by four outputs at a
 * time: each weight loaded feeds two FMAs and each x value four, so per
 * eight MACs the loop does six loads, eight FMAs, a compare and a branch;
 * the eight sums and six operands fit the FPU's 32 registers. A last odd
 * row, and a decoder step's single row, go four outputs at a time. fmaf
 * is one instruction on these FPUs. */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i;
	for (t = 0; t + 2 <= n; t += 2) {
		const float *x0 = x + (long)t * xs, *x1 = x0 + xs;
		float *y0 = y + (long)t * ys, *y1 = y0 + ys;
		for (o = 0; o + 4 <= out; o += 4) {
			const float *w0 = W + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
			float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
			float c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f;
			for (i = 0; i < in; i++) {
				float u = x0[i], v = x1[i], p = w0[i], q = w1[i], r = w2[i], s = w3[i];
				a0 = fmaf(u, p, a0);
				c0 = fmaf(v, p, c0);
				a1 = fmaf(u, q, a1);
				c1 = fmaf(v, q, c1);
				a2 = fmaf(u, r, a2);
				c2 = fmaf(v, r, c2);
				a3 = fmaf(u, s, a3);
				c3 = fmaf(v, s, c3);
			}
			k_out(a0, b, o, scale, act, acc, y0);
			k_out(a1, b, o + 1, scale, act, acc, y0);
			k_out(a2, b, o + 2, scale, act, acc, y0);
			k_out(a3, b, o + 3, scale, act, acc, y0);
			k_out(c0, b, o, scale, act, acc, y1);
			k_out(c1, b, o + 1, scale, act, acc, y1);
			k_out(c2, b, o + 2, scale, act, acc, y1);
			k_out(c3, b, o + 3, scale, act, acc, y1);
		}
		k_linear_row(in, o, out, x0, W, b, y0, scale, act, acc);
		k_linear_row(in, o, out, x1, W, b, y1, scale, act, acc);
	}
	if (t < n)
		k_linear_row(in, 0, out, x + (long)t * xs, W, b, y + (long)t * ys, scale, act, acc);
}

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
