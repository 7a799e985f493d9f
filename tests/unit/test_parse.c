/* test_parse.c — the .ltd lexer and parser (lexer.l, parser.y): the tree
 * built from valid text, and syntax errors reported once, at the right
 * line:col, with ast_parse returning false. */
#include <CUnit/CUnit.h>
#include <string.h>
#include "unit.h"

/* Parse `text` as file "t.ltd", capturing diagnostics into *diags. */
static bool parse(const char *text, Node **root, const char **diags)
{
	cap_begin();
	bool ok = ast_parse(src_from_string("t.ltd", text), root);
	*diags = cap_end();
	return ok;
}

static Node *parse_ok(const char *text)
{
	Node *root = NULL;
	const char *d;
	bool ok = parse(text, &root, &d);
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_STRING_EQUAL(d, "");
	CU_ASSERT_EQUAL(diag_error_count(), 0);
	return ok ? root : NULL;
}

static int count_nodes(const Node *n)
{
	int c = 0;
	for (; n; n = n->next)
		c++;
	return c;
}

/* ---- valid text ---- */

static void test_statements_in_order(void)
{
	Node *r = parse_ok("a 1;\nb x y;\nc;\n");
	CU_ASSERT_EQUAL_FATAL(count_nodes(r), 3);
	CU_ASSERT_STRING_EQUAL(r->key, "a");
	CU_ASSERT_EQUAL(r->nvals, 1);
	CU_ASSERT_FALSE(r->has_block);
	CU_ASSERT_PTR_NULL(r->kids);
	CU_ASSERT_STRING_EQUAL(r->next->key, "b");
	CU_ASSERT_EQUAL(r->next->nvals, 2);
	CU_ASSERT_STRING_EQUAL(r->next->vals->s, "x");
	CU_ASSERT_STRING_EQUAL(r->next->vals->next->s, "y");
	CU_ASSERT_PTR_NULL(r->next->vals->next->next);
	CU_ASSERT_STRING_EQUAL(r->next->next->key, "c");
	CU_ASSERT_EQUAL(r->next->next->nvals, 0);
	CU_ASSERT_PTR_NULL(r->next->next->vals);
}

static void test_empty_text_is_an_empty_tree(void)
{
	Node *r = (Node *)1;
	const char *d;
	CU_ASSERT_TRUE(parse("", &r, &d));
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_TRUE(parse("  # just a comment\n// and another\n", &r, &d));
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_STRING_EQUAL(d, "");
}

static void test_nested_blocks(void)
{
	Node *r = parse_ok("m x {\n  e {\n    l 2;\n    b attn { k 1; }\n  }\n  d { }\n  v 3;\n}\n");
	CU_ASSERT_EQUAL_FATAL(count_nodes(r), 1);
	CU_ASSERT_TRUE(r->has_block);
	CU_ASSERT_EQUAL(r->nvals, 1);
	CU_ASSERT_STRING_EQUAL(r->vals->s, "x");
	const Node *e = r->kids, *d = e->next, *v = d->next;
	CU_ASSERT_EQUAL_FATAL(count_nodes(r->kids), 3);
	CU_ASSERT_STRING_EQUAL(e->key, "e");
	CU_ASSERT_TRUE(e->has_block);
	CU_ASSERT_EQUAL_FATAL(count_nodes(e->kids), 2);
	CU_ASSERT_STRING_EQUAL(e->kids->key, "l");
	const Node *b = e->kids->next;
	CU_ASSERT_STRING_EQUAL(b->key, "b");
	CU_ASSERT_TRUE(b->has_block);
	CU_ASSERT_STRING_EQUAL(b->vals->s, "attn");
	CU_ASSERT_EQUAL_FATAL(count_nodes(b->kids), 1);
	CU_ASSERT_STRING_EQUAL(b->kids->key, "k");
	CU_ASSERT_STRING_EQUAL(d->key, "d");
	CU_ASSERT_TRUE(d->has_block);         /* empty block: still a block */
	CU_ASSERT_PTR_NULL(d->kids);
	CU_ASSERT_STRING_EQUAL(v->key, "v");
	CU_ASSERT_FALSE(v->has_block);
}

static void test_value_kinds(void)
{
	Node *r = parse_ok("k 42 -7 3.5 -2.5e2 1e3 ident_9 \"plain\";\n");
	CU_ASSERT_EQUAL_FATAL(r->nvals, 7);
	Value *v = r->vals;
	CU_ASSERT_EQUAL(v->kind, V_INT);
	CU_ASSERT_EQUAL(v->ival, 42);
	CU_ASSERT_DOUBLE_EQUAL(v->num, 42.0, 0);
	CU_ASSERT_STRING_EQUAL(v->s, "42");
	v = v->next;
	CU_ASSERT_EQUAL(v->kind, V_INT);
	CU_ASSERT_EQUAL(v->ival, -7);
	CU_ASSERT_STRING_EQUAL(v->s, "-7");
	v = v->next;
	CU_ASSERT_EQUAL(v->kind, V_NUM);
	CU_ASSERT_DOUBLE_EQUAL(v->num, 3.5, 0);
	CU_ASSERT_STRING_EQUAL(v->s, "3.5");
	v = v->next;
	CU_ASSERT_EQUAL(v->kind, V_NUM);
	CU_ASSERT_DOUBLE_EQUAL(v->num, -250.0, 0);
	v = v->next;
	CU_ASSERT_EQUAL(v->kind, V_NUM);      /* an exponent makes a number */
	CU_ASSERT_DOUBLE_EQUAL(v->num, 1000.0, 0);
	v = v->next;
	CU_ASSERT_EQUAL(v->kind, V_IDENT);
	CU_ASSERT_STRING_EQUAL(v->s, "ident_9");
	v = v->next;
	CU_ASSERT_EQUAL(v->kind, V_STR);
	CU_ASSERT_STRING_EQUAL(v->s, "plain");    /* without the quotes */
}

static void test_string_escapes(void)
{
	/* \" and \\ unescape; the string may hold # and // and ; { } */
	Node *r = parse_ok("k \"a\\\"b\\\\c\" \"# not // a ; comment {}\" \"\";\n");
	CU_ASSERT_EQUAL_FATAL(r->nvals, 3);
	CU_ASSERT_STRING_EQUAL(r->vals->s, "a\"b\\c");
	CU_ASSERT_STRING_EQUAL(r->vals->next->s, "# not // a ; comment {}");
	CU_ASSERT_EQUAL(r->vals->next->next->kind, V_STR);
	CU_ASSERT_STRING_EQUAL(r->vals->next->next->s, "");
}

static void test_comments_hash_and_slashes(void)
{
	Node *r = parse_ok("# header\na 1; # after a\n// whole line\nb 2; // after b\n#c 3;\n//d 4;\n");
	CU_ASSERT_EQUAL_FATAL(count_nodes(r), 2);
	CU_ASSERT_STRING_EQUAL(r->key, "a");
	CU_ASSERT_EQUAL(r->nvals, 1);
	CU_ASSERT_STRING_EQUAL(r->next->key, "b");
	CU_ASSERT_EQUAL(r->next->loc.line, 4);
}

static void test_line_and_column_of_nodes_and_values(void)
{
	/* a tab counts as one column, like gcc */
	Node *r = parse_ok("# c\nmodel m {\n  dim 8;\n\tw \"s\"  -3;\n}\n");
	CU_ASSERT_EQUAL(r->loc.line, 2);
	CU_ASSERT_EQUAL(r->loc.col, 1);
	CU_ASSERT_EQUAL(r->vals->loc.line, 2);
	CU_ASSERT_EQUAL(r->vals->loc.col, 7);
	const Node *dim = r->kids, *w = dim->next;
	CU_ASSERT_EQUAL(dim->loc.line, 3);
	CU_ASSERT_EQUAL(dim->loc.col, 3);
	CU_ASSERT_EQUAL(dim->vals->loc.line, 3);
	CU_ASSERT_EQUAL(dim->vals->loc.col, 7);
	CU_ASSERT_EQUAL(w->loc.line, 4);
	CU_ASSERT_EQUAL(w->loc.col, 2);
	CU_ASSERT_EQUAL(w->vals->loc.col, 4);           /* the opening quote */
	CU_ASSERT_EQUAL(w->vals->next->loc.col, 9);     /* the minus sign */
	CU_ASSERT_STRING_EQUAL(dim->loc.file->name, "t.ltd");
}

static void test_reparse_resets_positions(void)
{
	/* the lexer's line counter starts over for each file */
	parse_ok("a 1;\nb 2;\nc 3;\n");
	Node *r = parse_ok("z 1;\n");
	CU_ASSERT_EQUAL(r->loc.line, 1);
	CU_ASSERT_EQUAL(r->loc.col, 1);
}

/* ---- syntax errors ---- */

static void test_missing_semicolon_before_brace(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("m x {\n  dim 8\n}\n", &r, &d));
	ASSERT_TEXT(d,
		"t.ltd:3:1: error: expected ';' before '}'\n"
		" }\n"
		" ^\n");
	CU_ASSERT_EQUAL(diag_error_count(), 1);
}

static void test_missing_semicolon_at_end_of_file(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("a 1;\nb 2\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:2:4: error: expected ';' before end of file\n"));
}

static void test_unclosed_block(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("m x {\n  a 1;\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:2:7: error: unexpected end of file, expecting identifier or '}'\n"));
	CU_ASSERT_EQUAL(diag_error_count(), 1);
}

static void test_extra_closing_brace(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("m x {\n  a 1;\n}\n}\n", &r, &d));
	ASSERT_TEXT(d,
		"t.ltd:4:1: error: unexpected '}', expecting end of file or identifier\n"
		" }\n"
		" ^\n");
}

static void test_error_in_nested_block_reported_once(void)
{
	/* recovery closes the inner block; no made-up error at end of file */
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("m x {\n  e {\n    l 2\n  }\n  d 1;\n}\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:4:3: error: expected ';' before '}'\n"));
	CU_ASSERT_EQUAL(diag_error_count(), 1);
}

static void test_unterminated_string(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("m x {\n  w \"abc;\n  d 1;\n}\n", &r, &d));
	ASSERT_TEXT(d,
		"t.ltd:2:5: error: missing terminating \" character\n"
		"   w \"abc;\n"
		"     ^\n");
	CU_ASSERT_EQUAL(diag_error_count(), 1);   /* not again as a syntax error */
}

static void test_stray_character(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("a 1;\nb 2 @ 3;\n", &r, &d));
	ASSERT_TEXT(d,
		"t.ltd:2:5: error: stray '@' in model description\n"
		" b 2 @ 3;\n"
		"     ^\n");
	CU_ASSERT_EQUAL(diag_error_count(), 1);
}

static void test_stray_control_byte(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("a\x01 1;\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:2: error: stray byte 0x01 in model description\n"));
	CU_ASSERT_FALSE(parse("a \xc3\xa9;\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:3: error: stray byte 0xc3 in model description\n"));
}

static void test_caret_under_tab_indented_column(void)
{
	/* the caret line copies tabs so it lines up in a terminal */
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("m x {\n\ta 1 ?;\n}\n", &r, &d));
	ASSERT_TEXT(d,
		"t.ltd:2:6: error: stray '?' in model description\n"
		" \ta 1 ?;\n"
		" \t    ^\n");
}

static void test_recovery_reports_later_errors_too(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("a @;\nb 1;\nc $;\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:3: error: stray '@'"));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:3:3: error: stray '$'"));
	CU_ASSERT_EQUAL(diag_error_count(), 2);
}

static void test_statement_must_start_with_a_key(void)
{
	Node *r;
	const char *d;
	CU_ASSERT_FALSE(parse("a 1;\n42;\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:2:1: error: unexpected integer, expecting end of file or identifier\n"));
	CU_ASSERT_FALSE(parse("a 1;;\n", &r, &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:5: error: unexpected ';'"));
}

void register_parse_suite(void)
{
	CU_pSuite s = CU_add_suite("parse", NULL, NULL);
	if (!s)
		unit_register_failed("suite parse");
	ADD_TEST(s, test_statements_in_order);
	ADD_TEST(s, test_empty_text_is_an_empty_tree);
	ADD_TEST(s, test_nested_blocks);
	ADD_TEST(s, test_value_kinds);
	ADD_TEST(s, test_string_escapes);
	ADD_TEST(s, test_comments_hash_and_slashes);
	ADD_TEST(s, test_line_and_column_of_nodes_and_values);
	ADD_TEST(s, test_reparse_resets_positions);
	ADD_TEST(s, test_missing_semicolon_before_brace);
	ADD_TEST(s, test_missing_semicolon_at_end_of_file);
	ADD_TEST(s, test_unclosed_block);
	ADD_TEST(s, test_extra_closing_brace);
	ADD_TEST(s, test_error_in_nested_block_reported_once);
	ADD_TEST(s, test_unterminated_string);
	ADD_TEST(s, test_stray_character);
	ADD_TEST(s, test_stray_control_byte);
	ADD_TEST(s, test_caret_under_tab_indented_column);
	ADD_TEST(s, test_recovery_reports_later_errors_too);
	ADD_TEST(s, test_statement_must_start_with_a_key);
}
