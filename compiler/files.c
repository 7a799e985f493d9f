/* files.c — every byte ltcc reads from or writes to a file goes through here.
 *
 * Reading: the file must be a regular file no larger than a limit that the
 * caller names; it is read whole, after its size is checked, so a hostile
 * path (/dev/zero, a FIFO, a 50 GB file) costs nothing and gets an error
 * naming the file and the reason.
 *
 * Writing is one transaction. Each output is written to a temporary beside
 * it (same directory, so the rename is atomic); out_commit renames them all
 * into place once everything succeeded, and restores the previous files if a
 * rename fails half way. Until then SIGINT, SIGTERM and SIGHUP remove the
 * temporaries before ltcc dies. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ltcc.h"

/* ---- reading ---- */

void *file_read(const char *path, const char *what, size_t limit, size_t *len)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		diag_plain_error("%s: cannot read %s: %s", path, what, strerror(errno));
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_plain_error("%s: cannot read %s: not a regular file", path, what);
		goto out;
	}
	if ((uintmax_t)st.st_size > limit) {
		diag_plain_error("%s: %s is %jd bytes, over the limit of %zu", path, what,
				 (intmax_t)st.st_size, limit);
		goto out;
	}
	size_t n = (size_t)st.st_size, got = 0;
	buf = malloc(n + 1);
	if (!buf)
		die("out of memory reading %s (%zu bytes)", path, n);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != n) {  /* an error, or the file shrank while we read it */
		diag_plain_error("%s: cannot read %s: %s", path, what,
				 got < n && errno ? strerror(errno) : "it changed while being read");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
	*len = n;
out:
	close(fd);
	return buf;
}

/* ---- writing ---- */

#define MAX_OUT 1024  /* ltcc search: its tables, picture and front files */

typedef struct Out {
	char *path, *tmp;   /* malloc'd: the signal handler reads them */
	char *backup;       /* the previous file, hard-linked aside during commit */
	FILE *f;
	bool same;          /* the previous file holds these bytes already: kept */
} Out;

static Out outs[MAX_OUT];
static volatile sig_atomic_t nouts;

static void on_signal(int sig)
{
	/* unlink is async-signal-safe; the paths were written before nouts grew */
	for (int i = 0; i < nouts; i++)
		if (outs[i].tmp)
			unlink(outs[i].tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

static char *dup_or_die(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("out of memory");
	return d;
}

FILE *out_create(const char *path)
{
	if (nouts == MAX_OUT)
		die("more than %d output files", MAX_OUT);
	for (int i = 0; i < nouts; i++)
		if (!strcmp(outs[i].path, path)) {
			diag_plain_error("%s: named as two different outputs", path);
			return NULL;
		}
	catch_signals();
	Out *o = &outs[nouts];
	size_t n = strlen(path);
	o->path = dup_or_die(path);
	o->tmp = malloc(n + 16);
	if (!o->tmp)
		die("out of memory");
	snprintf(o->tmp, n + 16, "%s.ltcc-XXXXXX", path);
	sigset_t all, old;  /* a signal between mkstemp and nouts++ would leak the file */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	int fd = mkstemp(o->tmp);
	if (fd >= 0)
		nouts++;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		diag_plain_error("cannot write %s: %s", path, strerror(errno));
		free(o->path);
		free(o->tmp);
		memset(o, 0, sizeof *o);
		return NULL;
	}
	mode_t mask = umask(0);  /* mkstemp makes 0600; give what fopen would */
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->f = fdopen(fd, "w");
	if (!o->f)
		die("fdopen: %s", strerror(errno));
	return o->f;
}

/* Close every temporary; false after a write error, reported if `report`. */
static bool close_all(bool report)
{
	bool ok = true;
	for (int i = 0; i < nouts; i++) {
		Out *o = &outs[i];
		if (!o->f)
			continue;
		bool bad = ferror(o->f) != 0;
		if (fclose(o->f) != 0 || bad) {
			if (report)
				diag_plain_error("error writing %s", o->path);
			ok = false;
		}
		o->f = NULL;
	}
	return ok;
}

/* A destination we cannot rename onto: say so before touching anything. */
static bool can_replace(const Out *o)
{
	struct stat st;
	if (lstat(o->path, &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_plain_error("cannot create %s: it is a directory", o->path);
		return false;
	}
	return true;
}

/* Does the file at `path` hold exactly the bytes of `tmp`? Then it stays,
 * with its time stamp, and what includes or depends on it is not rebuilt. */
static bool same_bytes(const char *path, const char *tmp)
{
	struct stat a, b;
	if (stat(path, &a) != 0 || stat(tmp, &b) != 0 || !S_ISREG(a.st_mode) || a.st_size != b.st_size)
		return false;
	FILE *f = fopen(path, "rb"), *g = fopen(tmp, "rb");
	bool same = f && g;
	char x[4096], y[4096];
	size_t n;
	while (same && (n = fread(x, 1, sizeof x, f)) > 0)
		same = fread(y, 1, n, g) == n && !memcmp(x, y, n);
	same = same && !ferror(f) && fgetc(g) == EOF;
	if (f)
		fclose(f);
	if (g)
		fclose(g);
	return same;
}

/* Put back what the first `done` renames replaced. */
static void roll_back(int done)
{
	for (int i = 0; i < done; i++) {
		Out *o = &outs[i];
		if (o->same)
			continue;
		if (o->backup)
			rename(o->backup, o->path);
		else
			unlink(o->path);
	}
}

bool out_commit(void)
{
	bool ok = close_all(true);
	for (int i = 0; ok && i < nouts; i++)
		ok = can_replace(&outs[i]);
	if (!ok) {
		out_abort();
		return false;
	}
	/* keep each previous file under a second name until all renames held */
	for (int i = 0; i < nouts; i++) {
		Out *o = &outs[i];
		if ((o->same = same_bytes(o->path, o->tmp)))
			continue;
		size_t n = strlen(o->path) + 16;
		o->backup = malloc(n);
		if (!o->backup)
			die("out of memory");
		snprintf(o->backup, n, "%s.ltcc-prev", o->path);
		unlink(o->backup);
		if (link(o->path, o->backup) != 0) {
			free(o->backup);
			o->backup = NULL;  /* no previous file (or no hard links here) */
		}
	}
	int i = 0;
	for (; i < nouts; i++)
		if (!outs[i].same && rename(outs[i].tmp, outs[i].path) != 0) {
			diag_plain_error("cannot create %s: %s", outs[i].path, strerror(errno));
			break;
		}
	if (i < nouts)
		roll_back(i);
	for (int k = 0; k < nouts; k++)
		if (outs[k].backup)
			unlink(outs[k].backup);
	bool done = i == nouts;
	out_abort();  /* removes what is left and resets */
	return done;
}

void out_abort(void)
{
	close_all(false);
	int n = nouts;
	nouts = 0;  /* the handler stops looking before the names go */
	for (int i = 0; i < n; i++) {
		Out *o = &outs[i];
		unlink(o->tmp);  /* after a commit: gone already, harmless */
		free(o->path);
		free(o->tmp);
		free(o->backup);
		memset(o, 0, sizeof *o);
	}
}

/* A byte count with an optional K, M or G (powers of 1024); 0 if malformed. */
size_t size_parse(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (errno || end == s || *end || s[0] == '-' || v == 0 || v > (SIZE_MAX >> shift))
		return 0;
	return (size_t)v << shift;
}
