/* parser.y — the .ltd grammar. It is deliberately small: every statement is
 * a key, some values, and either ';' or a block. What the keys mean is
 * checked in check.c, which sees the whole tree and can say "unknown key"
 * or "duplicate definition" at the exact place. */
%define api.prefix {ltd_}
%locations
%define parse.error verbose

%code requires {
#include "ltcc.h"
}

%code {
#include <stdlib.h>
#include <string.h>

int ltd_lex(void);
void ltd_lex_reset(const SrcFile *f);
extern const SrcFile *ltd_src;
static Node *root;

static Loc loc_of(YYLTYPE l) { return (Loc){ ltd_src, l.first_line, l.first_column }; }

extern int ltd_char;   /* bison's lookahead token */

static void ltd_error(const char *msg)
{
	/* the lexer has already reported the bad token it returns */
	if (ltd_char == ERROR_TOKEN)
		return;
	/* bison says "syntax error, unexpected X, expecting Y"; keep the part
	 * after "syntax error, " which is the useful one */
	const char *p = strncmp(msg, "syntax error, ", 14) == 0 ? msg + 14 : msg;
	/* No "expecting" list: too many choices, which happens only after a
	 * statement's values, where the ';' ending the statement is missing. */
	if (!strstr(p, ", expecting") && !strncmp(p, "unexpected ", 11)) {
		diag_error(loc_of(ltd_lloc), "expected ';' before %s", p + 11);
		return;
	}
	diag_error(loc_of(ltd_lloc), "%s", p);
}

static Value *mkval(ValKind k, const char *s, YYLTYPE l)
{
	Value *v = arena_alloc(sizeof *v);
	v->kind = k;
	v->s = s;
	v->loc = loc_of(l);
	if (k == V_INT) {
		v->ival = strtol(s, NULL, 10);
		v->num = (double)v->ival;
	} else if (k == V_NUM) {
		v->num = strtod(s, NULL);
	}
	return v;
}

/* Lists are built in reverse and turned around once complete. */
static Node *rev_nodes(Node *n)
{
	Node *r = NULL;
	while (n) { Node *nx = n->next; n->next = r; r = n; n = nx; }
	return r;
}

static Value *rev_vals(Value *v)
{
	Value *r = NULL;
	while (v) { Value *nx = v->next; v->next = r; r = v; v = nx; }
	return r;
}

#define MAX_ALTS 4096

/* `lo .. hi [step s]` at *pp (pp at lo), expanded into *out; false after
 * reporting. */
static bool expand_range(Value **pp, Value ***out, int *n)
{
	Value *lo = *pp, *dots = lo->next, *hi = dots->next, *step = NULL;
	if (lo->kind != V_INT || !hi || hi->kind != V_INT) {
		diag_error(dots->loc, "a range is 'LOW .. HIGH' with integers on both sides");
		return false;
	}
	Value *after = hi->next;
	long by = 1;
	if (after && after->kind == V_IDENT && !strcmp(after->s, "step")) {
		step = after->next;
		if (!step || step->kind != V_INT || step->ival <= 0) {
			diag_error(after->loc, "'step' takes a positive integer");
			return false;
		}
		by = step->ival;
		after = step->next;
	}
	/* the span in unsigned arithmetic: hi - lo cannot overflow there */
	unsigned long span = (unsigned long)hi->ival - (unsigned long)lo->ival, count = span / (unsigned long)by + 1;
	if (hi->ival < lo->ival || span / (unsigned long)by >= (unsigned long)(MAX_ALTS - *n)) {
		diag_error(dots->loc, hi->ival < lo->ival ? "empty range: %ld .. %ld" : "range %ld .. %ld has too many values",
			   lo->ival, hi->ival);
		return false;
	}
	for (unsigned long i = 0; i < count; i++) {  /* lo + i * by <= hi: no overflow */
		Value *a = mkval(V_INT, arena_printf("%ld", (long)((unsigned long)lo->ival + i * (unsigned long)by)), (YYLTYPE){ lo->loc.line, lo->loc.col, 0, 0 });
		**out = a;
		*out = &a->next;
		++*n;
	}
	*pp = after;
	return true;
}

/* A choice from its items in order: a list of values, ranges expanded. */
static Value *mkchoice(Value *items, YYLTYPE l)
{
	Value *c = mkval(V_CHOICE, "[...]", l), **tail = &c->alts;
	for (Value *p = items; p; ) {
		if (p->next && p->next->kind == V_IDENT && !strcmp(p->next->s, "..")) {
			if (!expand_range(&p, &tail, &c->nalts))
				return c;
			continue;
		}
		if (p->kind == V_IDENT && !strcmp(p->s, "..")) {
			diag_error(p->loc, "a range is 'LOW .. HIGH' with integers on both sides");
			return c;
		}
		if (c->nalts == MAX_ALTS) {
			diag_error(p->loc, "a choice may list at most %d values", MAX_ALTS);
			return c;
		}
		Value *nx = p->next;
		p->next = NULL;
		*tail = p;
		tail = &p->next;
		c->nalts++;
		p = nx;
	}
	return c;
}

static Node *mknode(const char *key, YYLTYPE l, Value *vals, bool block, Node *kids)
{
	Node *n = arena_alloc(sizeof *n);
	n->key = key;
	n->loc = loc_of(l);
	n->vals = rev_vals(vals);
	for (Value *v = n->vals; v; v = v->next)
		n->nvals++;
	n->has_block = block;
	n->kids = rev_nodes(kids);
	return n;
}
}

%union {
	const char *s;
	Node *node;
	Value *val;
}

%token <s> IDENT "identifier" INT "integer" NUM "number" STRING "string"
%token ERROR_TOKEN "invalid token"
%token DOTDOT "'..'"
%type <node> stmts stmt
%type <val> vals val atom items

%%

/* file: stmt* */
file: stmts                   { root = rev_nodes($1); }
    ;

stmts: %empty                 { $$ = NULL; }
     | stmts stmt             { if ($2) { $2->next = $1; $$ = $2; } else $$ = $1; }
     ;

/* stmt: IDENT val* ';' | IDENT val* '{' stmt* '}'
 * After a syntax error, skip to the next ';', or to the '}' closing the
 * block the error is in (not one of its own: that would leave the block
 * open and report a second, made-up error at the end of the file). */
stmt: IDENT vals ';'          { $$ = mknode($1, @1, $2, false, NULL); }
    | IDENT vals '{' stmts '}' { $$ = mknode($1, @1, $2, true, $4); }
    | IDENT vals '{' stmts error '}' { $$ = mknode($1, @1, $2, true, $4); yyerrok; }
    | error ';'               { $$ = NULL; yyerrok; }
    ;

vals: %empty                  { $$ = NULL; }
    | vals val                { $2->next = $1; $$ = $2; }
    ;

val: atom
   | '[' items ']'            { $$ = mkchoice(rev_vals($2), @1); }
   ;

/* a choice's items: values and '..' marks, made alternatives by mkchoice */
items: atom                   { $$ = $1; }
     | items atom             { $2->next = $1; $$ = $2; }
     | items DOTDOT           { Value *m = mkval(V_IDENT, "..", @2); m->next = $1; $$ = m; }
     ;

atom: INT                     { $$ = mkval(V_INT, $1, @1); }
   | NUM                      { $$ = mkval(V_NUM, $1, @1); }
   | IDENT                    { $$ = mkval(V_IDENT, $1, @1); }
   | STRING                   { $$ = mkval(V_STR, $1, @1); }
   ;

%%

bool ast_parse(const SrcFile *f, Node **out)
{
	int before = diag_error_count();
	root = NULL;
	ltd_lex_reset(f);
	int rc = ltd_parse();
	*out = root;
	return rc == 0 && diag_error_count() == before;
}
