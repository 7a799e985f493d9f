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

/*@ k_linear k_out k_hsum */
/* act(x (n,in) @ W^T + b) * scale -> y: four outputs at a time, 8 input
 * channels a step, one vfmadd231ps per output and step; the x vector is
 * loaded once for the four */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i, j;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys;
		for (o = 0; o + 4 <= out; o += 4) {
			const float *w0 = W + (long)o * in;
			__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
			float s[4];
			for (i = 0; i + 8 <= in; i += 8) {
				__m256 xv = _mm256_loadu_ps(xr + i);
				a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + i), a0);
				a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + in + i), a1);
				a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + 2 * in + i), a2);
				a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + 3 * in + i), a3);
			}
			s[0] = k_hsum(a0);
			s[1] = k_hsum(a1);
			s[2] = k_hsum(a2);
			s[3] = k_hsum(a3);
			for (; i < in; i++)
				for (j = 0; j < 4; j++)
					s[j] += xr[i] * w0[(long)j * in + i];
			for (j = 0; j < 4; j++)
				k_out(s[j], b, o + j, scale, act, acc, yr);
		}
		for (; o < out; o++) {
			const float *wr = W + (long)o * in;
			__m256 a = _mm256_setzero_ps();
			float s;
			for (i = 0; i + 8 <= in; i += 8)
				a = _mm256_fmadd_ps(_mm256_loadu_ps(xr + i), _mm256_loadu_ps(wr + i), a);
			s = k_hsum(a);
			for (; i < in; i++)
				s += xr[i] * wr[i];
			k_out(s, b, o, scale, act, acc, yr);
		}
	}
}
