/* diag.c — diagnostics in gcc's form:
 *   file:line:col: error: message
 *     source line
 *         ^
 * Bad input is reported and counted; internal bugs go through die(). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

static int nerrors;
static FILE *out;

void diag_set_stream(FILE *f) { out = f; }
int diag_error_count(void) { return nerrors; }
void diag_reset(void) { nerrors = 0; }

static FILE *stream(void) { return out ? out : stderr; }

/* Print the line `at` points into, and a caret under its column. */
static void show_line(Loc at)
{
	const char *p = at.file->text;
	for (int l = 1; l < at.line && *p; p++)
		if (*p == '\n')
			l++;
	const char *end = strchr(p, '\n');
	int len = end ? (int)(end - p) : (int)strlen(p);
	fprintf(stream(), " %.*s\n ", len, p);
	for (int i = 1; i < at.col && i <= len; i++)
		fputc(p[i - 1] == '\t' ? '\t' : ' ', stream());
	fputs("^\n", stream());
}

static void report(Loc at, const char *kind, const char *fmt, va_list ap)
{
	if (at.file && at.line > 0)
		fprintf(stream(), "%s:%d:%d: %s: ", at.file->name, at.line, at.col, kind);
	else if (at.file)
		fprintf(stream(), "%s: %s: ", at.file->name, kind);
	else
		fprintf(stream(), "ltcc: %s: ", kind);
	vfprintf(stream(), fmt, ap);
	fputc('\n', stream());
	if (at.file && at.line > 0)
		show_line(at);
}

#define MAX_ERRORS 20

void diag_error(Loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(at, "error", fmt, ap);
	va_end(ap);
	if (++nerrors == MAX_ERRORS)
		fprintf(stream(), "ltcc: too many errors, stopping\n");
}

void diag_warning(Loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(at, "warning", fmt, ap);
	va_end(ap);
}

void diag_note(Loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(at, "note", fmt, ap);
	va_end(ap);
}

void diag_plain_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report((Loc){0}, "error", fmt, ap);
	va_end(ap);
	nerrors++;
}

_Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "ltcc: internal error: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

SrcFile *src_from_string(const char *name, const char *text)
{
	SrcFile *f = arena_alloc(sizeof *f);
	f->name = arena_strdup(name);
	f->text = arena_strdup(text);
	return f;
}

SrcFile *src_read(const char *path)
{
	size_t n;
	char *buf = file_read(path, "model description", LTD_MAX_BYTES, &n);
	if (!buf)
		return NULL;
	SrcFile *f = src_from_string(path, buf);
	free(buf);
	if (strlen(f->text) != n) {
		/* a NUL byte: the lexer would stop there silently */
		diag_error((Loc){ f, 0, 0 }, "file contains a NUL byte");
		return NULL;
	}
	return f;
}

/* Levenshtein distance of two short strings (names), capped at 64 chars. */
static int distance(const char *a, const char *b)
{
	int n = (int)strlen(b), row[65];
	if (strlen(a) > 64 || n > 64)
		return 99;
	for (int j = 0; j <= n; j++)
		row[j] = j;
	for (int i = 1; a[i - 1]; i++) {
		int diag = row[0];
		row[0] = i;
		for (int j = 1; j <= n; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			diag = up;
			row[j] = best;
		}
	}
	return row[n];
}

const char *diag_nearest(const char *name, const char *const *cands, int n)
{
	const char *best = NULL;
	int bd = (int)strlen(name) / 3 > 2 ? (int)strlen(name) / 3 : 2;
	for (int i = 0; i < n; i++) {
		int d = distance(name, cands[i]);
		if (d <= bd) {
			bd = d - 1;
			best = cands[i];
		}
	}
	return best;
}

/* The option getopt just refused, as the user wrote it: a short one is
 * optopt (in a cluster such as -O2, optind has not moved past it yet, and
 * argv[optind - 1] may be an operand getopt permuted), a long one is the
 * argument getopt stepped over (optopt is then its value, not its name). */
const char *diag_option(char **argv)
{
	const char *last = argv[optind - 1];
	if (strncmp(last, "--", 2) && optopt > 0 && optopt < 128 && optopt != '?')
		return arena_printf("-%c", optopt);
	return arena_printf("%.*s", (int)strcspn(last, "="), last);  /* its name, not =VALUE */
}
