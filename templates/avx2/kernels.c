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

/*@ k_linear k_out k_hsum k_dot4 */
/* act(x (n,in) @ W^T + b) * scale -> y. Two rows by four outputs at a
 * time: eight accumulators, each weight vector loaded once for two rows and
 * each x vector once for four outputs. One row at a time is a decoder step,
 * bound by reading the weights. */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t = 0, o, i, j;
	for (; t + 2 <= n; t += 2) {
		const float *x0 = x + (long)t * xs, *x1 = x0 + xs;
		float *y0 = y + (long)t * ys, *y1 = y0 + ys;
		for (o = 0; o + 4 <= out; o += 4) {
			const float *w = W + (long)o * in;
			__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
			__m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
			float s[4], r[4];
			for (i = 0; i + 8 <= in; i += 8) {
				__m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i), wv;
				wv = _mm256_loadu_ps(w + i);
				a0 = _mm256_fmadd_ps(u, wv, a0);
				c0 = _mm256_fmadd_ps(v, wv, c0);
				wv = _mm256_loadu_ps(w + in + i);
				a1 = _mm256_fmadd_ps(u, wv, a1);
				c1 = _mm256_fmadd_ps(v, wv, c1);
				wv = _mm256_loadu_ps(w + 2 * in + i);
				a2 = _mm256_fmadd_ps(u, wv, a2);
				c2 = _mm256_fmadd_ps(v, wv, c2);
				wv = _mm256_loadu_ps(w + 3 * in + i);
				a3 = _mm256_fmadd_ps(u, wv, a3);
				c3 = _mm256_fmadd_ps(v, wv, c3);
			}
			s[0] = k_hsum(a0); s[1] = k_hsum(a1); s[2] = k_hsum(a2); s[3] = k_hsum(a3);
			r[0] = k_hsum(c0); r[1] = k_hsum(c1); r[2] = k_hsum(c2); r[3] = k_hsum(c3);
			for (; i < in; i++)
				for (j = 0; j < 4; j++) {
					s[j] += x0[i] * w[(long)j * in + i];
					r[j] += x1[i] * w[(long)j * in + i];
				}
			for (j = 0; j < 4; j++) {
				k_out(s[j], b, o + j, scale, act, acc, y0);
				k_out(r[j], b, o + j, scale, act, acc, y1);
			}
		}
		for (; o < out; o++) {
			const float *wr = W + (long)o * in;
			float s = 0.0f, r = 0.0f;
			for (i = 0; i < in; i++) {
				s += x0[i] * wr[i];
				r += x1[i] * wr[i];
			}
			k_out(s, b, o, scale, act, acc, y0);
			k_out(r, b, o, scale, act, acc, y1);
		}
	}
	for (; t < n; t++) {
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys;
		for (o = 0; o + 4 <= out; o += 4) {
			float s[4];
			k_dot4(in, xr, W + (long)o * in, s);
			for (j = 0; j < 4; j++)
				k_out(s[j], b, o + j, scale, act, acc, yr);
		}
		for (; o < out; o++) {
			const float *wr = W + (long)o * in;
			float s = 0.0f;
			for (i = 0; i < in; i++)
				s += xr[i] * wr[i];
			k_out(s, b, o, scale, act, acc, yr);
		}
	}
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
