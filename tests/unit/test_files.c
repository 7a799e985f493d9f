/* test_files.c — files.c: bounded reads and all-or-nothing outputs. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

/* A fresh empty directory of our own, and a path in it. */
static char dir[64];

/* Remove dir and what the tests put in it (files, FIFOs, empty dirs). */
static void remove_dir(void)
{
	struct dirent **ents;
	int n = dir[0] ? scandir(dir, &ents, NULL, NULL) : -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			remove(arena_printf("%s/%s", dir, ents[i]->d_name));
		free(ents[i]);
	}
	if (n >= 0) {
		free(ents);
		rmdir(dir);
	}
	dir[0] = 0;
}

static const char *fresh_dir(void)
{
	remove_dir();
	strcpy(dir, "/tmp/ltcc-files-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	return dir;
}

static const char *in_dir(const char *name) { return arena_printf("%s/%s", dir, name); }

/* The names in dir, sorted, space-separated. */
static const char *listing(void)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	const char *s = "";
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			s = arena_printf("%s%s%s", s, *s ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return s;
}

static const char *contents(const char *path)
{
	size_t n;
	char *b = file_read(path, "test file", 1 << 20, &n);
	const char *s = arena_strdup(b ? b : "(unreadable)");
	free(b);
	return s;
}

/* ---- reading ---- */

static void test_read_gives_the_whole_file(void)
{
	fresh_dir();
	CU_ASSERT_TRUE_FATAL(write_bytes(in_dir("a"), "abc\0def", 7));
	size_t n = 0;
	char *b = file_read(in_dir("a"), "test file", 7, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_EQUAL(memcmp(b, "abc\0def", 8), 0);  /* and NUL-terminated */
	free(b);
}

static void refused(const char *path, size_t limit, const char *want)
{
	size_t n;
	cap_begin();
	void *b = file_read(path, "test file", limit, &n);
	const char *d = cap_end();
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_TRUE(has_text(d, want));
	CU_ASSERT_EQUAL(diag_error_count(), 1);
	free(b);
}

static void test_read_refuses_what_is_not_a_regular_file(void)
{
	fresh_dir();
	CU_ASSERT_EQUAL_FATAL(mkfifo(in_dir("fifo"), 0600), 0);  /* opening must not block */
	refused(in_dir("fifo"), 100, "fifo: cannot read test file: not a regular file\n");
	refused("/dev/zero", 100, "/dev/zero: cannot read test file: not a regular file\n");
	refused(dir, 100, "cannot read test file: not a regular file\n");
	refused(in_dir("none"), 100, "none: cannot read test file: No such file or directory\n");
}

static void test_read_refuses_a_file_over_the_limit(void)
{
	fresh_dir();
	CU_ASSERT_TRUE_FATAL(write_bytes(in_dir("big"), "12345678", 8));
	refused(in_dir("big"), 7, "big: test file is 8 bytes, over the limit of 7\n");
}

/* ---- writing ---- */

static void test_commit_puts_every_output_in_place(void)
{
	fresh_dir();
	CU_ASSERT_TRUE_FATAL(write_bytes(in_dir("a.c"), "old", 3));
	FILE *a = out_create(in_dir("a.c")), *b = out_create(in_dir("a.h"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	fputs("new c", a);
	fputs("new h", b);
	CU_ASSERT_STRING_EQUAL(contents(in_dir("a.c")), "old");  /* nothing replaced yet */
	CU_ASSERT_TRUE(out_commit());
	CU_ASSERT_STRING_EQUAL(contents(in_dir("a.c")), "new c");
	CU_ASSERT_STRING_EQUAL(contents(in_dir("a.h")), "new h");
	CU_ASSERT_STRING_EQUAL(listing(), "a.c a.h");
}

static void test_abort_keeps_the_previous_files(void)
{
	fresh_dir();
	CU_ASSERT_TRUE_FATAL(write_bytes(in_dir("a.c"), "old", 3));
	FILE *a = out_create(in_dir("a.c"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	fputs("new", a);
	out_abort();
	CU_ASSERT_STRING_EQUAL(contents(in_dir("a.c")), "old");
	CU_ASSERT_STRING_EQUAL(listing(), "a.c");
}

static void test_commit_replaces_nothing_if_one_output_cannot_be_placed(void)
{
	fresh_dir();
	CU_ASSERT_TRUE_FATAL(write_bytes(in_dir("a.c"), "old", 3));
	CU_ASSERT_EQUAL_FATAL(mkdir(in_dir("a.h"), 0700), 0);
	FILE *a = out_create(in_dir("a.c")), *b = out_create(in_dir("a.h"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	fputs("new", a);
	cap_begin();
	bool ok = out_commit();
	const char *d = cap_end();
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_TRUE(has_text(d, "a.h: it is a directory\n"));
	CU_ASSERT_STRING_EQUAL(contents(in_dir("a.c")), "old");
	CU_ASSERT_STRING_EQUAL(listing(), "a.c a.h");
}

static void test_same_output_twice_is_refused(void)
{
	fresh_dir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(out_create(in_dir("a.c")));
	cap_begin();
	FILE *again = out_create(in_dir("a.c"));
	const char *d = cap_end();
	CU_ASSERT_PTR_NULL(again);
	CU_ASSERT_TRUE(has_text(d, "a.c: named as two different outputs\n"));
	out_abort();
	CU_ASSERT_STRING_EQUAL(listing(), "");
}

/* A child makes two temporaries and is killed by `sig` before committing:
 * it must die of that signal and leave the directory empty. */
static void killed_by(int sig)
{
	fresh_dir();
	fflush(NULL);
	pid_t pid = fork();
	CU_ASSERT_TRUE_FATAL(pid >= 0);
	if (pid == 0) {
		FILE *a = out_create(in_dir("a.c")), *b = out_create(in_dir("a.h"));
		if (!a || !b)
			_exit(3);
		fputs("half", a);
		fflush(a);
		raise(sig);
		_exit(4);  /* not reached: the handler re-raises with the default action */
	}
	int st;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sig);
	CU_ASSERT_STRING_EQUAL(listing(), "");
}

static void test_sigterm_removes_the_temporaries(void) { killed_by(SIGTERM); }
static void test_sigint_removes_the_temporaries(void) { killed_by(SIGINT); }

static int cleanup(void)
{
	remove_dir();
	return 0;
}

void register_files_suite(void)
{
	CU_pSuite s = CU_add_suite("files", NULL, cleanup);
	if (!s)
		unit_register_failed("suite files");
	ADD_TEST(s, test_read_gives_the_whole_file);
	ADD_TEST(s, test_read_refuses_what_is_not_a_regular_file);
	ADD_TEST(s, test_read_refuses_a_file_over_the_limit);
	ADD_TEST(s, test_commit_puts_every_output_in_place);
	ADD_TEST(s, test_abort_keeps_the_previous_files);
	ADD_TEST(s, test_commit_replaces_nothing_if_one_output_cannot_be_placed);
	ADD_TEST(s, test_same_output_twice_is_refused);
	ADD_TEST(s, test_sigterm_removes_the_temporaries);
	ADD_TEST(s, test_sigint_removes_the_temporaries);
}
