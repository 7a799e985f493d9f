/* weights.c — safetensors: an 8-byte little-endian header length, a JSON
 * header (parsed with json-c), then raw little-endian tensor data.
 *
 * Guarantees: every tensor in the result has a known dtype, a shape whose
 * element count matches its byte range, a range inside the data section
 * that overlaps no other, and its values converted to fp32. Anything else
 * is an error naming the file and the tensor; nothing here can crash on a
 * hostile file. */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

#define MAX_HEADER (100u << 20)

static WeightFile *fail(const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_plain_error("%s: %s", path, msg);
	return NULL;
}

static float half_to_float(uint16_t h)
{
	int e = (h >> 10) & 31, f = h & 1023;
	float v = e == 0 ? ldexpf((float)f, -24)
		: e == 31 ? (f ? NAN : INFINITY)
		: ldexpf((float)(f | 1024), e - 25);
	return (h & 0x8000) ? -v : v;
}

static float bf16_to_float(uint16_t b)
{
	uint32_t u = (uint32_t)b << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static int dtype_size(const char *d)
{
	if (!strcmp(d, "F32")) return 4;
	if (!strcmp(d, "F16") || !strcmp(d, "BF16")) return 2;
	if (!strcmp(d, "F64")) return 8;
	return 0;
}

/* Little-endian decode, independent of the host's byte order. */
static void convert(const unsigned char *p, const char *dtype, int64_t n, float *out)
{
	for (int64_t i = 0; i < n; i++) {
		if (!strcmp(dtype, "F32")) {
			uint32_t u = (uint32_t)p[4*i] | (uint32_t)p[4*i+1] << 8 | (uint32_t)p[4*i+2] << 16 | (uint32_t)p[4*i+3] << 24;
			memcpy(&out[i], &u, 4);
		} else if (!strcmp(dtype, "F64")) {
			uint64_t u = 0;
			for (int b = 7; b >= 0; b--)
				u = u << 8 | p[8*i+b];
			double d;
			memcpy(&d, &u, 8);
			out[i] = (float)d;
		} else {
			uint16_t u = (uint16_t)(p[2*i] | p[2*i+1] << 8);
			out[i] = !strcmp(dtype, "F16") ? half_to_float(u) : bf16_to_float(u);
		}
	}
}

typedef struct Range { int64_t b, e; int idx; } Range;

static int by_begin(const void *a, const void *b)
{
	const Range *x = a, *y = b;
	return x->b < y->b ? -1 : x->b > y->b ? 1 : (x->e > y->e) - (x->e < y->e);
}

/* Parse one header entry into t; false after reporting. */
static bool parse_entry(const char *path, const char *name, json_object *o, size_t data_len, WTensor *t, Range *r)
{
	json_object *dt, *shape, *offs;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "dtype", &dt) ||
	    !json_object_object_get_ex(o, "shape", &shape) ||
	    !json_object_object_get_ex(o, "data_offsets", &offs)) {
		fail(path, "tensor '%s': header entry needs dtype, shape and data_offsets", name);
		return false;
	}
	if (!json_object_is_type(dt, json_type_string) || !dtype_size(json_object_get_string(dt))) {
		fail(path, "tensor '%s': unsupported dtype %s (ltcc reads F32, F16, BF16 and F64)", name,
		     json_object_to_json_string(dt));
		return false;
	}
	t->name = arena_strdup(name);
	t->dtype = arena_strdup(json_object_get_string(dt));
	if (!json_object_is_type(shape, json_type_array) || json_object_array_length(shape) > 8) {
		fail(path, "tensor '%s': shape must be a list of at most 8 sizes", name);
		return false;
	}
	t->ndim = (int)json_object_array_length(shape);
	t->numel = 1;
	for (int i = 0; i < t->ndim; i++) {
		json_object *d = json_object_array_get_idx(shape, (size_t)i);
		if (!json_object_is_type(d, json_type_int) || json_object_get_int64(d) < 0 ||
		    json_object_get_int64(d) > (1LL << 40)) {
			fail(path, "tensor '%s': shape entry %d is not a size", name, i);
			return false;
		}
		t->shape[i] = json_object_get_int64(d);
		if (t->shape[i] && t->numel > (1LL << 40) / t->shape[i]) {
			fail(path, "tensor '%s': shape too large", name);
			return false;
		}
		t->numel *= t->shape[i];
	}
	if (!json_object_is_type(offs, json_type_array) || json_object_array_length(offs) != 2 ||
	    !json_object_is_type(json_object_array_get_idx(offs, 0), json_type_int) ||
	    !json_object_is_type(json_object_array_get_idx(offs, 1), json_type_int)) {
		fail(path, "tensor '%s': data_offsets must be [begin, end]", name);
		return false;
	}
	r->b = json_object_get_int64(json_object_array_get_idx(offs, 0));
	r->e = json_object_get_int64(json_object_array_get_idx(offs, 1));
	if (r->b < 0 || r->e < r->b) {
		fail(path, "tensor '%s': data_offsets [%lld, %lld] are not a range", name,
		     (long long)r->b, (long long)r->e);
		return false;
	}
	if ((uint64_t)r->e > data_len) {
		fail(path, "tensor '%s': data_offsets [%lld, %lld] run past the end of the data (%zu bytes; file truncated?)",
		     name, (long long)r->b, (long long)r->e, data_len);
		return false;
	}
	int64_t want = t->numel * dtype_size(t->dtype);
	if (r->e - r->b != want) {
		fail(path, "tensor '%s': %s shape needs %lld bytes, but data_offsets span %lld", name,
		     t->dtype, (long long)want, (long long)(r->e - r->b));
		return false;
	}
	return true;
}

WeightFile *wf_load(const char *path, size_t limit)
{
	size_t len;
	unsigned char *buf = file_read(path, "weight file", limit, &len);
	if (!buf)
		return NULL;
	WeightFile *wf = wf_parse(path, buf, len);
	free(buf);
	return wf;
}

WeightFile *wf_parse(const char *path, const unsigned char *buf, size_t len)
{
	WeightFile *wf = NULL;
	json_object *root = NULL;
	Range *ranges = NULL;
	uint64_t hlen = 0;
	if (len < 8) {
		fail(path, "not a safetensors file: %zu bytes, shorter than the 8-byte header length", len);
		goto out;
	}
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | buf[i];
	if (hlen > MAX_HEADER || hlen > len - 8) {
		fail(path, "header length %llu runs past the end of the file (%zu bytes)",
		     (unsigned long long)hlen, len);
		goto out;
	}
	json_tokener *tok = json_tokener_new();
	if (!tok)
		die("out of memory reading %s", path);
	/* strict: no trailing commas or other extensions; trailing bytes are
	 * checked below, where padding spaces are allowed */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	root = json_tokener_parse_ex(tok, (const char *)buf + 8, (int)hlen);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		fail(path, "header is not valid JSON: %s at byte %zu of the header",
		     root ? "trailing data" : json_tokener_error_desc(jerr == json_tokener_continue ? json_tokener_error_parse_eof : jerr),
		     used);
		goto out;
	}
	for (size_t i = used; i < hlen; i++)
		if (buf[8 + i] != ' ' && buf[8 + i] != 0) {
			fail(path, "header has trailing bytes after its JSON object");
			goto out;
		}
	if (!json_object_is_type(root, json_type_object)) {
		fail(path, "header must be a JSON object");
		goto out;
	}
	size_t data_len = len - 8 - hlen;
	const unsigned char *data = buf + 8 + hlen;
	int n = json_object_object_length(root);
	WTensor *ts = arena_alloc(sizeof(WTensor) * (size_t)(n + 1));
	ranges = malloc(sizeof(Range) * (size_t)(n + 1));
	int k = 0;
	json_object_object_foreach(root, key, val) {
		if (!strcmp(key, "__metadata__"))
			continue;
		ranges[k].idx = k;
		if (!parse_entry(path, key, val, data_len, &ts[k], &ranges[k]))
			goto out;
		k++;
	}
	/* sorted by start, non-empty ranges are disjoint when each starts at or
	 * after the end of the previous non-empty one (empty ones hold no
	 * bytes: comparing with them would let an overlap through) */
	qsort(ranges, (size_t)k, sizeof *ranges, by_begin);
	for (int i = 0, prev = -1; i < k; i++) {
		if (ranges[i].e == ranges[i].b)
			continue;
		if (prev >= 0 && ranges[i].b < ranges[prev].e) {
			fail(path, "tensors '%s' and '%s' overlap in the data section",
			     ts[ranges[prev].idx].name, ts[ranges[i].idx].name);
			goto out;
		}
		prev = i;
	}
	for (int i = 0; i < k; i++) {
		WTensor *t = &ts[ranges[i].idx];
		t->data = arena_alloc(sizeof(float) * (size_t)(t->numel ? t->numel : 1));
		convert(data + ranges[i].b, t->dtype, t->numel, t->data);
	}
	wf = arena_alloc(sizeof *wf);
	wf->path = arena_strdup(path);
	wf->n = k;
	wf->t = ts;
out:
	free(ranges);
	if (root)
		json_object_put(root);
	return wf;
}

WTensor *wf_find(WeightFile *wf, const char *name)
{
	for (int i = 0; i < wf->n; i++)
		if (!strcmp(wf->t[i].name, name))
			return &wf->t[i];
	return NULL;
}

WeightFile *wf_synthetic(void)
{
	WeightFile *wf = arena_alloc(sizeof *wf);
	wf->path = "(--weightless)";
	wf->synth = true;
	return wf;
}

/* Values in (-1, 1) / sqrt(cols) from an xorshift seeded by the name's
 * FNV-1a hash: distinct per tensor (so no pass mistakes them for a
 * codebook), the same on every run. */
WTensor *wf_synth(WeightFile *wf, const char *name, int64_t rows, int64_t cols)
{
	WTensor t = { .name = arena_strdup(name), .dtype = "F32", .ndim = cols ? 2 : 1,
		      .shape = { rows, cols }, .numel = rows * (cols ? cols : 1) };
	t.data = arena_alloc(sizeof(float) * (size_t)(t.numel ? t.numel : 1));
	uint64_t x = 1469598103934665603u;
	for (const char *p = name; *p; p++)
		x = (x ^ (unsigned char)*p) * 1099511628211u;
	float amp = 1.0f / sqrtf((float)(cols ? cols : 1));
	for (int64_t i = 0; i < t.numel; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t.data[i] = amp * ((float)(x >> 40) / (float)(1 << 23) - 1.0f);
	}
	ARENA_PUSH(wf->t, wf->n, wf->cap, t);
	return &wf->t[wf->n - 1];
}
