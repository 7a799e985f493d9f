/* ---- kernels for x86-64 with AVX2 and FMA: 8 floats a vector
 * (ltcc templates/avx2/kernels.c, layered over templates/generic) ---- */
#include <immintrin.h>

/*@ k_hsum */
/* the sum of a vector's 8 lanes */
static float k_hsum(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
	return _mm_cvtss_f32(s);
}

/*@ k_dot4 k_hsum */
/* s[j] = x . W[j] for four rows of W (in floats apart), 8 channels a step:
 * the x vector is loaded once for the four FMAs */
static void k_dot4(int in, const float *restrict x, const float *restrict W, float *s)
{
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	int i, j;
	for (i = 0; i + 8 <= in; i += 8) {
		__m256 xv = _mm256_loadu_ps(x + i);
		a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(W + i), a0);
		a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(W + in + i), a1);
		a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(W + 2 * in + i), a2);
		a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(W + 3 * in + i), a3);
	}
	s[0] = k_hsum(a0);
	s[1] = k_hsum(a1);
	s[2] = k_hsum(a2);
	s[3] = k_hsum(a3);
	for (; i < in; i++)
		for (j = 0; j < 4; j++)
			s[j] += x[i] * W[(long)j * in + i];
}

/*@ k_hsum4 */
/* the lane sums of a0..a3, as one 4-vector */
static __m128 k_hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
	__m256 g = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
	return _mm_add_ps(_mm256_castps256_ps128(g), _mm256_extractf128_ps(g, 1));
}

/*@ k_out4v k_out */
/* k_out on four outputs o..o+3 of a row at once (GELU lane by lane) */
static void k_out4v(__m128 v, const float *b, int o, float scale, int act, int acc, float *y)
{
	if (act == 2) {
		float s[4];
		int j;
		_mm_storeu_ps(s, v);
		for (j = 0; j < 4; j++)
			k_out(s[j], b, o + j, scale, act, acc, y);
		return;
	}
	if (b)
		v = _mm_add_ps(v, _mm_loadu_ps(b + o));
	v = _mm_mul_ps(v, _mm_set1_ps(scale));
	if (act == 1)
		v = _mm_max_ps(v, _mm_setzero_ps());
	if (acc)
		v = _mm_add_ps(_mm_loadu_ps(y + o), v);
	_mm_storeu_ps(y + o, v);
}

/*@ k_tile34 k_hsum4 */
/* s[r][j] = x_r . w_j for three rows x (xs apart) and four weight rows:
 * w, w + in, and the two `half` floats further on (2 in for four rows in a
 * row; GLU's gate rows are the matrix's other half). Per 8 channels 3 x
 * loads and 4 weight loads feed 12 FMAs into 12 accumulators, enough to
 * cover the FMA latency on two ports. */
static void k_tile34(int in, const float *x0, int xs, const float *w0, long half, float s[3][4])
{
	const float *x1 = x0 + xs, *x2 = x1 + xs, *w = w0;
	const float *w1 = w0 + in, *w2 = w0 + half, *w3 = w2 + in;
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
	__m256 d0 = a0, d1 = a0, d2 = a0, d3 = a0;
	int i, j;
	for (i = 0; i + 8 <= in; i += 8) {
		__m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i), z = _mm256_loadu_ps(x2 + i), wv;
		wv = _mm256_loadu_ps(w + i);
		a0 = _mm256_fmadd_ps(u, wv, a0);
		c0 = _mm256_fmadd_ps(v, wv, c0);
		d0 = _mm256_fmadd_ps(z, wv, d0);
		wv = _mm256_loadu_ps(w1 + i);
		a1 = _mm256_fmadd_ps(u, wv, a1);
		c1 = _mm256_fmadd_ps(v, wv, c1);
		d1 = _mm256_fmadd_ps(z, wv, d1);
		wv = _mm256_loadu_ps(w2 + i);
		a2 = _mm256_fmadd_ps(u, wv, a2);
		c2 = _mm256_fmadd_ps(v, wv, c2);
		d2 = _mm256_fmadd_ps(z, wv, d2);
		wv = _mm256_loadu_ps(w3 + i);
		a3 = _mm256_fmadd_ps(u, wv, a3);
		c3 = _mm256_fmadd_ps(v, wv, c3);
		d3 = _mm256_fmadd_ps(z, wv, d3);
	}
	_mm_storeu_ps(s[0], k_hsum4(a0, a1, a2, a3));
	_mm_storeu_ps(s[1], k_hsum4(c0, c1, c2, c3));
	_mm_storeu_ps(s[2], k_hsum4(d0, d1, d2, d3));
	for (; i < in; i++)
		for (j = 0; j < 4; j++) {
			float wj = (j < 2 ? w0 + (long)j * in : w2 + (long)(j - 2) * in)[i];
			s[0][j] += x0[i] * wj;
			s[1][j] += x1[i] * wj;
			s[2][j] += x2[i] * wj;
		}
}

/*@ k_tile24 k_hsum4 */
/* k_tile34 for two rows (eight accumulators): what is left of a call's
 * rows, and the fused kernels' pairs */
static void k_tile24(int in, const float *x0, int xs, const float *w0, long half, float s[3][4])
{
	const float *x1 = x0 + xs, *w = w0, *w1 = w0 + in, *w2 = w0 + half, *w3 = w2 + in;
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
	int i, j;
	for (i = 0; i + 8 <= in; i += 8) {
		__m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i), wv;
		wv = _mm256_loadu_ps(w + i);
		a0 = _mm256_fmadd_ps(u, wv, a0);
		c0 = _mm256_fmadd_ps(v, wv, c0);
		wv = _mm256_loadu_ps(w1 + i);
		a1 = _mm256_fmadd_ps(u, wv, a1);
		c1 = _mm256_fmadd_ps(v, wv, c1);
		wv = _mm256_loadu_ps(w2 + i);
		a2 = _mm256_fmadd_ps(u, wv, a2);
		c2 = _mm256_fmadd_ps(v, wv, c2);
		wv = _mm256_loadu_ps(w3 + i);
		a3 = _mm256_fmadd_ps(u, wv, a3);
		c3 = _mm256_fmadd_ps(v, wv, c3);
	}
	_mm_storeu_ps(s[0], k_hsum4(a0, a1, a2, a3));
	_mm_storeu_ps(s[1], k_hsum4(c0, c1, c2, c3));
	for (; i < in; i++)
		for (j = 0; j < 4; j++) {
			float wj = (j < 2 ? w0 + (long)j * in : w2 + (long)(j - 2) * in)[i];
			s[0][j] += x0[i] * wj;
			s[1][j] += x1[i] * wj;
		}
}

/*@ k_linear k_out k_out4v k_dot4 k_tile34 k_tile24 */
/* act(x (n,in) @ W^T + b) * scale -> y. Four outputs at a time, and for
 * them every row: the four weight rows stay in L1 while all the rows
 * pass, three at a time (k_tile34), where rows outside the loop would
 * stream W from L2 or L3 once per row block. At the encoder's shapes this
 * runs at 70-80% of the core's FMA peak (make bench); the next tile's
 * rows are prefetched while this one's run. Two rows left go
 * through k_tile24, one through k_dot4 (a decoder step, bound by reading
 * the weights); the out % 4 last outputs one by one. */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i, r, j;
	for (o = 0; o + 4 <= out; o += 4) {
		const float *w = W + (long)o * in;
		if (o + 8 <= out && n > 2)  /* the next tile's rows, while this one's run */
			for (i = 0; i < 4 * in; i += 16)
				_mm_prefetch((const char *)(w + 4 * in + i), _MM_HINT_T0);
		for (t = 0; t < n; t += r) {
			const float *xr = x + (long)t * xs;
			float s[3][4];
			r = n - t >= 3 ? 3 : n - t;
			if (r == 3)
				k_tile34(in, xr, xs, w, 2L * in, s);
			else if (r == 2)
				k_tile24(in, xr, xs, w, 2L * in, s);
			else
				k_dot4(in, xr, w, s[0]);
			for (j = 0; j < r; j++)
				k_out4v(_mm_loadu_ps(s[j]), b, o, scale, act, acc, y + (long)(t + j) * ys);
		}
	}
	for (; o < out; o++) {
		const float *wr = W + (long)o * in;
		for (t = 0; t < n; t++) {
			const float *xr = x + (long)t * xs;
			float s = 0.0f;
			for (i = 0; i < in; i++)
				s += xr[i] * wr[i];
			k_out(s, b, o, scale, act, acc, y + (long)t * ys);
		}
	}
}

/*@ k_linear_cz k_linear k_cz_decode k_linear_cz_walk */
/* k_linear with a codebook matrix: four of its rows decoded at a time
 * into a panel on the stack, which k_linear's tiles then multiply (for
 * all rows of x while it is in L1). Fewer than four rows of x (a decoder
 * step), or rows of W wider than K_CZ_PANEL, are walked as the stream
 * goes (templates/generic): decoding a row costs more than one dot
 * product saves. No more than four rows of W are ever dense. */
#define K_CZ_PANEL 1024
static void k_linear_cz(int n, int in, int out, const float *restrict x, int xs,
			const uint8_t *restrict Wz, const float *restrict cb, int fmt, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	float panel[4 * K_CZ_PANEL] __attribute__((aligned(32)));
	const uint8_t *p = Wz;
	int o, j, r, c = -1;
	if (n < 4 || in > K_CZ_PANEL) {
		k_linear_cz_walk(n, in, out, x, xs, Wz, cb, fmt, b, y, ys, scale, act, acc);
		return;
	}
	for (o = 0; o < out; o += r) {
		r = out - o < 4 ? out - o : 4;
		for (j = 0; j < r; j++)
			k_cz_decode(in, o + j, Wz, cb, fmt, &p, &c, panel + (long)j * in);
		k_linear(n, in, r, x, xs, panel, b ? b + o : 0, y + o, ys, scale, act, acc);
	}
}

/*@ k_linear_glu k_tile34 k_tile24 k_exp */
/* the generic k_linear_glu (g = GLU(x @ W^T + b), W (2w, in)) without its
 * pair buffer: each tile takes two outputs of the first half and their two
 * gates from the second (k_tile34 with half = w rows), for all the rows
 * three at a time, and gates them from registers; an odd w's last output
 * one by one */
static void k_linear_glu(int n, int in, int w, const float *restrict x, int xs,
			 const float *restrict W, const float *restrict b,
			 float *restrict g, int gs, float *restrict pair)
{
	long half = (long)w * in;
	int t, o, i, r, j, c;
	(void)pair;
	for (o = 0; o + 2 <= w; o += 2) {
		const float *wr = W + (long)o * in;
		for (t = 0; t < n; t += r) {
			float s[3][4];
			r = n - t >= 3 ? 3 : n - t >= 2 ? 2 : 1;
			if (r == 3)
				k_tile34(in, x + (long)t * xs, xs, wr, half, s);
			else if (r == 2)
				k_tile24(in, x + (long)t * xs, xs, wr, half, s);
			else
				for (j = 0; j < 4; j++) {
					const float *wj = (j < 2 ? wr + (long)j * in : wr + half + (long)(j - 2) * in);
					for (s[0][j] = 0.0f, i = 0; i < in; i++)
						s[0][j] += x[(long)t * xs + i] * wj[i];
				}
			for (j = 0; j < r; j++)
				for (c = 0; c < 2; c++) {
					float a = s[j][c] + (b ? b[o + c] : 0.0f), z = s[j][2 + c] + (b ? b[w + o + c] : 0.0f);
					g[(long)(t + j) * gs + o + c] = a / (1.0f + k_exp(-z));
				}
		}
	}
	for (; o < w; o++)
		for (t = 0; t < n; t++) {
			const float *xr = x + (long)t * xs, *wa = W + (long)o * in, *wz = wa + half;
			float a = b ? b[o] : 0.0f, z = b ? b[w + o] : 0.0f, sa = 0.0f, sz = 0.0f;
			for (i = 0; i < in; i++) {
				sa += xr[i] * wa[i];
				sz += xr[i] * wz[i];
			}
			g[(long)t * gs + o] = (sa + a) / (1.0f + k_exp(-(sz + z)));
		}
}

/*@ k_linear_ln k_linear k_add_layernorm */
/* the generic k_linear_ln with all n rows in one k_linear call, then
 * their LayerNorms: two rows a call would stream W from L2 or L3 once per
 * pair, where on this core the rows, not W, are what stays in cache */
static void k_linear_ln(int n, int in, int out, const float *restrict x, int xs,
			const float *restrict W, const float *restrict b, float *restrict y, int ys,
			int c0, int D, const float *restrict gamma, const float *restrict beta)
{
	k_linear(n, in, out, x, xs, W, b, y + c0, ys, 1.0f, 0, 1);
	k_add_layernorm(n, D, y, ys, 0, 0, gamma, beta, 0);
}

/*@ k_pk_tile k_panel */
/* s (R, K_PANEL) = R rows of x (xs apart) times a packed panel p of w
 * rows (K_PANEL, or fewer in a matrix's last panel: masked loads). Per
 * column of the panel: two vector loads of W, then for each row of x one
 * broadcast and two FMAs, 2R accumulators in all (12 at R = 6, enough to
 * hide the FMA latency on two ports), and no lane sums at the end. One
 * row (a decoder step) has a pair of accumulators per column of four
 * in turn, else it would wait out each FMA's latency. Several rows
 * prefetch the next panel column for column: its first row block reads
 * it from memory. R and full are
 * constants where it is inlined, so what they switch off is not there. */
#if K_PANEL != 16
#error "k_pk_tile is written for panels of two 8-float vectors"
#endif
static inline __attribute__((always_inline)) void k_pk_tile(const int R, const int full, int in,
							    const float *x, int xs, const float *p, int w,
							    float s[6][16])
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w), lane);
	const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w - 8), lane);
	const long step = full ? 16 : w;
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
	__m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0, v;
	int i = 0;
#define K_PK_LOAD(q, u, z) (u = full ? _mm256_loadu_ps(q) : _mm256_maskload_ps(q, m0), \
			    z = full ? _mm256_loadu_ps((q) + 8) : _mm256_maskload_ps((q) + 8, m1))
	if (R == 1) {
		for (; i + 4 <= in; i += 4, p += 4 * step) {
			__m256 u0, z0, u1, z1, u2, z2, u3, z3;
			K_PK_LOAD(p, u0, z0);
			K_PK_LOAD(p + step, u1, z1);
			K_PK_LOAD(p + 2 * step, u2, z2);
			K_PK_LOAD(p + 3 * step, u3, z3);
			v = _mm256_broadcast_ss(x + i);
			a0 = _mm256_fmadd_ps(v, u0, a0), c0 = _mm256_fmadd_ps(v, z0, c0);
			v = _mm256_broadcast_ss(x + i + 1);
			a1 = _mm256_fmadd_ps(v, u1, a1), c1 = _mm256_fmadd_ps(v, z1, c1);
			v = _mm256_broadcast_ss(x + i + 2);
			a2 = _mm256_fmadd_ps(v, u2, a2), c2 = _mm256_fmadd_ps(v, z2, c2);
			v = _mm256_broadcast_ss(x + i + 3);
			a3 = _mm256_fmadd_ps(v, u3, a3), c3 = _mm256_fmadd_ps(v, z3, c3);
		}
		a0 = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
		c0 = _mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3));
	}
	for (; i < in; i++, p += step) {
		__m256 u, z;
		if (R > 1)  /* the next panel, while this one is in cache */
			_mm_prefetch((const char *)(p + 16L * in), _MM_HINT_T0);
		K_PK_LOAD(p, u, z);
		v = _mm256_broadcast_ss(x + i);
		a0 = _mm256_fmadd_ps(v, u, a0), c0 = _mm256_fmadd_ps(v, z, c0);
		if (R > 1) {
			v = _mm256_broadcast_ss(x + xs + i);
			a1 = _mm256_fmadd_ps(v, u, a1), c1 = _mm256_fmadd_ps(v, z, c1);
		}
		if (R > 2) {
			v = _mm256_broadcast_ss(x + 2L * xs + i);
			a2 = _mm256_fmadd_ps(v, u, a2), c2 = _mm256_fmadd_ps(v, z, c2);
		}
		if (R > 3) {
			v = _mm256_broadcast_ss(x + 3L * xs + i);
			a3 = _mm256_fmadd_ps(v, u, a3), c3 = _mm256_fmadd_ps(v, z, c3);
		}
		if (R > 4) {
			v = _mm256_broadcast_ss(x + 4L * xs + i);
			a4 = _mm256_fmadd_ps(v, u, a4), c4 = _mm256_fmadd_ps(v, z, c4);
		}
		if (R > 5) {
			v = _mm256_broadcast_ss(x + 5L * xs + i);
			a5 = _mm256_fmadd_ps(v, u, a5), c5 = _mm256_fmadd_ps(v, z, c5);
		}
	}
#undef K_PK_LOAD
	_mm256_storeu_ps(s[0], a0), _mm256_storeu_ps(s[0] + 8, c0);
	if (R > 1)
		_mm256_storeu_ps(s[1], a1), _mm256_storeu_ps(s[1] + 8, c1);
	if (R > 2)
		_mm256_storeu_ps(s[2], a2), _mm256_storeu_ps(s[2] + 8, c2);
	if (R > 3)
		_mm256_storeu_ps(s[3], a3), _mm256_storeu_ps(s[3] + 8, c3);
	if (R > 4)
		_mm256_storeu_ps(s[4], a4), _mm256_storeu_ps(s[4] + 8, c4);
	if (R > 5)
		_mm256_storeu_ps(s[5], a5), _mm256_storeu_ps(s[5] + 8, c5);
}

/*@ k_pk_tiles k_pk_tile */
/* k_pk_tile for r = 1..6 rows, a full panel or the last one: one copy
 * each, so every accumulator stays in a register */
static void k_pk_tiles(int r, int in, const float *x, int xs, const float *p, int w, float s[6][16])
{
	if (w == K_PANEL)
		switch (r) {
		case 6: k_pk_tile(6, 1, in, x, xs, p, w, s); break;
		case 5: k_pk_tile(5, 1, in, x, xs, p, w, s); break;
		case 4: k_pk_tile(4, 1, in, x, xs, p, w, s); break;
		case 3: k_pk_tile(3, 1, in, x, xs, p, w, s); break;
		case 2: k_pk_tile(2, 1, in, x, xs, p, w, s); break;
		default: k_pk_tile(1, 1, in, x, xs, p, w, s); break;
		}
	else
		switch (r) {
		case 6: k_pk_tile(6, 0, in, x, xs, p, w, s); break;
		case 5: k_pk_tile(5, 0, in, x, xs, p, w, s); break;
		case 4: k_pk_tile(4, 0, in, x, xs, p, w, s); break;
		case 3: k_pk_tile(3, 0, in, x, xs, p, w, s); break;
		case 2: k_pk_tile(2, 0, in, x, xs, p, w, s); break;
		default: k_pk_tile(1, 0, in, x, xs, p, w, s); break;
		}
}

/*@ k_out8v */
/* k_out on eight outputs o..o+7 of a row at once, but GELU */
static void k_out8v(__m256 v, const float *b, int o, float scale, int act, int acc, float *y)
{
	if (b)
		v = _mm256_add_ps(v, _mm256_loadu_ps(b + o));
	v = _mm256_mul_ps(v, _mm256_set1_ps(scale));
	if (act == 1)
		v = _mm256_max_ps(v, _mm256_setzero_ps());
	if (acc)
		v = _mm256_add_ps(_mm256_loadu_ps(y + o), v);
	_mm256_storeu_ps(y + o, v);
}

/*@ k_linear_pk k_pk_tiles k_out k_out8v */
/* act(x (n,in) @ W^T + b) * scale -> y with W packed (k_panel): a panel
 * at a time, and for it every row of x, six at a time, so the panel is
 * read from L1 or L2 while the rows pass. At the encoder's shapes this
 * runs at over 90% of the core's FMA peak (make bench). The epilogue
 * works on the tile: 16 outputs a row at once, GELU and the last panel's
 * outputs one by one. */
static void k_linear_pk(int n, int in, int out, const float *restrict x, int xs,
			const float *restrict Wp, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, r, j, h;
	for (o = 0; o < out; o += K_PANEL) {
		int w = out - o < K_PANEL ? out - o : K_PANEL;
		for (t = 0; t < n; t += r) {
			float s[6][16];
			r = n - t < 6 ? n - t : 6;
			k_pk_tiles(r, in, x + (long)t * xs, xs, Wp + (long)o * in, w, s);
			for (j = 0; j < r; j++) {
				float *yr = y + (long)(t + j) * ys;
				if (w < K_PANEL || act == 2) {
					for (h = 0; h < w; h++)
						k_out(s[j][h], b, o + h, scale, act, acc, yr);
					continue;
				}
				k_out8v(_mm256_loadu_ps(s[j]), b, o, scale, act, acc, yr);
				k_out8v(_mm256_loadu_ps(s[j] + 8), b, o + 8, scale, act, acc, yr);
			}
		}
	}
}

/*@ k_linear_ln_pk k_linear_pk k_add_layernorm */
/* k_linear_ln with a packed matrix: all n rows in one k_linear_pk call,
 * then their LayerNorms (as k_linear_ln here) */
static void k_linear_ln_pk(int n, int in, int out, const float *restrict x, int xs,
			   const float *restrict Wp, const float *restrict b, float *restrict y, int ys,
			   int c0, int D, const float *restrict gamma, const float *restrict beta)
{
	k_linear_pk(n, in, out, x, xs, Wp, b, y + c0, ys, 1.0f, 0, 1);
	k_add_layernorm(n, D, y, ys, 0, 0, gamma, beta, 0);
}

/*@ k_ln_linear_pk k_linear_pk k_layernorm */
/* k_ln_linear with a packed matrix: six rows normalised at a time into a
 * buffer on the stack (up to K_LN_ROWS_IN channels, 24 KB), so each of
 * k_linear_pk's tiles has six rows; the caller's `pair` (two rows) for
 * wider inputs */
#define K_LN_ROWS_IN 1024
static void k_ln_linear_pk(int n, int in, int out, const float *restrict x, int xs,
			   const float *restrict Wp, const float *restrict b, float *restrict y, int ys, int act,
			   const float *restrict gamma, const float *restrict beta, float *restrict pair)
{
	float rows[6 * K_LN_ROWS_IN] __attribute__((aligned(32)));
	float *buf = in <= K_LN_ROWS_IN ? rows : pair;
	int t, r, k = in <= K_LN_ROWS_IN ? 6 : 2;
	for (t = 0; t < n; t += r) {
		r = n - t < k ? n - t : k;
		k_layernorm(r, in, x + (long)t * xs, xs, buf, in, gamma, beta);
		k_linear_pk(r, in, out, buf, in, Wp, b, y + (long)t * ys, ys, 1.0f, act, 0);
	}
}

/*@ k_linear_glu_pk k_pk_tiles k_exp k_exp8 */
/* k_linear_glu with a packed matrix (its halves packed apart): for each
 * panel of outputs and six rows at a time, the values' tile and their
 * gates' tile, then a / (1 + e^-z) eight lanes at once (k_exp8, the same
 * steps as k_exp); no pair buffer */
static void k_linear_glu_pk(int n, int in, int w, const float *restrict x, int xs,
			    const float *restrict Wp, const float *restrict b,
			    float *restrict g, int gs, float *restrict pair)
{
	int t, o, r, j, h;
	(void)pair;
	for (o = 0; o < w; o += K_PANEL) {
		int pw = w - o < K_PANEL ? w - o : K_PANEL;
		for (t = 0; t < n; t += r) {
			float sa[6][16], sz[6][16];
			r = n - t < 6 ? n - t : 6;
			k_pk_tiles(r, in, x + (long)t * xs, xs, Wp + (long)o * in, pw, sa);
			k_pk_tiles(r, in, x + (long)t * xs, xs, Wp + (long)(w + o) * in, pw, sz);
			for (j = 0; j < r; j++) {
				float *gr = g + (long)(t + j) * gs + o;
				for (h = 0; h + 8 <= pw; h += 8) {
					__m256 a = _mm256_loadu_ps(sa[j] + h), z = _mm256_loadu_ps(sz[j] + h);
					if (b) {
						a = _mm256_add_ps(a, _mm256_loadu_ps(b + o + h));
						z = _mm256_add_ps(z, _mm256_loadu_ps(b + w + o + h));
					}
					z = _mm256_add_ps(_mm256_set1_ps(1.0f), k_exp8(_mm256_sub_ps(_mm256_setzero_ps(), z)));
					_mm256_storeu_ps(gr + h, _mm256_div_ps(a, z));
				}
				for (; h < pw; h++) {
					float a = sa[j][h] + (b ? b[o + h] : 0.0f), z = sz[j][h] + (b ? b[w + o + h] : 0.0f);
					gr[h] = a / (1.0f + k_exp(-z));
				}
			}
		}
	}
}

/*@ k_dots k_hsum4 */
/* the generic k_dots (sc[j] = q . k_j), four keys at a time: four
 * accumulators down the head's channels 8 at a time, their sums in one
 * k_hsum4; the hd % 8 last channels, and the n % 4 last keys, scalar */
static void k_dots(int hd, const float *q, const float *k, int ks, int n, float *sc)
{
	int j = 0, c, r;
	for (; j + 4 <= n; j += 4) {
		const float *k0 = k + (long)j * ks, *k1 = k0 + ks, *k2 = k1 + ks, *k3 = k2 + ks;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		for (c = 0; c + 8 <= hd; c += 8) {
			__m256 qv = _mm256_loadu_ps(q + c);
			a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + c), a0);
			a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k1 + c), a1);
			a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k2 + c), a2);
			a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k3 + c), a3);
		}
		_mm_storeu_ps(sc + j, k_hsum4(a0, a1, a2, a3));
		for (; c < hd; c++) {
			sc[j] += q[c] * k0[c];
			sc[j + 1] += q[c] * k1[c];
			sc[j + 2] += q[c] * k2[c];
			sc[j + 3] += q[c] * k3[c];
		}
	}
	for (; j < n; j++) {
		const float *kr = k + (long)j * ks;
		float s = 0.0f;
		for (r = 0; r < hd; r++)
			s += q[r] * kr[r];
		sc[j] = s;
	}
}

/*@ k_wsum */
/* the generic k_wsum (o[c] += sum_j p[j] v_j[c]), 32 channels of o at a
 * time held in four accumulators over all n rows, then 8, then the hd % 8
 * last scalar */
static void k_wsum(int hd, const float *p, const float *v, int vs, int n, float *o)
{
	int c = 0, j;
	for (; c + 32 <= hd; c += 32) {
		__m256 a0 = _mm256_loadu_ps(o + c), a1 = _mm256_loadu_ps(o + c + 8);
		__m256 a2 = _mm256_loadu_ps(o + c + 16), a3 = _mm256_loadu_ps(o + c + 24);
		for (j = 0; j < n; j++) {
			const float *vr = v + (long)j * vs + c;
			__m256 pj = _mm256_set1_ps(p[j]);
			a0 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vr), a0);
			a1 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vr + 8), a1);
			a2 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vr + 16), a2);
			a3 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vr + 24), a3);
		}
		_mm256_storeu_ps(o + c, a0);
		_mm256_storeu_ps(o + c + 8, a1);
		_mm256_storeu_ps(o + c + 16, a2);
		_mm256_storeu_ps(o + c + 24, a3);
	}
	for (; c + 8 <= hd; c += 8) {
		__m256 a = _mm256_loadu_ps(o + c);
		for (j = 0; j < n; j++)
			a = _mm256_fmadd_ps(_mm256_set1_ps(p[j]), _mm256_loadu_ps(v + (long)j * vs + c), a);
		_mm256_storeu_ps(o + c, a);
	}
	for (; c < hd; c++)
		for (j = 0; j < n; j++)
			o[c] += p[j] * v[(long)j * vs + c];
}

/*@ k_exp8 */
/* k_exp on eight lanes, the same steps (its error bound, tests/exp): x =
 * n ln2 + r, the degree-7 polynomial by FMAs, times 2^n in the exponent
 * bits (2^128 as 2^127 times 2); 0 below -87.34, +inf above 88.72, NaN
 * kept */
static __m256 k_exp8(__m256 x)
{
	__m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), _mm256_set1_ps(12582912.0f)), n, r, p, big;
	__m256i k = _mm256_sub_epi32(_mm256_castps_si256(z), _mm256_set1_epi32(0x4b400000)), top;
	n = _mm256_cvtepi32_ps(k);
	r = _mm256_fmadd_ps(n, _mm256_set1_ps(-0.693359375f), x);
	r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
	p = _mm256_fmadd_ps(r, _mm256_set1_ps(1.98412698e-4f), _mm256_set1_ps(1.38888889e-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.33333333e-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.16666667e-2f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.66666667e-1f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	top = _mm256_cmpgt_epi32(k, _mm256_set1_epi32(127));  /* n = 128 */
	k = _mm256_sub_epi32(k, _mm256_and_si256(top, _mm256_set1_epi32(1)));
	p = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23)));
	p = _mm256_blendv_ps(p, _mm256_add_ps(p, p), _mm256_castsi256_ps(top));
	big = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283f), _CMP_GT_OQ);
	p = _mm256_blendv_ps(p, _mm256_set1_ps(HUGE_VALF), big);
	p = _mm256_and_ps(p, _mm256_cmp_ps(x, _mm256_set1_ps(-87.33655f), _CMP_GT_OQ));
	return _mm256_blendv_ps(p, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/*@ k_exp_block k_exp k_exp8 k_hsum */
/* the generic k_exp_block (p[j] = e^(p[j] - m), their sum) 8 lanes at a
 * time, the n % 8 last by k_exp */
static float k_exp_block(int n, float *p, float m)
{
	__m256 sum = _mm256_setzero_ps(), mv = _mm256_set1_ps(m);
	float l;
	int j = 0;
	for (; j + 8 <= n; j += 8) {
		__m256 e = k_exp8(_mm256_sub_ps(_mm256_loadu_ps(p + j), mv));
		_mm256_storeu_ps(p + j, e);
		sum = _mm256_add_ps(sum, e);
	}
	l = k_hsum(sum);
	for (; j < n; j++)
		l += (p[j] = k_exp(p[j] - m));
	return l;
}

/*@ k_ld8 */
/* eight int8 weights as eight floats (exact) */
static __m256 k_ld8(const int8_t *p)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/*@ k_linear_w8 k_out k_hsum k_ld8 */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, int8 weight rows with one
 * scale each: k_linear's blocking (two rows by four outputs; a decoder
 * step one row by four), each weight vector widened to floats once. */
static void k_linear_w8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t = 0, o, i, j, two;
	for (; t < n; t += two) {
		two = n - t >= 2 ? 2 : 1;
		const float *x0 = x + (long)t * xs, *x1 = two == 2 ? x0 + xs : x0;
		float *y0 = y + (long)t * ys, *y1 = two == 2 ? y0 + ys : y0;
		for (o = 0; o + 4 <= out; o += 4) {
			const int8_t *w = Wq + (long)o * in;
			__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
			__m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
			float s[4], r[4] = { 0, 0, 0, 0 };
			if (two == 2)
				for (i = 0; i + 8 <= in; i += 8) {
					__m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i), wv;
					wv = k_ld8(w + i);
					a0 = _mm256_fmadd_ps(u, wv, a0);
					c0 = _mm256_fmadd_ps(v, wv, c0);
					wv = k_ld8(w + in + i);
					a1 = _mm256_fmadd_ps(u, wv, a1);
					c1 = _mm256_fmadd_ps(v, wv, c1);
					wv = k_ld8(w + 2 * in + i);
					a2 = _mm256_fmadd_ps(u, wv, a2);
					c2 = _mm256_fmadd_ps(v, wv, c2);
					wv = k_ld8(w + 3 * in + i);
					a3 = _mm256_fmadd_ps(u, wv, a3);
					c3 = _mm256_fmadd_ps(v, wv, c3);
				}
			else
				for (i = 0; i + 8 <= in; i += 8) {
					__m256 u = _mm256_loadu_ps(x0 + i);
					a0 = _mm256_fmadd_ps(u, k_ld8(w + i), a0);
					a1 = _mm256_fmadd_ps(u, k_ld8(w + in + i), a1);
					a2 = _mm256_fmadd_ps(u, k_ld8(w + 2 * in + i), a2);
					a3 = _mm256_fmadd_ps(u, k_ld8(w + 3 * in + i), a3);
				}
			s[0] = k_hsum(a0); s[1] = k_hsum(a1); s[2] = k_hsum(a2); s[3] = k_hsum(a3);
			if (two == 2) {
				r[0] = k_hsum(c0); r[1] = k_hsum(c1); r[2] = k_hsum(c2); r[3] = k_hsum(c3);
			}
			for (; i < in; i++)
				for (j = 0; j < 4; j++) {
					s[j] += x0[i] * (float)w[(long)j * in + i];
					if (two == 2)
						r[j] += x1[i] * (float)w[(long)j * in + i];
				}
			for (j = 0; j < 4; j++) {
				k_out(s[j] * Ws[o + j], b, o + j, scale, act, acc, y0);
				if (two == 2)
					k_out(r[j] * Ws[o + j], b, o + j, scale, act, acc, y1);
			}
		}
		for (; o < out; o++) {
			const int8_t *wr = Wq + (long)o * in;
			float s = 0.0f, r = 0.0f;
			for (i = 0; i < in; i++) {
				s += x0[i] * (float)wr[i];
				if (two == 2)
					r += x1[i] * (float)wr[i];
			}
			k_out(s * Ws[o], b, o, scale, act, acc, y0);
			if (two == 2)
				k_out(r * Ws[o], b, o, scale, act, acc, y1);
		}
	}
}

/*@ k_quant_rows */
/* r rows of x to q, int16, and their scales s: templates/generic's
 * k_quant_rows, the same q and s bit for bit (its comment has the rule),
 * 16 floats a step. max|x| on the bits, as there (VPMAXUD on x's bits
 * without the sign, which order as the values do); a NaN or an Inf makes
 * m 0, so q = 0 and s = 0. The AVX ops are the scalar SSE ones lane by
 * lane (same MXCSR): v = x * inv by VMULPS; then half away from zero:
 * k = trunc(v) (VCVTTPS2DQ), f = v - k (exact: the fraction of a float
 * below 2^23), k += (f >= 0.5) - (f <= -0.5), the compare masks being -1
 * for true; the generic's round-to-even-then-move-ties gives the same.
 * A v that is not below 128 in magnitude is zeroed first: none is when
 * 127 / m is finite (|v| <= 127.00002), and when it is not (0 < m <
 * 127 / FLT_MAX) the generic's conversion of an Inf or NaN to int16 gives
 * 0 on x86 too. VPACKSSDW narrows, VPERMQ puts the halves back in order;
 * the last 1..7 channels one at a time, the same arithmetic. */
#ifdef LTCC_QTRACE
void LTCC_QTRACE(const int16_t *q, int n, float s);
#endif
static __m256i k_qround8(__m256 v)
{
	const __m256 sgn = _mm256_set1_ps(-0.0f);
	__m256i k;
	__m256 f;
	v = _mm256_and_ps(v, _mm256_cmp_ps(_mm256_andnot_ps(sgn, v), _mm256_set1_ps(128.0f), _CMP_LT_OQ));
	k = _mm256_cvttps_epi32(v);
	f = _mm256_sub_ps(v, _mm256_cvtepi32_ps(k));
	k = _mm256_sub_epi32(k, _mm256_castps_si256(_mm256_cmp_ps(f, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
	return _mm256_add_epi32(k, _mm256_castps_si256(_mm256_cmp_ps(f, _mm256_set1_ps(-0.5f), _CMP_LE_OQ)));
}
static void k_quant_rows(int r, int in, const float *restrict x, int xs, int16_t *restrict q, float *s)
{
	const __m256i mag = _mm256_set1_epi32(0x7fffffff);
	int t, i;
	for (t = 0; t < r; t++) {
		const float *xr = x + (long)t * xs;
		int16_t *qr = q + (long)t * in;
		__m256i m0 = _mm256_setzero_si256(), m1 = m0;
		__m128i h;
		__m256 iv;
		uint32_t mb, u;
		float m, inv;
		for (i = 0; i + 16 <= in; i += 16) {
			m0 = _mm256_max_epu32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(xr + i)), mag));
			m1 = _mm256_max_epu32(m1, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(xr + i + 8)), mag));
		}
		if (i + 8 <= in)
			m0 = _mm256_max_epu32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(xr + i)), mag));
		m0 = _mm256_max_epu32(m0, m1);
		h = _mm_max_epu32(_mm256_castsi256_si128(m0), _mm256_extracti128_si256(m0, 1));
		h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4e));
		h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xb1));
		mb = (uint32_t)_mm_cvtsi128_si32(h);
		for (i = in & ~7; i < in; i++) {
			memcpy(&u, &xr[i], 4);
			u &= 0x7fffffffu;
			mb = u > mb ? u : mb;
		}
		if (mb >= 0x7f800000u || mb < 0x0f800000u)  /* the generic's zero rows */
			mb = 0;
		memcpy(&m, &mb, 4);
		inv = m > 0.0f ? 127.0f / m : 0.0f;
		iv = _mm256_set1_ps(inv);
		for (i = 0; i + 16 <= in; i += 16) {
			__m256i k0 = k_qround8(_mm256_mul_ps(_mm256_loadu_ps(xr + i), iv));
			__m256i k1 = k_qround8(_mm256_mul_ps(_mm256_loadu_ps(xr + i + 8), iv));
			_mm256_storeu_si256((__m256i *)(qr + i),
					    _mm256_permute4x64_epi64(_mm256_packs_epi32(k0, k1), 0xd8));
		}
		if (i + 8 <= in) {
			__m256i k0 = k_qround8(_mm256_mul_ps(_mm256_loadu_ps(xr + i), iv));
			_mm_storeu_si128((__m128i *)(qr + i),
					 _mm_packs_epi32(_mm256_castsi256_si128(k0), _mm256_extracti128_si256(k0, 1)));
			i += 8;
		}
		for (; i < in; i++) {
			float v = xr[i] * inv;
			int k;
			if (!(fabsf(v) < 128.0f))
				v = 0.0f;
			k = (int)v;
			k += (v - (float)k >= 0.5f) - (v - (float)k <= -0.5f);
			qr[i] = (int16_t)k;
		}
		s[t] = m / 127.0f;
#ifdef LTCC_QTRACE
		LTCC_QTRACE(qr, in, s[t]);
#endif
	}
}

/*@ k_hsum4i */
/* the lane sums of four int32 vectors, as the four lanes of one */
static __m128i k_hsum4i(__m256i a, __m256i b, __m256i c, __m256i d)
{
	__m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
	return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

/*@ k_linear_i8 k_out k_quant_rows k_hsum4i */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, int8 weights and input
 * rows quantized four at a time into qx: k_linear's blocking (two rows by
 * four outputs; a decoder step one row by four), 16 channels a step, the
 * weights widened to int16 (VPMOVSXBW) and multiplied with the int16
 * activations by VPMADDWD (pairs of products summed into int32 lanes: at
 * most 2 * 127 * 127, so no saturation and the sums are exact). A block
 * short of outputs repeats its last weight row. Sums are kept for 48
 * outputs, then the epilogue runs over them: one call of k_out (in an int8
 * model its only caller, so the compiler inlines it). */
static void k_linear_i8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc, int16_t *restrict qx)
{
	int t0, t, o, oc, i, j, k, r, mc;
	int32_t S[2][48];
	float sx[4];
	for (t0 = 0; t0 < n; t0 += 4) {
		r = n - t0 < 4 ? n - t0 : 4;
		k_quant_rows(r, in, x + (long)t0 * xs, xs, qx, sx);
		for (t = 0; t < r; t += 2) {
			int two = r - t >= 2 ? 2 : 1;
			const int16_t *q0 = qx + (long)t * in, *q1 = q0 + (two - 1) * in;
			for (oc = 0; oc < out; oc += 48) {
				mc = out - oc < 48 ? out - oc : 48;
				for (o = 0; o < mc; o += 4) {
					const int8_t *w[4];
					__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
					__m256i c0 = a0, c1 = a0, c2 = a0, c3 = a0;
					for (j = 0; j < 4; j++)
						w[j] = Wq + (long)(oc + (o + j < mc ? o + j : mc - 1)) * in;
					if (two == 2)
						for (i = 0; i + 16 <= in; i += 16) {
							__m256i p = _mm256_loadu_si256((const __m256i *)(q0 + i));
							__m256i v = _mm256_loadu_si256((const __m256i *)(q1 + i)), wv;
							wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[0] + i)));
							a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(p, wv));
							c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(v, wv));
							wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[1] + i)));
							a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(p, wv));
							c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(v, wv));
							wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[2] + i)));
							a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(p, wv));
							c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(v, wv));
							wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[3] + i)));
							a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(p, wv));
							c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(v, wv));
						}
					else
						for (i = 0; i + 16 <= in; i += 16) {
							__m256i p = _mm256_loadu_si256((const __m256i *)(q0 + i));
							a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(p,
								_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[0] + i)))));
							a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(p,
								_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[1] + i)))));
							a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(p,
								_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[2] + i)))));
							a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(p,
								_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w[3] + i)))));
						}
					if (i + 8 <= in) {  /* 8 channels more, on the lower halves */
						__m128i p = _mm_loadu_si128((const __m128i *)(q0 + i));
						__m128i v = _mm_loadu_si128((const __m128i *)(q1 + i));
						__m128i z = _mm_setzero_si128(), e[4];
						for (j = 0; j < 4; j++)
							e[j] = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(w[j] + i)));
						a0 = _mm256_add_epi32(a0, _mm256_set_m128i(z, _mm_madd_epi16(p, e[0])));
						a1 = _mm256_add_epi32(a1, _mm256_set_m128i(z, _mm_madd_epi16(p, e[1])));
						a2 = _mm256_add_epi32(a2, _mm256_set_m128i(z, _mm_madd_epi16(p, e[2])));
						a3 = _mm256_add_epi32(a3, _mm256_set_m128i(z, _mm_madd_epi16(p, e[3])));
						c0 = _mm256_add_epi32(c0, _mm256_set_m128i(z, _mm_madd_epi16(v, e[0])));
						c1 = _mm256_add_epi32(c1, _mm256_set_m128i(z, _mm_madd_epi16(v, e[1])));
						c2 = _mm256_add_epi32(c2, _mm256_set_m128i(z, _mm_madd_epi16(v, e[2])));
						c3 = _mm256_add_epi32(c3, _mm256_set_m128i(z, _mm_madd_epi16(v, e[3])));
						i += 8;
					}
					_mm_storeu_si128((__m128i *)(S[0] + o), k_hsum4i(a0, a1, a2, a3));
					_mm_storeu_si128((__m128i *)(S[1] + o), k_hsum4i(c0, c1, c2, c3));
					for (j = 0; i < in && j < 4; j++) {  /* the last 1..7, summed in registers */
						int32_t e = 0, f = 0;
						for (k = i; k < in; k++) {
							e += (int32_t)q0[k] * w[j][k];
							f += (int32_t)q1[k] * w[j][k];
						}
						S[0][o + j] += e;
						S[1][o + j] += f;
					}
				}
				for (i = 0; i < two; i++)
					for (o = 0; o < mc; o++)
						k_out((float)S[i][o] * sx[t + i] * Ws[oc + o], b, oc + o, scale, act, acc,
						      y + (long)(t0 + t + i) * ys);
			}
		}
	}
}
