/*
 * sh -- a small POSIX-style command interpreter (kw86 userland, written
 * from sh(1) of NetBSD and the POSIX Shell Command Language; no source of
 * any other shell was used).
 *
 *   sh [-c command_string [name [arg ...]]]
 *   sh [script [arg ...]]
 *   sh [-is] [arg ...]     (commands from standard input, read one line at a
 *                           time; prompts "$ ", or "# " for the super-user,
 *                           and "> " for continuation lines, on a terminal)
 *
 * Grammar: lists of and-or lists separated by ';', '&' or newlines;
 * and-or lists of pipelines joined by '&&' and '||'; pipelines ('!'
 * negates) of commands joined by '|'.  A command is a simple command
 * (NAME=value assignments, words, redirections) or a compound one:
 * if/then/elif/else/fi, while/until/do/done, for NAME [in words]; do/done,
 * case WORD in [(]pat[|pat]...) list;; ... esac, { list; } and ( list ),
 * optionally followed by redirections; or a function definition
 * NAME() compound-command.
 * Redirections: <, >, >|, >>, <>, <<, <<- (here-documents), n<&m, n>&m,
 * n>&-, with an optional fd number (2>, 2>&1).  '#' starts a comment.
 *
 * Words: single quotes, double quotes, backslash escapes, ~ (HOME),
 * parameters $NAME $? $$ $! $# $0..$9 $@ $* and ${NAME} ${#NAME}
 * ${NAME[:]-word} ${NAME[:]=word} ${NAME[:]+word} ${NAME[:]?word}
 * ${NAME%pat} ${NAME%%pat} ${NAME#pat} ${NAME##pat}, command substitution
 * $(...) and `...`, arithmetic
 * $((expr)); unquoted expansions are split into fields at IFS white space,
 * then pathname patterns (* ? [...]) are expanded, sorted.
 *
 * Builtins: cd [-], pwd, exit, exec, export, unset, set [-ex] [--] args,
 * shift, wait [pid], break [n], continue [n], return [n], test / [,
 * read [-r], eval, '.', echo [-n], true, false, ':', kill [-s sig | -sig]
 * pid... and kill -l [status].  Not supported:
 * aliases, job control, trap, getopts, ulimit, umask, type.
 *
 * Exit status: that of the last command; 127 and "sh: foo: not found" for a
 * command that does not exist, 126 when it cannot be executed, 128+N for a
 * command killed by signal N (a foreground one is reported with strsignal's
 * text unless N is SIGINT or SIGPIPE), 2 for a syntax error.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------------
 * Memory and strings
 */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		write(2, "sh: out of memory\n", 18);
		_exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		write(2, "sh: out of memory\n", 18);
		_exit(2);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xrealloc(b->s, b->cap);
	}
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	while (*s)
		buf_addc(b, *s++);
}

/* A growable array of strings, NULL-terminated. */
struct strv {
	char **v;
	int n, cap;
};

static void strv_add(struct strv *a, char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 8;
		a->v = xrealloc(a->v, (size_t)a->cap * sizeof(char *));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void strv_free(struct strv *a)
{
	int i;
	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* ---------------------------------------------------------------------
 * Shell state
 */

struct var {
	char *name, *value;
	int exported;
	struct var *next;
};

static struct var *vars;
static int last_status;		/* $? */
static long last_bg = -1;	/* $! */
static char *arg0 = "sh";	/* $0 */
static struct strv params;	/* $1 ... */
static int interactive;
/* Background jobs that ended before "wait" asked for them. */
#define MAX_DONE_JOBS 64
static struct { long pid; int status; } done_jobs[MAX_DONE_JOBS];
static int ndone_jobs;

static void record_done(pid_t pid, int st)
{
	if (ndone_jobs == MAX_DONE_JOBS) {	/* forget the oldest */
		memmove(done_jobs, done_jobs + 1,
		    (MAX_DONE_JOBS - 1) * sizeof(done_jobs[0]));
		ndone_jobs--;
	}
	done_jobs[ndone_jobs].pid = (long)pid;
	done_jobs[ndone_jobs].status = st;
	ndone_jobs++;
}

/* Functions.  Their bodies belong to the parsed program, which is kept
 * (not freed) once it has defined a function. */
struct func {
	char *name;
	struct command *body;
	struct func *next;
};
static struct func *funcs;
static int keep_ast;		/* a function points into the current program */
struct andor;
static void free_andor(struct andor *a);
static struct kept_ast {	/* the programs kept for their functions */
	struct andor *list;
	struct kept_ast *next;
} *kept_asts;

static void dispose_program(struct andor *list)
{
	if (keep_ast) {
		struct kept_ast *k = xmalloc(sizeof(*k));
		k->list = list;
		k->next = kept_asts;
		kept_asts = k;
	} else
		free_andor(list);
}
static int func_depth;		/* functions being run */
static int func_return;		/* "return" was run: unwind to the call */

static struct func *func_find(const char *name)
{
	struct func *f;
	for (f = funcs; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static int opt_errexit;		/* set -e */
static int opt_xtrace;		/* set -x */
static int in_condition;	/* running an if/while test or && || left side */
static int subst_status = -1;
static int loop_depth;		/* loops being run */
static int loop_break;		/* loops still to leave (break N) */
static int loop_continue;	/* loops to skip to the next round of */	/* status of the last $(...) in a command */
static const char *progname = "sh";

static void shell_error(const char *fmt, const char *a, const char *b)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static struct var *var_find(const char *name)
{
	struct var *v;
	for (v = vars; v != NULL; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static const char *var_get(const char *name)
{
	struct var *v = var_find(name);
	return v ? v->value : NULL;
}

static void var_set(const char *name, const char *value, int export)
{
	struct var *v = var_find(name);
	if (v == NULL) {
		v = xmalloc(sizeof(*v));
		v->name = xstrdup(name);
		v->value = NULL;
		v->exported = 0;
		v->next = vars;
		vars = v;
	}
	if (value != NULL) {
		free(v->value);
		v->value = xstrdup(value);
	}
	if (export)
		v->exported = 1;
}

static void var_unset(const char *name)
{
	struct var **pp, *v;
	for (pp = &vars; (v = *pp) != NULL; pp = &v->next) {
		if (strcmp(v->name, name) == 0) {
			*pp = v->next;
			free(v->name);
			free(v->value);
			free(v);
			return;
		}
	}
}

static int valid_name(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') ||
	    (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static void import_environ(void)
{
	char **e;
	for (e = environ; e && *e; e++) {
		char *eq = strchr(*e, '=');
		char *name;
		if (eq == NULL || !valid_name(*e, (size_t)(eq - *e)))
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		var_set(name, eq + 1, 1);
		free(name);
	}
}

/* Environment for a new program: exported variables plus `extra'
 * (NAME=value strings of the command's own assignments). */
static char **build_env(struct strv *extra)
{
	struct strv env = { NULL, 0, 0 };
	struct var *v;
	int i;

	for (v = vars; v != NULL; v = v->next) {
		struct buf b = { NULL, 0, 0 };
		int shadowed = 0;
		if (!v->exported || v->value == NULL)
			continue;
		for (i = 0; extra && i < extra->n; i++) {
			size_t nl = strlen(v->name);
			if (strncmp(extra->v[i], v->name, nl) == 0 &&
			    extra->v[i][nl] == '=')
				shadowed = 1;
		}
		if (shadowed)
			continue;
		buf_adds(&b, v->name);
		buf_addc(&b, '=');
		buf_adds(&b, v->value);
		strv_add(&env, b.s);
	}
	for (i = 0; extra && i < extra->n; i++)
		strv_add(&env, xstrdup(extra->v[i]));
	if (env.v == NULL)
		strv_add(&env, NULL), env.n = 0;
	return env.v;
}

/* ---------------------------------------------------------------------
 * Lexer: input text -> tokens.  Words keep their raw text (quotes and
 * all); expansion happens when the command runs, so `false; echo $?'
 * sees the status of false.
 */

enum tok {
	T_WORD, T_NEWLINE, T_SEMI, T_AMP, T_AND, T_OR, T_PIPE, T_BANG,
	T_LESS, T_GREAT, T_DGREAT, T_CLOBBER, T_LESSGREAT, T_LESSAND,
	T_GREATAND, T_LPAREN, T_RPAREN, T_DLESS, T_DLESSDASH, T_DSEMI, T_EOF
};

struct token {
	enum tok type;
	char *text;	/* T_WORD: raw word; redirections: unused */
	int fd;		/* redirections: explicit fd number or -1 */
};

/* A here-document: its body is read by the lexer after the next newline. */
struct heredoc {
	char *delim;		/* delimiter, quotes removed */
	int quoted;		/* the delimiter was quoted: no expansion */
	int strip_tabs;		/* <<- */
	char *body;
};

#define MAX_PENDING_HEREDOCS 16

struct lexer {
	const char *p;
	int incomplete;	/* input ended inside a quote or after \ */
	struct heredoc *pending[MAX_PENDING_HEREDOCS];
	int npending;	/* here-documents whose body comes next */
};

/* Read the bodies of the pending here-documents starting at p (the start
 * of the line after the operator); returns where the input continues. */
static const char *read_heredocs(struct lexer *l, const char *p)
{
	int i;

	for (i = 0; i < l->npending; i++) {
		struct heredoc *h = l->pending[i];
		struct buf b = { NULL, 0, 0 };
		int done = 0;
		while (*p != '\0') {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			if (h->strip_tabs)
				while (len > 0 && *p == '\t') {
					p++;
					len--;
				}
			if (len == strlen(h->delim) && strncmp(p, h->delim, len) == 0) {
				p += len + (nl ? 1 : 0);
				done = 1;
				break;
			}
			while (len-- > 0)
				buf_addc(&b, *p++);
			buf_addc(&b, '\n');
			if (nl)
				p++;
		}
		h->body = b.s ? b.s : xstrdup("");
		if (!done)
			l->incomplete = 1;
	}
	l->npending = 0;
	return p;
}

static int is_meta(char c)
{
	return c == '|' || c == '&' || c == ';' || c == '<' || c == '>' ||
	    c == '(' || c == ')' ||
	    c == ' ' || c == '\t' || c == '\n' || c == '\0';
}

/* p points just after "${"; returns the character after the matching
 * '}', or NULL. */
static const char *skip_brace(const char *p)
{
	int depth = 1;

	while (*p) {
		if (*p == '\\' && p[1]) {
			p += 2;
		} else if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');
			if (q == NULL)
				return NULL;
			p = q + 1;
		} else if (*p == '"') {		/* "${x:-"a b"}": a '}' in quotes */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '\0')
				return NULL;
			p++;
		} else if (*p == '$' && p[1] == '{') {
			depth++;
			p += 2;
		} else if (*p == '}') {
			p++;
			if (--depth == 0)
				return p;
		} else
			p++;
	}
	return NULL;
}

/*
 * Skip a command substitution: p points just after "$(" (or at the first
 * character after a backquote when bq is set).  Returns the character after
 * the closing ')' or '`', or NULL if the input ends first.
 */
static const char *skip_subst(const char *p, int bq)
{
	int depth = 1;

	while (*p) {
		if (*p == '\\') {
			if (p[1] == '\0')
				return NULL;
			p += 2;
		} else if (bq) {
			if (*p == '`')
				return p + 1;
			p++;
		} else if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');
			if (q == NULL)
				return NULL;
			p = q + 1;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '\0')
				return NULL;
			p++;
		} else if (*p == '(') {
			depth++;
			p++;
		} else if (*p == ')') {
			p++;
			if (--depth == 0)
				return p;
		} else
			p++;
	}
	return NULL;
}

/* Scan one word's raw text starting at p; returns its end. */
static const char *scan_word(struct lexer *l, const char *p)
{
	const char *q;

	while (!is_meta(*p)) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				l->incomplete = 1;
				return p + 1;
			}
			p += 2;
		} else if (*p == '\'') {
			q = strchr(p + 1, '\'');
			if (q == NULL) {
				l->incomplete = 1;
				return p + strlen(p);
			}
			p = q + 1;
		} else if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p += 2;
				else if ((*p == '$' && p[1] == '(') || *p == '`') {
					q = *p == '`' ? skip_subst(p + 1, 1)
					    : skip_subst(p + 2, 0);
					if (q == NULL) {
						l->incomplete = 1;
						return p + strlen(p);
					}
					p = q;
				} else if (*p == '$' && p[1] == '{') {
					/* quotes inside: "${x:-"a b"}" */
					if ((q = skip_brace(p + 2)) == NULL) {
						l->incomplete = 1;
						return p + strlen(p);
					}
					p = q;
				} else
					p++;
			}
			if (*p == '\0') {
				l->incomplete = 1;
				return p;
			}
			p++;
		} else if (*p == '$' && p[1] == '{') {
			q = skip_brace(p + 2);
			if (q == NULL) {
				l->incomplete = 1;
				return p + strlen(p);
			}
			p = q;
		} else if ((*p == '$' && p[1] == '(') || *p == '`') {
			q = *p == '`' ? skip_subst(p + 1, 1) : skip_subst(p + 2, 0);
			if (q == NULL) {
				l->incomplete = 1;
				return p + strlen(p);
			}
			p = q;
		} else
			p++;
	}
	return p;
}

static int next_token(struct lexer *l, struct token *t)
{
	const char *p = l->p, *q;
	int fd = -1;

	t->text = NULL;
	t->fd = -1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\\' && p[1] == '\n') {
			p += 2;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
		}
		break;
	}
	if (*p == '\0') {
		t->type = T_EOF;
		if (l->npending > 0)	/* here-document body missing */
			l->incomplete = 1;
		l->p = p;
		return 0;
	}
	/* An fd number right before a redirection operator. */
	q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q > p && (*q == '<' || *q == '>') && q - p < 4) {
		fd = atoi(p);
		p = q;
	}
	t->fd = fd;
	switch (*p) {
	case '\n':
		t->type = T_NEWLINE;
		p = read_heredocs(l, p + 1);
		break;
	case '(': t->type = T_LPAREN; p++; break;
	case ')': t->type = T_RPAREN; p++; break;
	case ';':
		if (p[1] == ';') { t->type = T_DSEMI; p += 2; }
		else { t->type = T_SEMI; p++; }
		break;
	case '&':
		if (p[1] == '&') { t->type = T_AND; p += 2; }
		else { t->type = T_AMP; p++; }
		break;
	case '|':
		if (p[1] == '|') { t->type = T_OR; p += 2; }
		else { t->type = T_PIPE; p++; }
		break;
	case '<':
		if (p[1] == '<' && p[2] == '-') { t->type = T_DLESSDASH; p += 3; }
		else if (p[1] == '<') { t->type = T_DLESS; p += 2; }
		else if (p[1] == '&') { t->type = T_LESSAND; p += 2; }
		else if (p[1] == '>') { t->type = T_LESSGREAT; p += 2; }
		else { t->type = T_LESS; p++; }
		break;
	case '>':
		if (p[1] == '>') { t->type = T_DGREAT; p += 2; }
		else if (p[1] == '&') { t->type = T_GREATAND; p += 2; }
		else if (p[1] == '|') { t->type = T_CLOBBER; p += 2; }
		else { t->type = T_GREAT; p++; }
		break;
	default:
		q = scan_word(l, p);
		t->type = T_WORD;
		t->text = xstrndup(p, (size_t)(q - p));
		if (strcmp(t->text, "!") == 0)
			t->type = T_BANG;
		p = q;
		break;
	}
	l->p = p;
	return 0;
}

/* ---------------------------------------------------------------------
 * Parser: tokens -> a tree of lists, pipelines and commands.
 */

struct redir {
	enum tok op;
	int fd;			/* the fd redirected */
	char *word;		/* raw target word */
	struct heredoc *here;	/* T_DLESS, T_DLESSDASH */
	struct redir *next;
};

enum node {
	N_SIMPLE,	/* words and redirections */
	N_IF,		/* if cond; then body; [else elsepart;] fi (elif nests) */
	N_WHILE,	/* while cond; do body; done */
	N_UNTIL,	/* until cond; do body; done */
	N_FOR,		/* for var [in words]; do body; done */
	N_BRACE,	/* { body; } */
	N_SUBSHELL,	/* ( body ) */
	N_CASE,		/* case words[0] in items... esac */
	N_FUNCDEF	/* var() func */
};

struct andor;

struct command {
	enum node type;
	struct strv words;	/* N_SIMPLE: raw words, assignments first;
				   N_FOR: the words after "in" */
	int for_in;		/* N_FOR: "in" was given */
	char *var;		/* N_FOR: the loop variable */
	struct andor *cond, *body, *elsepart;
	struct redir *redirs;	/* also after a compound command */
	struct case_item *items;	/* N_CASE */
	int nitems;
	struct command *func;	/* N_FUNCDEF: the body */
};

struct case_item {
	struct strv pats;	/* raw pattern words */
	struct andor *body;
};

struct pipeline {
	struct command *cmds;
	int n;
	int negate;
};

struct andor {
	struct pipeline *pipes;
	enum tok *ops;		/* ops[i] joins pipes[i] and pipes[i+1] */
	int n;
	int background;
	struct andor *next;
};

struct parser {
	struct lexer lex;
	struct token tok;
	int error;
	int eof_in_compound;	/* input ended inside if/while/for/{/( */
};

static void advance(struct parser *ps)
{
	next_token(&ps->lex, &ps->tok);
}

static void syntax_error(struct parser *ps, const char *what)
{
	if (ps->tok.type == T_EOF && !ps->error)
		ps->eof_in_compound = 1;
	if (!ps->error && !ps->lex.incomplete && !ps->eof_in_compound)
		shell_error("syntax error: %s%s", what, "");
	ps->error = 1;
}

/* A syntax error that more input cannot mend, even at the end of it. */
static void syntax_error_now(struct parser *ps, const char *what)
{
	if (!ps->error)
		shell_error("syntax error: %s%s", what, "");
	ps->error = 1;
}

static int is_redir(enum tok t)
{
	return t == T_LESS || t == T_GREAT || t == T_DGREAT ||
	    t == T_CLOBBER || t == T_LESSGREAT || t == T_LESSAND ||
	    t == T_GREATAND || t == T_DLESS || t == T_DLESSDASH;
}

/* The current token is the (unquoted) word w. */
static int tok_is(struct parser *ps, const char *w)
{
	return ps->tok.type == T_WORD && strcmp(ps->tok.text, w) == 0;
}

static int is_reserved_end(struct parser *ps)
{
	static const char *const ends[] = { "then", "else", "elif", "fi", "do",
	    "done", "}", "esac", NULL };
	int i;
	if (ps->tok.type == T_RPAREN || ps->tok.type == T_DSEMI)
		return 1;
	if (ps->tok.type != T_WORD)
		return 0;
	for (i = 0; ends[i] != NULL; i++)
		if (strcmp(ps->tok.text, ends[i]) == 0)
			return 1;
	return 0;
}

static void free_andor(struct andor *a);
static struct andor *parse_list(struct parser *ps);

/* Expect the reserved word w and skip it. */
static int expect(struct parser *ps, const char *w)
{
	if (!tok_is(ps, w)) {
		struct buf b = { NULL, 0, 0 };
		buf_adds(&b, "expecting \"");
		buf_adds(&b, w);
		buf_adds(&b, "\"");
		syntax_error(ps, b.s);
		free(b.s);
		return -1;
	}
	free(ps->tok.text);
	ps->tok.text = NULL;
	advance(ps);
	return 0;
}

static void skip_word(struct parser *ps)
{
	free(ps->tok.text);
	ps->tok.text = NULL;
	advance(ps);
}

static void skip_newlines(struct parser *ps)
{
	while (ps->tok.type == T_NEWLINE)
		advance(ps);
}

static int parse_redirs(struct parser *ps, struct command *c)
{
	struct redir **tail = &c->redirs;

	while (*tail != NULL)
		tail = &(*tail)->next;
	while (is_redir(ps->tok.type)) {
		struct redir *r = xmalloc(sizeof(*r));
		r->op = ps->tok.type;
		r->fd = ps->tok.fd;
		if (r->fd < 0)
			r->fd = (r->op == T_LESS || r->op == T_LESSAND ||
			    r->op == T_LESSGREAT || r->op == T_DLESS ||
			    r->op == T_DLESSDASH) ? 0 : 1;
		r->next = NULL;
		r->word = NULL;
		r->here = NULL;
		*tail = r;
		tail = &r->next;
		advance(ps);
		if (ps->tok.type != T_WORD) {
			syntax_error(ps, "redirection without a file");
			return -1;
		}
		r->word = ps->tok.text;
		ps->tok.text = NULL;
		if (r->op == T_DLESS || r->op == T_DLESSDASH) {
			/* register before the lexer reaches the newline */
			struct heredoc *h = xmalloc(sizeof(*h));
			const char *q;
			struct buf d = { NULL, 0, 0 };
			h->quoted = 0;
			for (q = r->word; *q; q++) {
				if (*q == '\'' || *q == '"') {
					h->quoted = 1;
					continue;
				}
				if (*q == '\\' && q[1]) {
					h->quoted = 1;
					q++;
				}
				buf_addc(&d, *q);
			}
			h->delim = d.s ? d.s : xstrdup("");
			h->strip_tabs = r->op == T_DLESSDASH;
			h->body = NULL;
			r->here = h;
			if (ps->lex.npending >= MAX_PENDING_HEREDOCS) {
				syntax_error(ps, "too many here-documents");
				return -1;
			}
			ps->lex.pending[ps->lex.npending++] = h;
		}
		advance(ps);
	}
	return 0;
}

static int parse_compound(struct parser *ps, struct command *c)
{
	if (tok_is(ps, "if")) {
		c->type = N_IF;
		skip_word(ps);
		c->cond = parse_list(ps);
		if (ps->error || expect(ps, "then") < 0)
			return -1;
		c->body = parse_list(ps);
		if (ps->error)
			return -1;
		if (tok_is(ps, "elif")) {
			/* elif: an if nested in the else part, sharing the fi */
			struct andor *a = xmalloc(sizeof(*a));
			memset(a, 0, sizeof(*a));
			a->pipes = xmalloc(sizeof(*a->pipes));
			a->ops = xmalloc(sizeof(*a->ops));
			memset(a->pipes, 0, sizeof(*a->pipes));
			a->n = 1;
			a->pipes[0].n = 1;
			a->pipes[0].cmds = xmalloc(sizeof(struct command));
			memset(a->pipes[0].cmds, 0, sizeof(struct command));
			c->elsepart = a;
			free(ps->tok.text);
			ps->tok.text = xstrdup("if");	/* reparse as "if" */
			return parse_compound(ps, &a->pipes[0].cmds[0]);
		}
		if (tok_is(ps, "else")) {
			skip_word(ps);
			c->elsepart = parse_list(ps);
			if (ps->error)
				return -1;
		}
		return expect(ps, "fi");
	}
	if (tok_is(ps, "while") || tok_is(ps, "until")) {
		c->type = tok_is(ps, "while") ? N_WHILE : N_UNTIL;
		skip_word(ps);
		c->cond = parse_list(ps);
		if (ps->error || expect(ps, "do") < 0)
			return -1;
		c->body = parse_list(ps);
		if (ps->error)
			return -1;
		return expect(ps, "done");
	}
	if (tok_is(ps, "for")) {
		c->type = N_FOR;
		skip_word(ps);
		if (ps->tok.type != T_WORD ||
		    !valid_name(ps->tok.text, strlen(ps->tok.text))) {
			syntax_error(ps, "bad for loop variable");
			return -1;
		}
		c->var = ps->tok.text;
		ps->tok.text = NULL;
		advance(ps);
		skip_newlines(ps);
		if (tok_is(ps, "in")) {
			c->for_in = 1;
			skip_word(ps);
			while (ps->tok.type == T_WORD) {
				strv_add(&c->words, ps->tok.text);
				ps->tok.text = NULL;
				advance(ps);
			}
			if (ps->tok.type != T_SEMI && ps->tok.type != T_NEWLINE) {
				syntax_error(ps, "expecting \"do\"");
				return -1;
			}
			advance(ps);
		} else if (ps->tok.type == T_SEMI)
			advance(ps);
		skip_newlines(ps);
		if (expect(ps, "do") < 0)
			return -1;
		c->body = parse_list(ps);
		if (ps->error)
			return -1;
		return expect(ps, "done");
	}
	if (tok_is(ps, "{")) {
		c->type = N_BRACE;
		skip_word(ps);
		c->body = parse_list(ps);
		if (ps->error)
			return -1;
		return expect(ps, "}");
	}
	/* ( list ) */
	c->type = N_SUBSHELL;
	advance(ps);
	c->body = parse_list(ps);
	if (ps->error)
		return -1;
	if (ps->tok.type != T_RPAREN) {
		syntax_error(ps, "expecting \")\"");
		return -1;
	}
	advance(ps);
	return 0;
}

static int parse_case(struct parser *ps, struct command *c)
{
	c->type = N_CASE;
	skip_word(ps);
	if (ps->tok.type != T_WORD) {
		syntax_error(ps, "expecting a word after \"case\"");
		return -1;
	}
	strv_add(&c->words, ps->tok.text);
	ps->tok.text = NULL;
	advance(ps);
	skip_newlines(ps);
	if (expect(ps, "in") < 0)
		return -1;
	for (;;) {
		struct case_item *it;
		skip_newlines(ps);
		if (tok_is(ps, "esac"))
			break;
		c->items = xrealloc(c->items,
		    (size_t)(c->nitems + 1) * sizeof(*c->items));
		it = &c->items[c->nitems++];
		memset(it, 0, sizeof(*it));
		if (ps->tok.type == T_LPAREN)
			advance(ps);
		for (;;) {
			if (ps->tok.type != T_WORD) {
				syntax_error(ps, "expecting a pattern");
				return -1;
			}
			strv_add(&it->pats, ps->tok.text);
			ps->tok.text = NULL;
			advance(ps);
			if (ps->tok.type != T_PIPE)
				break;
			advance(ps);
		}
		if (ps->tok.type != T_RPAREN) {
			syntax_error(ps, "expecting \")\"");
			return -1;
		}
		advance(ps);
		it->body = parse_list(ps);
		if (ps->error)
			return -1;
		if (ps->tok.type == T_DSEMI)
			advance(ps);
		else if (!tok_is(ps, "esac")) {
			syntax_error(ps, "expecting \";;\"");
			return -1;
		}
	}
	return expect(ps, "esac");
}

static int parse_command(struct parser *ps, struct command *c)
{
	memset(c, 0, sizeof(*c));
	c->type = N_SIMPLE;
	if (ps->tok.type == T_LPAREN || tok_is(ps, "if") || tok_is(ps, "while") ||
	    tok_is(ps, "until") || tok_is(ps, "for") || tok_is(ps, "{")) {
		if (parse_compound(ps, c) < 0)
			return -1;
		return parse_redirs(ps, c);
	}
	if (tok_is(ps, "case")) {
		if (parse_case(ps, c) < 0)
			return -1;
		return parse_redirs(ps, c);
	}
	if (is_reserved_end(ps)) {
		syntax_error(ps, ps->tok.type == T_RPAREN ? "unexpected \")\""
		    : "unexpected reserved word");
		return -1;
	}
	for (;;) {
		if (ps->tok.type == T_WORD || ps->tok.type == T_BANG) {
			strv_add(&c->words, ps->tok.text);
			ps->tok.text = NULL;
			advance(ps);
		} else if (ps->tok.type == T_LPAREN && c->words.n == 1 &&
		    c->redirs == NULL && valid_name(c->words.v[0],
		    strlen(c->words.v[0]))) {
			/* name() compound-command: a function definition */
			advance(ps);
			if (ps->tok.type != T_RPAREN) {
				syntax_error(ps, "expecting \")\"");
				return -1;
			}
			advance(ps);
			skip_newlines(ps);
			c->type = N_FUNCDEF;
			c->var = c->words.v[0];
			c->words.v[0] = NULL;
			c->words.n = 0;
			c->func = xmalloc(sizeof(*c->func));
			if (parse_command(ps, c->func) < 0)
				return -1;
			if (c->func->type == N_SIMPLE) {
				syntax_error_now(ps,
				    "function body must be a compound command");
				return -1;
			}
			return 0;
		} else if (is_redir(ps->tok.type)) {
			if (parse_redirs(ps, c) < 0)
				return -1;
		} else
			break;
	}
	if (c->words.n == 0 && c->redirs == NULL) {
		syntax_error(ps, ps->tok.type == T_EOF ? "unexpected end of file"
		    : "missing command");
		return -1;
	}
	return 0;
}

static int parse_pipeline(struct parser *ps, struct pipeline *p)
{
	memset(p, 0, sizeof(*p));
	while (ps->tok.type == T_BANG) {
		p->negate = !p->negate;
		free(ps->tok.text);
		ps->tok.text = NULL;
		advance(ps);
	}
	for (;;) {
		p->cmds = xrealloc(p->cmds, (size_t)(p->n + 1) * sizeof(*p->cmds));
		p->n++;
		if (parse_command(ps, &p->cmds[p->n - 1]) < 0)
			return -1;
		if (ps->tok.type != T_PIPE)
			return 0;
		advance(ps);
		skip_newlines(ps);
	}
}

static struct andor *parse_andor(struct parser *ps)
{
	struct andor *a = xmalloc(sizeof(*a));

	memset(a, 0, sizeof(*a));
	for (;;) {
		a->pipes = xrealloc(a->pipes, (size_t)(a->n + 1) * sizeof(*a->pipes));
		a->ops = xrealloc(a->ops, (size_t)(a->n + 1) * sizeof(*a->ops));
		a->n++;
		if (parse_pipeline(ps, &a->pipes[a->n - 1]) < 0)
			return a;
		if (ps->tok.type != T_AND && ps->tok.type != T_OR)
			break;
		a->ops[a->n - 1] = ps->tok.type;
		advance(ps);
		skip_newlines(ps);
	}
	if (ps->tok.type == T_AMP)
		a->background = 1;
	return a;
}

static void free_command(struct command *c)
{
	struct redir *r = c->redirs;
	strv_free(&c->words);
	free(c->var);
	free_andor(c->cond);
	free_andor(c->body);
	free_andor(c->elsepart);
	if (c->items != NULL) {
		int i;
		for (i = 0; i < c->nitems; i++) {
			strv_free(&c->items[i].pats);
			free_andor(c->items[i].body);
		}
		free(c->items);
	}
	if (c->func != NULL) {
		free_command(c->func);
		free(c->func);
	}
	while (r != NULL) {
		struct redir *rn = r->next;
		free(r->word);
		if (r->here) {
			free(r->here->delim);
			free(r->here->body);
			free(r->here);
		}
		free(r);
		r = rn;
	}
}

static void free_andor(struct andor *a)
{
	while (a != NULL) {
		struct andor *next = a->next;
		int i, j;
		for (i = 0; i < a->n; i++) {
			struct pipeline *p = &a->pipes[i];
			for (j = 0; j < p->n; j++)
				free_command(&p->cmds[j]);
			free(p->cmds);
		}
		free(a->pipes);
		free(a->ops);
		free(a);
		a = next;
	}
}

/* A list of and-or lists separated by ';', '&' or newlines, up to a
 * reserved word that ends it (then, fi, done, ...), ')' or the end. */
static struct andor *parse_list(struct parser *ps)
{
	struct andor *head = NULL, **tail = &head;

	for (;;) {
		struct andor *a;
		skip_newlines(ps);
		if (ps->error || ps->tok.type == T_EOF || is_reserved_end(ps))
			break;
		if (ps->tok.type == T_SEMI) {
			syntax_error(ps, "unexpected \";\"");
			break;
		}
		a = parse_andor(ps);
		*tail = a;
		tail = &a->next;
		if (ps->error)
			break;
		if (ps->tok.type == T_SEMI || ps->tok.type == T_AMP ||
		    ps->tok.type == T_NEWLINE)
			advance(ps);
		else if (ps->tok.type != T_EOF && !is_reserved_end(ps)) {
			syntax_error(ps, "unexpected operator");
			break;
		}
	}
	return head;
}

/* Parse a whole program.  Returns the list (maybe empty), or NULL with
 * *status 1 for a syntax error, 2 for incomplete input. */
static struct andor *parse_program(const char *text, int *status)
{
	struct parser ps;
	struct andor *list;

	memset(&ps, 0, sizeof(ps));
	ps.lex.p = text;
	*status = 0;
	advance(&ps);
	list = parse_list(&ps);
	if (!ps.error && ps.tok.type != T_EOF)
		syntax_error(&ps, ps.tok.type == T_RPAREN ? "unexpected \")\""
		    : "unexpected reserved word");
	free(ps.tok.text);
	if (ps.error || ps.lex.incomplete) {
		*status = (ps.lex.incomplete || ps.eof_in_compound) ? 2 : 1;
		free_andor(list);
		return NULL;
	}
	return list;
}

/* ---------------------------------------------------------------------
 * Word expansion: raw word -> fields.
 */

struct expander {
	struct strv *out;
	struct buf cur;		/* the field's value */
	struct buf pat;		/* the same as a pattern: quoted *?[\\ escaped */
	int have;	/* the current field exists (even if empty: "") */
	int globby;	/* it has an unquoted * ? or [ */
	int noglob;	/* no pathname expansion and no field splitting
			   (assignments, redirection targets) */
	int want_pat;	/* produce the pattern form (case patterns) */
	int after_delim; /* field splitting: 1 after IFS white space ended a
			   field, 2 after another IFS character, else 0 */
};

static int glob_meta(char c)
{
	return c == '*' || c == '?' || c == '[';
}

/* Add one character of a field. */
static void addc(struct expander *x, char c, int quoted)
{
	buf_addc(&x->cur, c);
	if (quoted && (glob_meta(c) || c == '\\'))
		buf_addc(&x->pat, '\\');
	else if (!quoted && glob_meta(c))
		x->globby = 1;
	buf_addc(&x->pat, c);
	x->have = 1;
	x->after_delim = 0;
}

/* Pattern matching of one name against one pattern component, as
 * fnmatch(3) without flags except that a leading '.' must be matched
 * explicitly (the caller checks that). */
static int match(const char *pat, const char *str)
{
	while (*pat) {
		switch (*pat) {
		case '?':
			if (*str == '\0')
				return 0;
			pat++;
			str++;
			break;
		case '*':
			while (*pat == '*')
				pat++;
			if (*pat == '\0')
				return 1;
			for (; *str; str++)
				if (match(pat, str))
					return 1;
			return match(pat, str);
		case '[': {
			const char *p = pat + 1;
			int neg = 0, ok = 0;
			if (*p == '!' || *p == '^') {
				neg = 1;
				p++;
			}
			if (*str == '\0')
				return 0;
			do {
				char lo = *p, hi;
				if (lo == '\\' && p[1])
					lo = *++p;
				if (lo == '\0')
					break;
				hi = lo;
				if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
					hi = p[2];
					if (hi == '\\' && p[3])
						hi = *(p += 1, p + 2);
					p += 2;
				}
				if ((unsigned char)*str >= (unsigned char)lo &&
				    (unsigned char)*str <= (unsigned char)hi)
					ok = 1;
				p++;
			} while (*p && *p != ']');
			if (*p != ']') {	/* no closing ]: a literal '[' */
				if (*str != '[')
					return 0;
				pat++;
				str++;
				break;
			}
			if (ok == neg)
				return 0;
			pat = p + 1;
			str++;
			break;
		}
		case '\\':
			if (pat[1])
				pat++;
			/* FALLTHROUGH */
		default:
			if (*pat != *str)
				return 0;
			pat++;
			str++;
			break;
		}
	}
	return *str == '\0';
}

static int has_meta(const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (glob_meta(p[i]))
			return 1;
	}
	return 0;
}

/* Append a pattern component to a path, removing its backslashes. */
static void add_unescaped(struct buf *b, const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		buf_addc(b, p[i]);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand the pattern rest (relative to the path in `base') into out. */
static void glob_rec(struct buf *base, const char *rest, struct strv *out)
{
	const char *slash;
	size_t n, save = base->len;

	while (*rest == '/') {
		buf_addc(base, '/');
		rest++;
	}
	if (*rest == '\0') {
		struct stat st;
		if (base->len > 0 && lstat(base->s, &st) == 0)
			strv_add(out, xstrdup(base->s));
		goto done;
	}
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (!has_meta(rest, n)) {
		add_unescaped(base, rest, n);
		glob_rec(base, rest + n, out);
	} else {
		char *comp = xstrndup(rest, n);
		DIR *d = opendir(base->len ? base->s : ".");
		struct dirent *de;
		if (d != NULL) {
			while ((de = readdir(d)) != NULL) {
				const char *nm = de->d_name;
				size_t l2 = base->len;
				if (nm[0] == '.' && comp[0] != '.')
					continue;
				if (!match(comp, nm))
					continue;
				buf_adds(base, nm);
				glob_rec(base, rest + n, out);
				base->len = l2;
				base->s[l2] = '\0';
			}
			closedir(d);
		}
		free(comp);
	}
done:
	base->len = save;
	if (base->s)
		base->s[save] = '\0';
}

static void field_end(struct expander *x)
{
	if (x->have) {
		int before = x->out->n;
		if (x->globby && !x->noglob && x->pat.s != NULL) {
			struct buf base = { NULL, 0, 0 };
			buf_addc(&base, 'x');	/* allocate; then empty */
			base.len = 0;
			base.s[0] = '\0';
			glob_rec(&base, x->pat.s, x->out);
			free(base.s);
			if (x->out->n - before > 1)
				qsort(x->out->v + before, (size_t)(x->out->n - before),
				    sizeof(char *), cmp_str);
		}
		if (x->want_pat) {
			strv_add(x->out, x->pat.s ? x->pat.s : xstrdup(""));
			x->pat.s = NULL;
		} else if (x->out->n == before) {
			strv_add(x->out, x->cur.s ? x->cur.s : xstrdup(""));
			x->cur.s = NULL;
		}
		free(x->cur.s);
		free(x->pat.s);
		memset(&x->cur, 0, sizeof(x->cur));
		memset(&x->pat, 0, sizeof(x->pat));
		x->have = 0;
		x->globby = 0;
	}
}

/* c is one of IFS's characters (IFS unset: space, tab, newline) */
static int is_ifs_space(char c)
{
	const char *ifs = var_get("IFS");
	if (ifs == NULL)
		ifs = " \t\n";
	return c != '\0' && strchr(ifs, c) != NULL;
}

/*
 * Add expanded text; unquoted text is split into fields (POSIX 2.6.5): a
 * run of IFS white space delimits a field; any other IFS character, with
 * the IFS white space around it, delimits one too, so that two of them in
 * a row (or one at the start) give an empty field.
 */
static void add_text(struct expander *x, const char *s, int quoted)
{
	for (; *s; s++) {
		if (!quoted && !x->noglob && is_ifs_space(*s)) {
			if (*s == ' ' || *s == '\t' || *s == '\n') {
				if (x->have) {
					field_end(x);
					x->after_delim = 1;
				}
			} else {
				if (x->have)
					field_end(x);
				else if (x->after_delim != 1) {
					x->have = 1;	/* an empty field */
					field_end(x);
				}
				x->after_delim = 2;
			}
			continue;
		}
		addc(x, *s, quoted);
	}
}

static int run_string(const char *text, int top);
static char *expand_one(const char *w);

/* Command substitution: run text in a subshell, return its output without
 * the trailing newlines. */
static char *command_output(const char *text)
{
	struct buf b = { NULL, 0, 0 };
	char chunk[512];
	int fds[2], st;
	ssize_t n, i;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) < 0) {
		shell_error("pipe: %s", strerror(errno), "");
		return xstrdup("");
	}
	pid = fork();
	if (pid < 0) {
		shell_error("fork: %s", strerror(errno), "");
		close(fds[0]);
		close(fds[1]);
		return xstrdup("");
	}
	if (pid == 0) {
		close(fds[0]);
		if (fds[1] != 1) {
			dup2(fds[1], 1);
			close(fds[1]);
		}
		run_string(text, 0);
		fflush(stdout);
		_exit(last_status);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++)
			buf_addc(&b, chunk[i]);
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	subst_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	while (b.len > 0 && b.s[b.len - 1] == '\n')
		b.s[--b.len] = '\0';
	return b.s ? b.s : xstrdup("");
}

/* Expand a "$(...)" (p after "$(") or "`...`" (p after the first '`');
 * returns characters consumed. */
static size_t expand_subst(struct expander *x, const char *p, int bq,
    int quoted)
{
	const char *end = skip_subst(p, bq);
	struct buf text = { NULL, 0, 0 };
	size_t consumed, inner, i;
	char *out;

	if (end == NULL) {		/* cannot happen after the lexer */
		consumed = inner = strlen(p);
	} else {
		consumed = (size_t)(end - p);
		inner = consumed - 1;
	}
	for (i = 0; i < inner; i++) {
		/* inside backquotes, \ before $ ` \ is removed */
		if (bq && p[i] == '\\' && i + 1 < inner && (p[i + 1] == '$' ||
		    p[i + 1] == '`' || p[i + 1] == '\\'))
			i++;
		buf_addc(&text, p[i]);
	}
	out = command_output(text.s ? text.s : "");
	add_text(x, out, quoted);
	if (quoted)
		x->have = 1;
	free(out);
	free(text.s);
	return consumed;
}

/* ---------------------------------------------------------------------
 * Arithmetic expansion $(( )): integer C expressions with variables.
 * Operators, by precedence: unary + - ! ~; * / %; + -; << >>;
 * < <= > >=; == !=; &; ^; |; &&; ||; ?:; = *= /= %= += -= <<= >>= &= ^= |=;
 * parentheses.
 */

struct arith {
	const char *p;
	int error;
};

static long long arith_expr(struct arith *a, int prec);
static long long arith_cond(struct arith *a);
static long long arith_apply(struct arith *a, const char *op, long long l,
    long long r);

/* Assignment operators, longest first. */
static const char *const arith_assign_ops[] = {
	"<<=", ">>=", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "=", NULL
};

static void arith_space(struct arith *a)
{
	while (*a->p == ' ' || *a->p == '\t' || *a->p == '\n')
		a->p++;
}

static long long arith_primary(struct arith *a)
{
	long long v = 0;

	arith_space(a);
	if (*a->p == '(') {
		a->p++;
		v = arith_cond(a);
		arith_space(a);
		if (*a->p != ')')
			a->error = 1;
		else
			a->p++;
		return v;
	}
	if (*a->p == '-' || *a->p == '+' || *a->p == '!' || *a->p == '~') {
		char op = *a->p++;
		v = arith_primary(a);
		return op == '-' ? -v : op == '!' ? !v : op == '~' ? ~v : v;
	}
	if (*a->p >= '0' && *a->p <= '9') {
		char *end;
		v = strtoll(a->p, &end, 0);
		a->p = end;
		return v;
	}
	if (valid_name(a->p, 1)) {
		size_t n = 0;
		char *name;
		const char *val;
		while (valid_name(a->p, n + 1))
			n++;
		name = xstrndup(a->p, n);
		val = var_get(name);
		a->p += n;
		v = 0;
		if (val != NULL) {
			/* the value must be a number itself (blanks and a
			 * sign allowed; empty is 0): "12abc" is an error */
			const char *q = val;
			char *end;
			while (*q == ' ' || *q == '\t' || *q == '\n')
				q++;
			if (*q != '\0') {
				errno = 0;
				v = strtoll(q, &end, 0);
				while (end != q && (*end == ' ' ||
				    *end == '\t' || *end == '\n'))
					end++;
				if (end == q || *end != '\0' || errno == ERANGE) {
					shell_error("arithmetic expression: %s: "
					    "Illegal number: %s", name, val);
					a->error = 2;
					free(name);
					return 0;
				}
			}
		}
		arith_space(a);
		for (int i = 0; arith_assign_ops[i] != NULL; i++) {
			size_t k = strlen(arith_assign_ops[i]);
			if (strncmp(a->p, arith_assign_ops[i], k) == 0 &&
			    !(k == 1 && a->p[1] == '=')) {	/* not == */
				char op[4], num[32];
				long long r;
				a->p += k;
				r = arith_cond(a);
				if (k > 1) {
					memcpy(op, arith_assign_ops[i], k - 1);
					op[k - 1] = '\0';
					r = arith_apply(a, op, v, r);
				}
				if (!a->error) {
					snprintf(num, sizeof(num), "%lld", r);
					var_set(name, num, 0);
				}
				v = r;
				break;
			}
		}
		free(name);
		return v;
	}
	a->error = 1;
	return 0;
}

/* Binary operators: text, precedence (higher binds tighter). */
static const struct { const char *op; int prec; } arith_ops[] = {
	{ "||", 1 }, { "&&", 2 }, { "|", 3 }, { "^", 4 }, { "&", 5 },
	{ "==", 6 }, { "!=", 6 }, { "<=", 7 }, { ">=", 7 }, { "<<", 8 },
	{ ">>", 8 }, { "<", 7 }, { ">", 7 }, { "+", 9 }, { "-", 9 },
	{ "*", 10 }, { "/", 10 }, { "%", 10 }, { NULL, 0 }
};

static long long arith_expr(struct arith *a, int min_prec)
{
	long long l = arith_primary(a), r;

	for (;;) {
		int i, prec = 0;
		const char *op = NULL;
		arith_space(a);
		for (i = 0; arith_ops[i].op != NULL; i++) {
			size_t n = strlen(arith_ops[i].op);
			if (strncmp(a->p, arith_ops[i].op, n) == 0) {
				op = arith_ops[i].op;
				prec = arith_ops[i].prec;
				break;
			}
		}
		if (op == NULL || prec <= min_prec || a->error)
			return l;
		/* "x <<= 1" after a value (not a name) is no operator here */
		if (a->p[strlen(op)] == '=' && strcmp(op, "<") != 0 &&
		    strcmp(op, ">") != 0 && strcmp(op, "!=") != 0 &&
		    strcmp(op, "==") != 0 && strcmp(op, "<=") != 0 &&
		    strcmp(op, ">=") != 0)
			return l;
		a->p += strlen(op);
		r = arith_expr(a, prec);
		l = arith_apply(a, op, l, r);
		if (a->error)
			return 0;
	}
}

/* l OP r for a binary operator */
static long long arith_apply(struct arith *a, const char *op, long long l,
    long long r)
{
	{
		if (strcmp(op, "||") == 0) l = l || r;
		else if (strcmp(op, "&&") == 0) l = l && r;
		else if (strcmp(op, "|") == 0) l |= r;
		else if (strcmp(op, "^") == 0) l ^= r;
		else if (strcmp(op, "&") == 0) l &= r;
		else if (strcmp(op, "==") == 0) l = l == r;
		else if (strcmp(op, "!=") == 0) l = l != r;
		else if (strcmp(op, "<=") == 0) l = l <= r;
		else if (strcmp(op, ">=") == 0) l = l >= r;
		else if (strcmp(op, "<<") == 0) l = l << (r & 63);
		else if (strcmp(op, ">>") == 0) l = l >> (r & 63);
		else if (strcmp(op, "<") == 0) l = l < r;
		else if (strcmp(op, ">") == 0) l = l > r;
		else if (strcmp(op, "+") == 0) l += r;
		else if (strcmp(op, "-") == 0) l -= r;
		else if (strcmp(op, "*") == 0) l *= r;
		else {
			if (r == 0) {
				shell_error("arithmetic: division by zero", "", "");
				a->error = 2;
				return 0;
			}
			l = strcmp(op, "/") == 0 ? l / r : l % r;
		}
	}
	return l;
}

/* c ? t : f (and everything below it) */
static long long arith_cond(struct arith *a)
{
	long long c = arith_expr(a, 0), t, f;

	arith_space(a);
	if (*a->p != '?' || a->error)
		return c;
	a->p++;
	t = arith_cond(a);
	arith_space(a);
	if (*a->p != ':') {
		a->error = 1;
		return 0;
	}
	a->p++;
	f = arith_cond(a);
	return c ? t : f;
}

/* Expand "$((text))": p points after "$((", returns chars consumed. */
static size_t expand_arith(struct expander *x, const char *p, int quoted)
{
	const char *end = skip_subst(p - 1, 0);	/* after the outer ')' */
	size_t consumed, inner;
	char *text, *expanded, num[32];
	struct arith a;
	long long v;

	if (end == NULL || end - p < 2 || end[-1] != ')' || end[-2] != ')') {
		consumed = end ? (size_t)(end - p) : strlen(p);
		inner = consumed;
	} else {
		consumed = (size_t)(end - p);
		inner = consumed - 2;
	}
	text = xstrndup(p, inner);
	expanded = expand_one(text);
	a.p = expanded;
	a.error = 0;
	v = arith_cond(&a);
	arith_space(&a);
	if (a.error || *a.p != '\0') {
		/* an error in an expansion ends a non-interactive shell */
		if (a.error != 2)
			shell_error("arithmetic expression: syntax error: \"%s\"",
			    text, "");
		if (!interactive) {
			fflush(stdout);
			exit(2);
		}
		v = 0;
	}
	snprintf(num, sizeof(num), "%lld", v);
	add_text(x, num, quoted);
	if (quoted)
		x->have = 1;
	free(text);
	free(expanded);
	return consumed;
}

static char numbuf[32];

static const char *special_param(char c)
{
	switch (c) {
	case '?':
		snprintf(numbuf, sizeof(numbuf), "%d", last_status);
		return numbuf;
	case '$':
		snprintf(numbuf, sizeof(numbuf), "%ld", (long)getpid());
		return numbuf;
	case '!':
		if (last_bg < 0)
			return "";
		snprintf(numbuf, sizeof(numbuf), "%ld", last_bg);
		return numbuf;
	case '#':
		snprintf(numbuf, sizeof(numbuf), "%d", params.n);
		return numbuf;
	case '0':
		return arg0;
	default:
		if (c >= '1' && c <= '9')
			return c - '1' < params.n ? params.v[c - '1'] : "";
		return NULL;
	}
}

static size_t expand_braced(struct expander *x, const char *s, int quoted);

/* Expand the parameter at s (just after '$'); returns chars consumed. */
static size_t expand_param(struct expander *x, const char *s, int quoted)
{
	const char *val = NULL;
	char *name;
	size_t n;

	if (*s == '(' && s[1] == '(')
		return 2 + expand_arith(x, s + 2, quoted);
	if (*s == '(')
		return 1 + expand_subst(x, s + 1, 0, quoted);
	if (*s == '@' || *s == '*') {
		/* "$*" joins the parameters with the first character of IFS;
		 * "$@", $@ and $* give one field per parameter */
		const char *ifs = var_get("IFS");
		char sep = ifs == NULL ? ' ' : ifs[0];
		int i;
		for (i = 0; i < params.n; i++) {
			if (i > 0) {
				if (quoted && *s == '*') {
					if (sep != '\0')
						addc(x, sep, 1);
				} else {
					field_end(x);
					if (quoted)
						x->have = 1;
				}
			}
			add_text(x, params.v[i], quoted);
		}
		if (quoted && *s == '*' && params.n == 0)
			x->have = 1;
		return 1;
	}
	if ((val = special_param(*s)) != NULL) {
		add_text(x, val, quoted);
		if (quoted)
			x->have = 1;
		return 1;
	}
	if (*s == '{')
		return expand_braced(x, s, quoted);
	n = 0;
	while (valid_name(s, n + 1))
		n++;
	if (n == 0) {
		addc(x, '$', 1);
		return 0;
	}
	name = xstrndup(s, n);
	val = var_get(name);
	free(name);
	if (val)
		add_text(x, val, quoted);
	if (quoted)
		x->have = 1;
	return n;
}

#define EXP_NOGLOB	1	/* no field splitting, no pathname expansion */
#define EXP_PATTERN	2	/* give the pattern form (quoted * ? [ \ escaped) */

static void expand_word_x(const char *w, struct strv *out, int flags)
{
	struct expander x;
	const char *p = w;

	memset(&x, 0, sizeof(x));
	x.out = out;
	x.noglob = (flags & (EXP_NOGLOB | EXP_PATTERN)) != 0;
	x.want_pat = (flags & EXP_PATTERN) != 0;
	if (*p == '~' && (p[1] == '/' || p[1] == '\0')) {
		const char *home = var_get("HOME");
		add_text(&x, home ? home : "~", 1);
		p++;
	}
	while (*p) {
		if (*p == '\\') {
			if (p[1] == '\n') {
				p += 2;
				continue;
			}
			if (p[1])
				p++;
			addc(&x, *p++, 1);
		} else if (*p == '\'') {
			p++;
			x.have = 1;
			while (*p && *p != '\'')
				addc(&x, *p++, 1);
			if (*p)
				p++;
		} else if (*p == '"') {
			int had = x.have;
			p++;
			/* "$@" without parameters is no field at all */
			if (strncmp(p, "$@\"", 3) == 0 && params.n == 0) {
				p += 3;
				x.have = had;
				continue;
			}
			x.have = 1;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '$' || p[1] == '`' ||
				    p[1] == '"' || p[1] == '\\')) {
					addc(&x, p[1], 1);
					p += 2;
				} else if (*p == '\\' && p[1] == '\n') {
					p += 2;
				} else if (*p == '$') {
					p++;
					p += expand_param(&x, p, 1);
				} else if (*p == '`') {
					p++;
					p += expand_subst(&x, p, 1, 1);
				} else
					addc(&x, *p++, 1);
			}
			if (*p)
				p++;
		} else if (*p == '$') {
			p++;
			p += expand_param(&x, p, 0);
		} else if (*p == '`') {
			p++;
			p += expand_subst(&x, p, 1, 0);
		} else
			addc(&x, *p++, 0);
	}
	field_end(&x);
}

static void expand_word(const char *w, struct strv *out)
{
	expand_word_x(w, out, 0);
}

/* A case pattern: expanded, quoted characters escaped for match(). */
static char *expand_pattern(const char *w)
{
	struct strv f = { NULL, 0, 0 };
	char *r;

	expand_word_x(w, &f, EXP_PATTERN);
	r = f.n > 0 ? f.v[0] : xstrdup("");
	if (f.n > 0) {
		f.v[0] = NULL;
		f.n = 0;
	}
	strv_free(&f);
	return r;
}

/*
 * ${...} at s (pointing at '{'): ${name} ${#name} ${name[:]-word}
 * ${name[:]=word} ${name[:]+word} ${name[:]?word} ${name%pat} ${name%%pat}
 * ${name#pat} ${name##pat}.  Returns the characters consumed.
 */
static size_t expand_braced(struct expander *x, const char *s, int quoted)
{
	const char *end = skip_brace(s + 1), *p = s + 1, *op;
	char *name = NULL, *val = NULL, *word = NULL;
	int length = 0, set;
	size_t n = 0, consumed;

	if (end == NULL) {
		add_text(x, "${", quoted);
		return 1;
	}
	consumed = (size_t)(end - s);
	end--;				/* at the closing '}' */
	if (*p == '#' && p + 1 < end) {
		length = 1;
		p++;
	}
	if (valid_name(p, 1)) {
		while (p + n < end && valid_name(p, n + 1))
			n++;
		name = xstrndup(p, n);
		if (var_get(name) != NULL)
			val = xstrdup(var_get(name));
	} else if (*p >= '1' && *p <= '9') {	/* ${10}: a positional parameter */
		long k = 0;
		while (p + n < end && p[n] >= '0' && p[n] <= '9')
			k = k * 10 + (p[n++] - '0');
		name = xstrndup(p, n);
		if (k <= params.n)
			val = xstrdup(params.v[k - 1]);
	} else if (p < end && special_param(*p) != NULL) {
		n = 1;
		name = xstrndup(p, 1);
		val = xstrdup(special_param(*p));
	} else {
		char *bad = xstrndup(s - 1, consumed + 1);
		shell_error("%s: bad substitution", bad, "");
		free(bad);
		if (!interactive)
			exit(2);
		return consumed;
	}
	op = p + n;
	set = val != NULL;
	if (length) {
		char num[32];
		snprintf(num, sizeof(num), "%lu",
		    (unsigned long)(val ? strlen(val) : 0));
		free(val);
		val = xstrdup(num);
	} else if (op < end) {
		int colon = *op == ':', twice = 0;
		char opc;
		const char *w;
		if (colon)
			op++;
		opc = *op;
		w = op + 1;
		if ((opc == '%' || opc == '#') && w < end && *w == opc) {
			twice = 1;
			w++;
		}
		word = xstrndup(w, (size_t)(end - w));
		if (colon && val != NULL && *val == '\0')
			set = 0;
		switch (opc) {
		case '-':
			if (!set) {
				free(val);
				val = expand_one(word);
			}
			break;
		case '=':
			if (!set) {
				free(val);
				val = expand_one(word);
				if (valid_name(name, strlen(name)))
					var_set(name, val, 0);
			}
			break;
		case '+':
			free(val);
			val = set ? expand_one(word) : NULL;
			break;
		case '?':
			if (!set) {
				char *msg = expand_one(word);
				shell_error("%s: %s", name,
				    *msg ? msg : "parameter not set");
				free(msg);
				if (!interactive)
					exit(2);
			}
			break;
		case '%':
		case '#':
			if (val != NULL) {
				char *pat = expand_pattern(word);
				size_t len = strlen(val), i;
				int found = 0;
				for (i = 0; i <= len && !found; i++) {
					/* candidate lengths: shortest first, or
					 * longest first when doubled */
					size_t k = twice ? len - i : i;
					if (opc == '#') {
						char c = val[k];
						val[k] = '\0';
						found = match(pat, val);
						val[k] = c;
						if (found)
							memmove(val, val + k, len - k + 1);
					} else {
						found = match(pat, val + len - k);
						if (found)
							val[len - k] = '\0';
					}
				}
				free(pat);
			}
			break;
		default: {
			char *bad = xstrndup(s - 1, consumed + 1);
			shell_error("%s: bad substitution", bad, "");
			free(bad);
			if (!interactive)
				exit(2);
		}
		}
	}
	if (val)
		add_text(x, val, quoted);
	if (quoted)
		x->have = 1;
	free(name);
	free(val);
	free(word);
	return consumed;
}

/* Expand a word that gives one string (assignment value, redirection
 * target): no field splitting, no pathname expansion. */
static char *expand_one(const char *w)
{
	struct strv f = { NULL, 0, 0 };
	struct buf b = { NULL, 0, 0 };
	int i;

	expand_word_x(w, &f, EXP_NOGLOB);
	for (i = 0; i < f.n; i++) {
		if (i)
			buf_addc(&b, ' ');
		buf_adds(&b, f.v[i]);
	}
	strv_free(&f);
	return b.s ? b.s : xstrdup("");
}

/* ---------------------------------------------------------------------
 * Redirections
 */

/* Apply redirections; if `save' is set, record the old fds there so that
 * restore_redirs() can undo them (for builtins run in the shell). */
struct saved_fd {
	int fd, copy;
};

static int move_high(int fd)
{
	int lows[10], n = 0, nfd;

	for (;;) {
		nfd = dup(fd);
		if (nfd < 0 || nfd >= 10 || n == 10)
			break;
		lows[n++] = nfd;
	}
	while (n > 0)
		close(lows[--n]);
	return nfd;
}

/* Expand a here-document body as inside double quotes, except that '"'
 * is an ordinary character. */
static char *expand_heredoc(const char *body)
{
	struct strv f = { NULL, 0, 0 };
	struct expander x;
	const char *p = body;
	char *out;

	memset(&x, 0, sizeof(x));
	x.out = &f;
	x.noglob = 1;
	x.have = 1;
	while (*p) {
		if (*p == '\\' && (p[1] == '$' || p[1] == '`' || p[1] == '\\')) {
			addc(&x, p[1], 1);
			p += 2;
		} else if (*p == '\\' && p[1] == '\n') {
			p += 2;
		} else if (*p == '$') {
			p++;
			p += expand_param(&x, p, 1);
		} else if (*p == '`') {
			p++;
			p += expand_subst(&x, p, 1, 1);
		} else
			addc(&x, *p++, 1);
	}
	field_end(&x);
	out = f.n > 0 ? f.v[0] : xstrdup("");
	if (f.n > 0)
		f.v[0] = NULL, f.n = 0;
	strv_free(&f);
	return out;
}

/* An fd open for reading on the here-document's text. */
static int heredoc_fd(struct heredoc *h)
{
	char *text = h->quoted ? xstrdup(h->body ? h->body : "")
	    : expand_heredoc(h->body ? h->body : "");
	size_t len = strlen(text);
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0) {
		free(text);
		return -1;
	}
	if (len <= 512) {
		/* fits in any pipe buffer: no writer process needed */
		if (len > 0)
			(void)write(fds[1], text, len);
	} else if ((pid = fork()) == 0) {
		size_t off = 0;
		ssize_t n;
		close(fds[0]);
		while (off < len && (n = write(fds[1], text + off, len - off)) > 0)
			off += (size_t)n;
		_exit(0);
	} else if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(text);
		return -1;
	}
	close(fds[1]);
	free(text);
	return fds[0];
}

static void script_fd_away(int fd);

static int apply_redirs(struct redir *r, struct saved_fd *save, int *nsave)
{
	for (; r != NULL; r = r->next) {
		char *target;
		int fd = -1, flags = 0;

		script_fd_away(r->fd);
		if (save != NULL && *nsave < 16) {
			int c = move_high(r->fd);
			save[*nsave].fd = r->fd;
			save[*nsave].copy = c;
			(*nsave)++;
		}
		if (r->here != NULL) {
			if ((fd = heredoc_fd(r->here)) < 0) {
				shell_error("here-document: %s", strerror(errno), "");
				return -1;
			}
			if (fd != r->fd) {
				dup2(fd, r->fd);
				close(fd);
			}
			continue;
		}
		target = expand_one(r->word);
		switch (r->op) {
		case T_LESS: flags = O_RDONLY; break;
		case T_GREAT: case T_CLOBBER:
			flags = O_WRONLY | O_CREAT | O_TRUNC; break;
		case T_DGREAT: flags = O_WRONLY | O_CREAT | O_APPEND; break;
		case T_LESSGREAT: flags = O_RDWR | O_CREAT; break;
		default: break;
		}
		if (r->op == T_LESSAND || r->op == T_GREATAND) {
			char *end;
			long src;
			if (strcmp(target, "-") == 0) {
				close(r->fd);
				free(target);
				continue;
			}
			src = strtol(target, &end, 10);
			if (*target == '\0' || *end != '\0' || src < 0) {
				shell_error("%s: bad file descriptor", target, "");
				free(target);
				return -1;
			}
			if ((int)src != r->fd && dup2((int)src, r->fd) < 0) {
				shell_error("%s: %s", target, strerror(errno));
				free(target);
				return -1;
			}
			free(target);
			continue;
		}
		fd = open(target, flags, 0666);
		if (fd < 0) {
			const char *why = strerror(errno);
			if (r->op == T_LESS)
				shell_error("cannot open %s: %s", target,
				    errno == ENOENT ? "no such file" : why);
			else
				shell_error("cannot create %s: %s", target, why);
			free(target);
			return -1;
		}
		if (fd != r->fd) {
			dup2(fd, r->fd);
			close(fd);
		}
		free(target);
	}
	return 0;
}

static void restore_redirs(struct saved_fd *save, int nsave)
{
	while (nsave-- > 0) {
		if (save[nsave].copy >= 0) {
			dup2(save[nsave].copy, save[nsave].fd);
			close(save[nsave].copy);
		} else
			close(save[nsave].fd);
	}
}

/* ---------------------------------------------------------------------
 * Running commands
 */

static void run_list(struct andor *list);
static int run_string(const char *text, int top);

/* The exit status of a wait status, without a message. */
static int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* The same for a foreground command: one killed by a signal other than
 * SIGINT and SIGPIPE is reported with the signal's description, as NetBSD's
 * sh does ("Terminated", "Segmentation fault (core dumped)"). */
static int status_of(int st)
{
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		if (sig != SIGINT && sig != SIGPIPE) {
			fflush(stdout);
			fprintf(stderr, "%s%s\n", strsignal(sig),
			    WCOREDUMP(st) ? " (core dumped)" : "");
		}
	}
	return exit_status(st);
}

static void default_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/*
 * A script file is read a block at a time as its commands are needed (as
 * NetBSD's sh does), not all at once: commands before a syntax error run, a
 * script that exits early reads no further, and a large one costs no memory.
 * Its descriptor sits at 10 or above, close-on-exec, and moves out of the
 * way when a redirection names it.
 */
static int script_fd = -1;
static char script_buf[1024];
static size_t script_pos, script_len;

static void use_script_fd(int fd)
{
	int nfd = fd >= 10 ? fd : fcntl(fd, F_DUPFD, 10);

	if (nfd < 0)
		nfd = fd;
	else if (nfd != fd)
		close(fd);
	(void)fcntl(nfd, F_SETFD, FD_CLOEXEC);
	if (script_fd >= 0 && script_fd != nfd)
		close(script_fd);
	script_fd = nfd;
	script_pos = script_len = 0;
}

/* A redirection is about to replace descriptor `fd'. */
static void script_fd_away(int fd)
{
	int nfd;

	if (script_fd < 0 || fd != script_fd)
		return;
	if ((nfd = fcntl(script_fd, F_DUPFD, 10)) >= 0) {
		(void)fcntl(nfd, F_SETFD, FD_CLOEXEC);
		close(script_fd);
		script_fd = nfd;
	}
}

/* The script's next byte, or -1 at its end. */
static int script_getc(void)
{
	if (script_pos == script_len) {
		ssize_t n;
		while ((n = read(script_fd, script_buf, sizeof(script_buf))) < 0 &&
		    errno == EINTR)
			;
		if (n <= 0)
			return -1;
		script_len = (size_t)n;
		script_pos = 0;
	}
	return (unsigned char)script_buf[script_pos++];
}

static void run_stdin(void);

/*
 * execve refused `path' with ENOEXEC (no #!, not an executable format): as
 * POSIX asks, run it as a shell script in this (already forked) shell, with
 * $0 the command name and the arguments as positional parameters.  A file
 * with a NUL byte in its first 512 bytes is binary, not a script: errno is
 * left at ENOEXEC and the caller reports the error as before.
 */
static void run_noexec_script(const char *path, char **argv)
{
	char head[512];
	ssize_t n;
	int fd, i;

	if ((fd = open(path, O_RDONLY)) < 0)
		return;
	n = read(fd, head, sizeof(head));
	if (n < 0 || (n > 0 && memchr(head, '\0', (size_t)n) != NULL) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		errno = ENOEXEC;
		return;
	}
	use_script_fd(fd);
	strv_free(&params);
	for (i = 1; argv[i] != NULL; i++)
		strv_add(&params, xstrdup(argv[i]));
	arg0 = argv[0];
	func_depth = 0;
	loop_depth = 0;
	interactive = 0;
	last_status = 0;
	run_stdin();
	fflush(stdout);
	exit(last_status);
}

/* Execute a program by name, searching PATH; returns only on error. */
static void exec_program(char **argv, char **envp)
{
	const char *path, *p;
	int eacces = 0;
	struct buf b;

	if (strchr(argv[0], '/') != NULL) {
		execve(argv[0], argv, envp);
		if (errno == ENOEXEC)
			run_noexec_script(argv[0], argv);
		if (errno == ENOENT) {
			shell_error("%s: not found", argv[0], "");
			_exit(127);
		}
		shell_error("%s: %s", argv[0], strerror(errno));
		_exit(126);
	}
	path = var_get("PATH");
	if (path == NULL)
		path = "/bin:/usr/bin:/sbin:/usr/sbin";
	for (p = path;; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		memset(&b, 0, sizeof(b));
		if (len == 0)
			buf_addc(&b, '.');
		else {
			char *dir = xstrndup(p, len);
			buf_adds(&b, dir);
			free(dir);
		}
		buf_addc(&b, '/');
		buf_adds(&b, argv[0]);
		execve(b.s, argv, envp);
		if (errno == ENOEXEC) {
			/* a script without #!: run it with this shell */
			run_noexec_script(b.s, argv);
			shell_error("%s: %s", argv[0], strerror(errno));
			_exit(126);
		}
		if (errno == EACCES)
			eacces = 1;
		free(b.s);
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	if (eacces) {
		shell_error("%s: Permission denied", argv[0], "");
		_exit(126);
	}
	shell_error("%s: not found", argv[0], "");
	_exit(127);
}

/* Builtins: return status, or -1 when `name' is not a builtin. */

static int bi_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : var_get("HOME");
	char cwd[PATH_MAX];
	int print = 0;

	if (dir == NULL) {
		shell_error("cd: HOME not set", "", "");
		return 1;
	}
	if (strcmp(dir, "-") == 0) {
		dir = var_get("OLDPWD");
		if (dir == NULL) {
			shell_error("cd: OLDPWD not set", "", "");
			return 1;
		}
		print = 1;
	}
	if (chdir(dir) < 0) {
		shell_error("cd: can't cd to %s", dir, "");
		return 2;
	}
	if (var_get("PWD"))
		var_set("OLDPWD", var_get("PWD"), 0);
	if (getcwd(cwd, sizeof(cwd)) != NULL) {
		var_set("PWD", cwd, 0);
		if (print)
			printf("%s\n", cwd);
	}
	return 0;
}

static int bi_pwd(void)
{
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		shell_error("pwd: %s", strerror(errno), "");
		return 1;
	}
	printf("%s\n", cwd);
	return 0;
}

static int bi_echo(int argc, char **argv)
{
	int i = 1, nl = 1;
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		nl = 0;
		i++;
	}
	for (; i < argc; i++) {
		fputs(argv[i], stdout);
		if (i + 1 < argc)
			putchar(' ');
	}
	if (nl)
		putchar('\n');
	return 0;
}

static int bi_export(int argc, char **argv, int unexport)
{
	int i, rv = 0;
	struct var *v;

	if (argc == 1 && !unexport) {
		for (v = vars; v != NULL; v = v->next)
			if (v->exported)
				printf("export %s='%s'\n", v->name,
				    v->value ? v->value : "");
		return 0;
	}
	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		size_t nl = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		char *name;
		if (!valid_name(argv[i], nl)) {
			shell_error("%s: bad variable name", argv[i], "");
			rv = 1;
			continue;
		}
		name = xstrndup(argv[i], nl);
		if (unexport)
			var_unset(name);
		else
			var_set(name, eq ? eq + 1 : NULL, 1);
		free(name);
	}
	return rv;
}

/* ---------------------------------------------------------------------
 * test / [ (a builtin: the userland has no separate test program).
 * Primaries: -e -f -d -r -w -x -s -L -h -b -c -p -S -n -z -t, s1 = s2,
 * s1 != s2, n1 -eq -ne -lt -le -gt -ge n2, a bare string; ! -a -o ( ).
 * Status 0 true, 1 false, 2 error.
 */

struct testp {
	char **argv;
	int argc, i;
	int error;
};

static int test_or(struct testp *t);

static const char *targ(struct testp *t)
{
	return t->i < t->argc ? t->argv[t->i] : NULL;
}

static long long test_int(struct testp *t, const char *s)
{
	char *end;
	long long v;
	while (*s == ' ' || *s == '\t')
		s++;
	errno = 0;
	v = strtoll(s, &end, 10);
	while (end != s && (*end == ' ' || *end == '\t'))
		end++;
	if (end == s || *end != '\0') {
		shell_error("test: %s: bad number", s, "");
		t->error = 1;
	} else if (errno == ERANGE) {
		shell_error("test: %s: out of range", s, "");
		t->error = 1;
	}
	return v;
}

static int test_unary(struct testp *t, char op, const char *arg)
{
	struct stat st;

	switch (op) {
	case 'n': return arg[0] != '\0';
	case 'z': return arg[0] == '\0';
	case 't': return isatty((int)test_int(t, arg));
	case 'r': return access(arg, R_OK) == 0;
	case 'w': return access(arg, W_OK) == 0;
	case 'x': return access(arg, X_OK) == 0;
	case 'L': case 'h':
		return lstat(arg, &st) == 0 && S_ISLNK(st.st_mode);
	}
	if (stat(arg, &st) < 0)
		return 0;
	switch (op) {
	case 'e': return 1;
	case 'f': return S_ISREG(st.st_mode);
	case 'd': return S_ISDIR(st.st_mode);
	case 's': return st.st_size > 0;
	case 'b': return S_ISBLK(st.st_mode);
	case 'c': return S_ISCHR(st.st_mode);
	case 'p': return S_ISFIFO(st.st_mode);
	case 'S': return S_ISSOCK(st.st_mode);
	}
	t->error = 1;
	return 0;
}

static int is_unary_op(const char *s)
{
	return s != NULL && s[0] == '-' && s[1] != '\0' && s[2] == '\0' &&
	    strchr("nztrwxLhefsdbcpS", s[1]) != NULL;
}

static int is_binary_op(const char *s)
{
	static const char *const ops[] = { "=", "!=", "-eq", "-ne", "-lt",
	    "-le", "-gt", "-ge", NULL };
	int i;
	for (i = 0; s != NULL && ops[i] != NULL; i++)
		if (strcmp(s, ops[i]) == 0)
			return 1;
	return 0;
}

static int test_primary(struct testp *t)
{
	const char *a = targ(t);

	if (a == NULL) {
		t->error = 1;
		return 0;
	}
	if (strcmp(a, "!") == 0 && t->i + 1 < t->argc) {
		t->i++;
		return !test_primary(t);
	}
	if (strcmp(a, "(") == 0 && t->i + 1 < t->argc &&
	    !is_binary_op(t->i + 1 < t->argc ? t->argv[t->i + 1] : NULL)) {
		int v;
		t->i++;
		v = test_or(t);
		if (targ(t) == NULL || strcmp(targ(t), ")") != 0)
			t->error = 1;
		else
			t->i++;
		return v;
	}
	/* binary operators take precedence: "-n = -n" compares strings */
	if (t->i + 2 < t->argc + 0 && is_binary_op(t->argv[t->i + 1])) {
		const char *l = a, *op = t->argv[t->i + 1], *r = t->argv[t->i + 2];
		long long x, y;
		t->i += 3;
		if (strcmp(op, "=") == 0)
			return strcmp(l, r) == 0;
		if (strcmp(op, "!=") == 0)
			return strcmp(l, r) != 0;
		x = test_int(t, l);
		y = test_int(t, r);
		if (strcmp(op, "-eq") == 0) return x == y;
		if (strcmp(op, "-ne") == 0) return x != y;
		if (strcmp(op, "-lt") == 0) return x < y;
		if (strcmp(op, "-le") == 0) return x <= y;
		if (strcmp(op, "-gt") == 0) return x > y;
		return x >= y;
	}
	if (is_unary_op(a) && t->i + 1 < t->argc) {
		const char *arg = t->argv[t->i + 1];
		t->i += 2;
		return test_unary(t, a[1], arg);
	}
	t->i++;
	return a[0] != '\0';
}

static int test_and(struct testp *t)
{
	int v = test_primary(t);
	while (targ(t) != NULL && strcmp(targ(t), "-a") == 0) {
		t->i++;
		v = test_primary(t) && v;
	}
	return v;
}

static int test_or(struct testp *t)
{
	int v = test_and(t);
	while (targ(t) != NULL && strcmp(targ(t), "-o") == 0) {
		t->i++;
		v = test_and(t) || v;
	}
	return v;
}

static int bi_test(int argc, char **argv)
{
	struct testp t;
	int v;

	if (strcmp(argv[0], "[") == 0) {
		if (strcmp(argv[argc - 1], "]") != 0) {
			shell_error("[: missing ]", "", "");
			return 2;
		}
		argc--;
	}
	t.argv = argv + 1;
	t.argc = argc - 1;
	t.i = 0;
	t.error = 0;
	if (t.argc == 0)
		return 1;
	v = test_or(&t);
	if (t.i < t.argc && !t.error) {
		shell_error("test: %s: unexpected operator", t.argv[t.i], "");
		return 2;
	}
	return t.error ? 2 : !v;
}

static char *read_file(const char *path);

/* read [-r] [name ...]: one line from standard input, a byte at a time,
 * split at IFS white space; the last name gets the rest of the line. */
static int bi_read(int argc, char **argv)
{
	struct buf line = { NULL, 0, 0 };
	int raw = 0, i = 1, got = 0, eof = 0, nnames, k;
	const char *p;
	char c;

	if (i < argc && strcmp(argv[i], "-r") == 0) {
		raw = 1;
		i++;
	}
	for (;;) {
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			eof = 1;
			break;
		}
		got = 1;
		if (c == '\n')
			break;
		if (c == '\\' && !raw) {
			if (read(0, &c, 1) <= 0) {
				eof = 1;
				break;
			}
			if (c == '\n')
				continue;	/* line continuation */
		}
		buf_addc(&line, c);
	}
	nnames = argc - i;
	p = line.s ? line.s : "";
	if (nnames == 0) {
		var_set("REPLY", p, 0);
	} else {
		for (k = 0; k < nnames; k++) {
			const char *start, *stop;
			char *v;
			while (*p && is_ifs_space(*p))
				p++;
			start = p;
			if (k == nnames - 1) {
				stop = p + strlen(p);
				while (stop > start && is_ifs_space(stop[-1]))
					stop--;
			} else {
				while (*p && !is_ifs_space(*p))
					p++;
				stop = p;
			}
			v = xstrndup(start, (size_t)(stop - start));
			var_set(argv[i + k], v, 0);
			free(v);
		}
	}
	free(line.s);
	(void)got;
	return eof ? 1 : 0;		/* end of file, even after a partial line */
}

/* Signal names, for kill (written out: the host build has no sys_signame). */
static const struct { const char *name; int num; } signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
#ifdef SIGEMT
	{ "EMT", SIGEMT },
#endif
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "BUS", SIGBUS },
	{ "SEGV", SIGSEGV }, { "SYS", SIGSYS }, { "PIPE", SIGPIPE },
	{ "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "URG", SIGURG },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "CONT", SIGCONT },
	{ "CHLD", SIGCHLD }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "IO", SIGIO }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
#ifdef SIGINFO
	{ "INFO", SIGINFO },
#endif
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
#ifdef SIGPWR
	{ "PWR", SIGPWR },
#endif
};
#define NSIGNAMES ((int)(sizeof(signames) / sizeof(signames[0])))

static const char *signal_name(int sig)
{
	int i;
	for (i = 0; i < NSIGNAMES; i++)
		if (signames[i].num == sig)
			return signames[i].name;
	return NULL;
}

/* A signal by name (TERM, SIGTERM, term) or number; -1 if unknown. */
static int signal_number(const char *s)
{
	int i;

	if (*s >= '0' && *s <= '9') {
		char *end;
		long v = strtol(s, &end, 10);
		return *end == '\0' && v >= 0 && v < NSIG ? (int)v : -1;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < NSIGNAMES; i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].num;
	return -1;
}

/* kill [-s name | -name | -num] pid ...   kill -l [status] */
static int builtin_kill(int argc, char **argv)
{
	int sig = SIGTERM, i = 1, rv = 0;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		if (argc > 2) {
			char *end;
			long v = strtol(argv[2], &end, 10);
			const char *nm = NULL;
			if (v > 128)
				v -= 128;
			if (argv[2][0] < '0' || argv[2][0] > '9' || *end != '\0' ||
			    v >= NSIG || (nm = signal_name((int)v)) == NULL) {
				shell_error("kill: unknown signal %s%s", argv[2], "");
				return 1;
			}
			printf("%s\n", nm);
			return 0;
		}
		int col = 0;
		for (int k = 1; k < NSIG; k++) {
			const char *nm = signal_name(k);
			if (nm == NULL)
				continue;
			printf("%s%s", col ? " " : "", nm);
			if (++col == 8) {
				putchar('\n');
				col = 0;
			}
		}
		if (col)
			putchar('\n');
		return 0;
	}
	if (i < argc && strcmp(argv[i], "-s") == 0) {
		if (i + 1 >= argc) {
			shell_error("kill: option requires an argument -- s%s", "", "");
			return 1;
		}
		if ((sig = signal_number(argv[i + 1])) < 0) {
			shell_error("kill: unknown signal %s%s", argv[i + 1], "");
			return 1;
		}
		i += 2;
	} else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0' &&
	    strcmp(argv[i], "--") != 0) {
		if ((sig = signal_number(argv[i] + 1)) < 0) {
			shell_error("kill: unknown signal %s%s", argv[i] + 1, "");
			return 1;
		}
		i++;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: kill [-s signal_name] pid ...\n");
		return 1;
	}
	for (; i < argc; i++) {
		char *end;
		long pid = strtol(argv[i], &end, 10);
		if (*argv[i] == '\0' || *end != '\0') {
			shell_error("kill: illegal process id: %s%s", argv[i], "");
			rv = 1;
			continue;
		}
		if (kill((pid_t)pid, sig) < 0) {
			shell_error("kill: %s: %s", argv[i], strerror(errno));
			rv = 1;
		}
	}
	return rv;
}

/*
 * ulimit [-HS] [-a | -tfdscmlpnv] [limit]: the resource limits, in the units
 * and with the names NetBSD's sh uses (-a: one "%-20s value" line each;
 * "unlimited" for RLIM_INFINITY).  -H and -S pick the hard or soft limit
 * (both are set when neither is given; the soft one is shown); the default
 * resource is -f.
 */
#ifndef RLIMIT_AS
#define RLIMIT_AS 10
#endif
static const struct ulim {
	const char *name;
	int res;
	int factor;
	char opt;
} ulims[] = {
	{ "time(seconds)", RLIMIT_CPU, 1, 't' },
	{ "file(blocks)", RLIMIT_FSIZE, 512, 'f' },
	{ "data(kbytes)", RLIMIT_DATA, 1024, 'd' },
	{ "stack(kbytes)", RLIMIT_STACK, 1024, 's' },
	{ "coredump(blocks)", RLIMIT_CORE, 512, 'c' },
	{ "memory(kbytes)", RLIMIT_RSS, 1024, 'm' },
	{ "locked memory(kbytes)", RLIMIT_MEMLOCK, 1024, 'l' },
	{ "process(processes)", RLIMIT_NPROC, 1, 'p' },
	{ "nofiles(descriptors)", RLIMIT_NOFILE, 1, 'n' },
	{ "vmemory(kbytes)", RLIMIT_AS, 1024, 'v' },
	{ NULL, 0, 0, 0 }
};

static void ulimit_print(rlim_t v, int factor)
{
	if (v == RLIM_INFINITY)
		printf("unlimited\n");
	else
		printf("%llu\n", (unsigned long long)(v / (rlim_t)factor));
}

static int bi_ulimit(int argc, char **argv)
{
	const struct ulim *u = NULL;
	int hard = 0, soft = 0, all = 0, i = 1;
	char what = 'f';
	struct rlimit rl;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *o = argv[i] + 1;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (; *o; o++) {
			if (*o == 'H')
				hard = 1;
			else if (*o == 'S')
				soft = 1;
			else if (*o == 'a')
				all = 1;
			else if (strchr("tfdscmlpnv", *o) != NULL)
				what = *o;
			else {
				char c[2] = { *o, 0 };
				shell_error("ulimit: illegal option -- %s%s", c, "");
				return 2;
			}
		}
	}
	if (!hard && !soft)
		hard = soft = 2;        /* set both, show the soft one */
	if (all) {
		if (i < argc) {
			shell_error("ulimit: too many arguments%s%s", "", "");
			return 2;
		}
		for (u = ulims; u->name; u++) {
			if (getrlimit(u->res, &rl) < 0)
				continue;
			printf("%-20s ", u->name);
			ulimit_print(soft ? rl.rlim_cur : rl.rlim_max, u->factor);
		}
		return 0;
	}
	for (u = ulims; u->opt != what; u++)
		;
	if (getrlimit(u->res, &rl) < 0) {
		shell_error("ulimit: %s%s", strerror(errno), "");
		return 1;
	}
	if (i >= argc) {
		ulimit_print(soft ? rl.rlim_cur : rl.rlim_max, u->factor);
		return 0;
	}
	if (i + 1 < argc) {
		shell_error("ulimit: too many arguments%s%s", "", "");
		return 2;
	}
	{
		rlim_t v = 0;
		const char *p = argv[i];
		if (strcmp(p, "unlimited") == 0)
			v = RLIM_INFINITY;
		else {
			if (*p == '\0')
				goto bad;
			for (; *p; p++) {
				if (*p < '0' || *p > '9' || v > (RLIM_INFINITY - 9) / 10)
					goto bad;
				v = v * 10 + (rlim_t)(*p - '0');
			}
			if (v > RLIM_INFINITY / (rlim_t)u->factor)
				goto bad;
			v *= (rlim_t)u->factor;
		}
		if (hard)
			rl.rlim_max = v;
		if (soft)
			rl.rlim_cur = v;
		if (setrlimit(u->res, &rl) < 0) {
			shell_error("ulimit: error setting limit (%s)%s", strerror(errno), "");
			return 1;
		}
		return 0;
	bad:
		shell_error("ulimit: bad number: %s%s", argv[i], "");
		return 2;
	}
}

/*
 * A builtin's numeric operand: decimal digits only (no sign, no blanks), as
 * NetBSD's sh takes them.  Anything else is reported as
 * "sh: NAME: Illegal number: ARG"; returns -1 then.
 */
static long builtin_number(const char *name, const char *s)
{
	long v = 0;
	const char *p = s;

	if (*p == '\0')
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (0x7fffffffL - 9) / 10)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	return v;
bad:
	shell_error("%s: Illegal number: %s", name, s);
	return -1;
}

/* An error in a special builtin: a non-interactive shell exits with 2. */
static int special_error(void)
{
	if (!interactive) {
		fflush(stdout);
		exit(2);
	}
	return 2;
}

static int run_builtin(int argc, char **argv, int *is_builtin)
{
	const char *n = argv[0];

	*is_builtin = 1;
	if (strcmp(n, "cd") == 0)
		return bi_cd(argc, argv);
	if (strcmp(n, "pwd") == 0)
		return bi_pwd();
	if (strcmp(n, "echo") == 0)
		return bi_echo(argc, argv);
	if (strcmp(n, "export") == 0)
		return bi_export(argc, argv, 0);
	if (strcmp(n, "unset") == 0)
		return bi_export(argc, argv, 1);
	if (strcmp(n, ":") == 0 || strcmp(n, "true") == 0)
		return 0;
	if (strcmp(n, "false") == 0)
		return 1;
	if (strcmp(n, "exit") == 0) {
		long st = last_status;
		if (argc > 1 && (st = builtin_number(n, argv[1])) < 0)
			st = 2;
		fflush(stdout);
		exit((int)(st & 0xff));
	}
	if (strcmp(n, "set") == 0) {
		int i = 1, has_args = 0;
		/* options: -e (errexit), -x (xtrace); +e +x turn them off */
		for (; i < argc && (argv[i][0] == '-' || argv[i][0] == '+') &&
		    argv[i][1] != '\0'; i++) {
			const char *o;
			if (strcmp(argv[i], "--") == 0) {
				i++;
				has_args = 1;
				break;
			}
			for (o = argv[i] + 1; *o; o++) {
				int on = argv[i][0] == '-';
				if (*o == 'e')
					opt_errexit = on;
				else if (*o == 'x')
					opt_xtrace = on;
				else if (*o != 'u' && *o != 'f' && *o != 'v') {
					shell_error("set: illegal option -%.1s%s", o, "");
					return 2;
				}
			}
		}
		if (i < argc)
			has_args = 1;
		if (!has_args && i > 1)
			return 0;
		if (argc == 1) {
			struct var *v;
			for (v = vars; v != NULL; v = v->next)
				if (v->value)
					printf("%s='%s'\n", v->name, v->value);
			return 0;
		}
		strv_free(&params);
		for (; i < argc; i++)
			strv_add(&params, xstrdup(argv[i]));
		return 0;
	}
	if (strcmp(n, "break") == 0 || strcmp(n, "continue") == 0) {
		long k = 1;
		if (argc > 1 && (k = builtin_number(n, argv[1])) < 0)
			return special_error();
		if (k < 1) {
			shell_error("%s: Illegal number: %s", n, argv[1]);
			return special_error();
		}
		if (k > loop_depth)
			k = loop_depth;
		if (n[0] == 'b')
			loop_break = k;
		else
			loop_continue = k;
		return 0;
	}
	if (strcmp(n, "test") == 0 || strcmp(n, "[") == 0)
		return bi_test(argc, argv);
	if (strcmp(n, "read") == 0)
		return bi_read(argc, argv);
	if (strcmp(n, "eval") == 0) {
		struct buf b = { NULL, 0, 0 };
		int k;
		for (k = 1; k < argc; k++) {
			if (k > 1)
				buf_addc(&b, ' ');
			buf_adds(&b, argv[k]);
		}
		last_status = 0;
		if (b.s != NULL)
			run_string(b.s, 0);
		free(b.s);
		return last_status;
	}
	if (strcmp(n, ".") == 0) {
		char *text;
		if (argc < 2) {
			shell_error(".: file name required", "", "");
			return 2;
		}
		if ((text = read_file(argv[1])) == NULL) {
			shell_error(".: cannot open %s: %s", argv[1],
			    strerror(errno));
			if (!interactive)
				exit(2);
			return 2;
		}
		last_status = 0;
		run_string(text, 0);
		free(text);
		return last_status;
	}
	if (strcmp(n, "return") == 0) {
		long st = last_status;
		if (argc > 1 && (st = builtin_number(n, argv[1])) < 0)
			return special_error();
		st &= 0xff;
		if (func_depth == 0) {
			shell_error("return: not in a function", "", "");
			return 1;
		}
		func_return = 1;
		return (int)st;
	}
	if (strcmp(n, "wait") == 0) {
		/* wait [pid]: for one background job, or all of them */
		int st = 0, rv = 0;
		pid_t w;
		if (argc > 1) {
			long lpid = builtin_number(n, argv[1]);
			pid_t pid = (pid_t)lpid;
			int k;
			if (lpid < 0)
				return 2;
			for (k = 0; k < ndone_jobs; k++) {
				if (done_jobs[k].pid == (long)pid) {
					st = done_jobs[k].status;
					memmove(done_jobs + k, done_jobs + k + 1,
					    (size_t)(ndone_jobs - k - 1) *
					    sizeof(done_jobs[0]));
					ndone_jobs--;
					return exit_status(st);
				}
			}
			while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
				;
			return w < 0 ? 127 : exit_status(st);
		}
		while ((w = waitpid(-1, &st, 0)) > 0 || (w < 0 && errno == EINTR))
			;
		ndone_jobs = 0;
		return rv;
	}
	if (strcmp(n, "kill") == 0)
		return builtin_kill(argc, argv);
	if (strcmp(n, "ulimit") == 0)
		return bi_ulimit(argc, argv);
	if (strcmp(n, "shift") == 0) {
		long k = 1;
		int i;
		if (argc > 1 && (k = builtin_number(n, argv[1])) < 0)
			return special_error();
		if (k > params.n) {
			shell_error("shift: can't shift that many", "", "");
			return special_error();
		}
		for (i = 0; i < k; i++)
			free(params.v[i]);
		memmove(params.v, params.v + k,
		    (size_t)(params.n - k + 1) * sizeof(char *));
		params.n -= k;
		return 0;
	}
	*is_builtin = 0;
	return -1;
}

static int is_builtin_name(const char *n)
{
	static const char *const names[] = { "cd", "pwd", "echo", "export",
	    "unset", ":", "true", "false", "exit", "set", "shift", "wait",
	    "break", "continue", "test", "[", "return", "read", "eval", ".",
	    "kill", "ulimit", NULL };
	int i;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(n, names[i]) == 0)
			return 1;
	return 0;
}

/* POSIX special builtins: found before functions. */
static int is_special_builtin(const char *n)
{
	static const char *const names[] = { "break", "continue", ":", "exec",
	    "exit", "export", "return", "set", "shift", "unset", "eval", ".",
	    NULL };
	int i;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(n, names[i]) == 0)
			return 1;
	return 0;
}

static int is_assignment(const char *w)
{
	const char *eq = strchr(w, '=');
	return eq != NULL && valid_name(w, (size_t)(eq - w));
}

static int run_compound(struct command *c)
{
	int status = 0, i;

	switch (c->type) {
	case N_IF:
		in_condition++;
		run_list(c->cond);
		in_condition--;
		if (loop_break || loop_continue)
			return last_status;
		if (last_status == 0) {
			run_list(c->body);
			status = last_status;
		} else if (c->elsepart != NULL) {
			run_list(c->elsepart);
			status = last_status;
		}
		return status;
	case N_WHILE:
	case N_UNTIL:
	case N_FOR: {
		struct strv items = { NULL, 0, 0 };
		int round = 0;
		if (c->type == N_FOR) {
			if (c->for_in)
				for (i = 0; i < c->words.n; i++)
					expand_word(c->words.v[i], &items);
			else
				for (i = 0; i < params.n; i++)
					strv_add(&items, xstrdup(params.v[i]));
		}
		loop_depth++;
		for (;; round++) {
			if (c->type == N_FOR) {
				if (round >= items.n)
					break;
				var_set(c->var, items.v[round], 0);
			} else {
				in_condition++;
				run_list(c->cond);
				in_condition--;
				if (loop_break || loop_continue)
					goto loop_control;
				if ((last_status == 0) != (c->type == N_WHILE))
					break;
			}
			run_list(c->body);
			status = last_status;
loop_control:
			if (func_return)
				break;
			if (loop_break) {
				loop_break--;
				break;
			}
			if (loop_continue) {
				if (--loop_continue > 0)
					break;
			}
		}
		loop_depth--;
		strv_free(&items);
		return status;
	}
	case N_BRACE:
		run_list(c->body);
		return last_status;
	case N_CASE: {
		char *subject = expand_one(c->words.v[0]);
		int k, j;
		for (k = 0; k < c->nitems; k++) {
			for (j = 0; j < c->items[k].pats.n; j++) {
				char *pat = expand_pattern(c->items[k].pats.v[j]);
				int m = match(pat, subject);
				free(pat);
				if (m) {
					free(subject);
					last_status = 0;
					run_list(c->items[k].body);
					return last_status;
				}
			}
		}
		free(subject);
		return 0;
	}
	case N_FUNCDEF: {
		struct func *f = func_find(c->var);
		if (f == NULL) {
			f = xmalloc(sizeof(*f));
			f->name = xstrdup(c->var);
			f->next = funcs;
			funcs = f;
		}
		f->body = c->func;
		keep_ast = 1;
		return 0;
	}
	default:
		return 0;
	}
}

/* A compound command with its redirections; ( list ) in a new process. */
static int run_compound_redir(struct command *c, int in_child)
{
	struct saved_fd save[16];
	int nsave = 0, status, st;
	pid_t pid;

	if (c->type == N_SUBSHELL && !in_child) {
		fflush(stdout);
		fflush(stderr);
		if ((pid = fork()) < 0) {
			shell_error("fork: %s", strerror(errno), "");
			return 2;
		}
		if (pid == 0) {
			default_signals();
			if (apply_redirs(c->redirs, NULL, &nsave) < 0)
				_exit(1);
			run_list(c->body);
			fflush(stdout);
			_exit(last_status);
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return status_of(st);
	}
	if (apply_redirs(c->redirs, in_child ? NULL : save, &nsave) < 0) {
		if (!in_child)
			restore_redirs(save, nsave);
		return 1;
	}
	if (c->type == N_SUBSHELL) {
		run_list(c->body);
		status = last_status;
	} else
		status = run_compound(c);
	fflush(stdout);
	if (!in_child)
		restore_redirs(save, nsave);
	return status;
}

/*
 * Run one simple command.  in_child: we are already a forked pipeline
 * member (so exec directly, no fork).  Returns the status.
 */
static int run_command(struct command *c, int in_child)
{
	struct strv argv = { NULL, 0, 0 }, assigns = { NULL, 0, 0 };
	struct saved_fd save[16];
	int nsave = 0, i = 0, status = 0, isb = 0;
	pid_t pid;

	if (c->type != N_SIMPLE)
		return run_compound_redir(c, in_child);
	subst_status = -1;
	for (; i < c->words.n && is_assignment(c->words.v[i]); i++) {
		char *eq = strchr(c->words.v[i], '=');
		struct buf b = { NULL, 0, 0 };
		char *val = expand_one(eq + 1);
		buf_adds(&b, "");
		for (const char *q = c->words.v[i]; q <= eq; q++)
			buf_addc(&b, *q);
		buf_adds(&b, val);
		free(val);
		strv_add(&assigns, b.s);
	}
	for (; i < c->words.n; i++)
		expand_word(c->words.v[i], &argv);
	if (opt_xtrace) {
		fflush(stdout);
		fputc('+', stderr);
		for (i = 0; i < assigns.n; i++)
			fprintf(stderr, " %s", assigns.v[i]);
		for (i = 0; i < argv.n; i++)
			fprintf(stderr, " %s", argv.v[i]);
		fputc('\n', stderr);
	}

	if (argv.n == 0) {
		/* assignments only (and maybe redirections) */
		for (i = 0; i < assigns.n; i++) {
			char *eq = strchr(assigns.v[i], '=');
			*eq = '\0';
			var_set(assigns.v[i], eq + 1, 0);
			*eq = '=';
		}
		/* the status is that of the last command substitution */
		status = subst_status >= 0 ? subst_status : 0;
		if (apply_redirs(c->redirs, in_child ? NULL : save, &nsave) < 0)
			status = 1;
		if (!in_child)
			restore_redirs(save, nsave);
		strv_free(&assigns);
		return status;
	}

	if (func_find(argv.v[0]) != NULL && !is_special_builtin(argv.v[0])) {
		struct func *f = func_find(argv.v[0]);
		struct strv saved = params, args = { NULL, 0, 0 };
		for (i = 1; i < argv.n; i++)
			strv_add(&args, xstrdup(argv.v[i]));
		if (apply_redirs(c->redirs, in_child ? NULL : save, &nsave) < 0)
			status = 1;
		else {
			params = args;
			func_depth++;
			status = run_compound_redir(f->body, in_child);
			func_depth--;
			func_return = 0;
			strv_free(&params);
			params = saved;
		}
		fflush(stdout);
		if (!in_child)
			restore_redirs(save, nsave);
		strv_free(&argv);
		strv_free(&assigns);
		return status;
	}

	if (strcmp(argv.v[0], "exec") == 0) {
		if (apply_redirs(c->redirs, NULL, &nsave) < 0) {
			strv_free(&argv);
			strv_free(&assigns);
			return 1;
		}
		if (argv.n > 1) {
			fflush(stdout);
			default_signals();
			exec_program(argv.v + 1, build_env(&assigns));
		}
		strv_free(&argv);
		strv_free(&assigns);
		return 0;
	}

	if (!in_child && is_builtin_name(argv.v[0])) {
		if (apply_redirs(c->redirs, save, &nsave) < 0)
			status = 1;
		else
			status = run_builtin(argv.n, argv.v, &isb);
		fflush(stdout);
		restore_redirs(save, nsave);
		strv_free(&argv);
		strv_free(&assigns);
		return status;
	}
	if (!in_child) {
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			shell_error("fork: %s", strerror(errno), "");
			strv_free(&argv);
			strv_free(&assigns);
			return 2;
		}
		if (pid == 0) {
			default_signals();
			if (apply_redirs(c->redirs, NULL, &nsave) < 0)
				_exit(1);
			exec_program(argv.v, build_env(&assigns));
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = 0x7f00;
				break;
			}
		}
		strv_free(&argv);
		strv_free(&assigns);
		return status_of(status);
	}

	/* in a pipeline child */
	if (apply_redirs(c->redirs, NULL, &nsave) < 0)
		_exit(1);
	status = run_builtin(argv.n, argv.v, &isb);
	if (isb) {
		fflush(stdout);
		_exit(status);
	}
	exec_program(argv.v, build_env(&assigns));
	_exit(127);
}

static int run_pipeline(struct pipeline *p)
{
	pid_t *pids;
	int i, infd = -1, status = 0, st;

	if (p->n == 1) {
		status = run_command(&p->cmds[0], 0);
		return p->negate ? !status : status;
	}
	pids = xmalloc((size_t)p->n * sizeof(pid_t));
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < p->n; i++) {
		int fds[2] = { -1, -1 };
		if (i + 1 < p->n && pipe(fds) < 0) {
			shell_error("pipe: %s", strerror(errno), "");
			status = 2;
			pids[i] = -1;
			break;
		}
		pids[i] = fork();
		if (pids[i] < 0) {
			shell_error("fork: %s", strerror(errno), "");
			if (fds[0] >= 0) {
				close(fds[0]);
				close(fds[1]);
			}
			status = 2;
			break;
		}
		if (pids[i] == 0) {
			default_signals();
			if (infd >= 0) {
				dup2(infd, 0);
				close(infd);
			}
			if (fds[1] >= 0) {
				dup2(fds[1], 1);
				close(fds[1]);
				close(fds[0]);
			}
			_exit(run_command(&p->cmds[i], 1));
		}
		if (infd >= 0)
			close(infd);
		if (fds[1] >= 0)
			close(fds[1]);
		infd = fds[0];
	}
	if (infd >= 0)
		close(infd);
	{
		int nstarted = i, last = -1, j;
		if (nstarted < p->n && pids[nstarted] > 0)
			nstarted++;
		for (j = 0; j < nstarted; j++) {
			if (pids[j] <= 0)
				continue;
			while (waitpid(pids[j], &st, 0) < 0 && errno == EINTR)
				;
			last = st;
		}
		if (status == 0 && last != -1)
			status = status_of(last);
	}
	free(pids);
	return p->negate ? !status : status;
}

static void run_andor(struct andor *a)
{
	int i;

	if (a->background) {
		pid_t pid;
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			struct andor copy = *a;
			int fd;
			copy.background = 0;
			copy.next = NULL;
			if (!interactive) {
				signal(SIGINT, SIG_IGN);
				signal(SIGQUIT, SIG_IGN);
			}
			if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
				dup2(fd, 0);
				if (fd != 0)
					close(fd);
			}
			run_andor(&copy);
			fflush(stdout);
			_exit(last_status);
		}
		if (pid < 0) {
			shell_error("fork: %s", strerror(errno), "");
			last_status = 2;
			return;
		}
		last_bg = (long)pid;
		last_status = 0;
		return;
	}
	{
		int ran_last = 0;
		for (i = 0; i < a->n; i++) {
			int last = i == a->n - 1;
			if (i > 0 && a->ops[i - 1] == T_AND && last_status != 0)
				continue;
			if (i > 0 && a->ops[i - 1] == T_OR && last_status == 0)
				continue;
			in_condition += !last;
			last_status = run_pipeline(&a->pipes[i]);
			in_condition -= !last;
			ran_last = last;
		}
		/* set -e: a failed command that is not being tested ends the shell */
		if (opt_errexit && ran_last && !in_condition && last_status != 0 &&
		    !a->pipes[a->n - 1].negate) {
			fflush(stdout);
			exit(last_status);
		}
	}
}

static void run_list(struct andor *list)
{
	int st;
	for (; list != NULL; list = list->next) {
		if (loop_break || loop_continue || func_return)
			break;
		run_andor(list);
		/* reap finished background jobs, keeping their status */
		{
			pid_t w;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0)
				record_done(w, st);
		}
	}
}

/* Parse and run a program text; returns -1 on syntax error. */
static int run_string(const char *text, int top)
{
	int perr;
	struct andor *list = parse_program(text, &perr);

	(void)top;
	if (list == NULL && perr) {
		if (perr == 2)
			shell_error("syntax error: unexpected end of file", "", "");
		last_status = 2;
		return -1;
	}
	{
		int outer = keep_ast;	/* eval and '.' run programs inside one */
		keep_ast = 0;
		run_list(list);
		dispose_program(list);
		keep_ast = outer;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Input
 */

/* Read one line from fd 0 a byte at a time (so that commands run from
 * the shell see the rest of the input).  Returns 0 at EOF with nothing. */
static int read_line(struct buf *b)
{
	char c;
	ssize_t n;
	int got = 0;

	for (;;) {
		if (script_fd >= 0) {
			int ch = script_getc();
			n = ch < 0 ? 0 : 1;
			c = (char)ch;
		} else
			n = read(0, &c, 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0)
			return got;
		got = 1;
		buf_addc(b, c);
		if (c == '\n')
			return 1;
	}
}

static void prompt(const char *which)
{
	if (interactive) {
		fputs(which, stderr);
		fflush(stderr);
	}
}

static void run_stdin(void)
{
	for (;;) {
		struct buf b = { NULL, 0, 0 };
		int perr, got;
		struct andor *list;

		prompt(var_get("PS1") ? var_get("PS1")
		    : geteuid() == 0 ? "# " : "$ ");
		got = read_line(&b);
		if (!got) {
			if (interactive)
				fputc('\n', stderr);
			free(b.s);
			break;
		}
		for (;;) {
			list = parse_program(b.s, &perr);
			if (list != NULL || perr != 2)
				break;
			prompt(var_get("PS2") ? var_get("PS2") : "> ");
			if (!read_line(&b))
				break;
		}
		if (list == NULL && perr) {
			if (perr == 2)
				shell_error("syntax error: unexpected end of file",
				    "", "");
			last_status = 2;
			free(b.s);
			if (!interactive)
				break;
			continue;
		}
		keep_ast = 0;
		run_list(list);
		dispose_program(list);
		free(b.s);
		fflush(stdout);
	}
}

static char *read_file(const char *path)
{
	struct buf b = { NULL, 0, 0 };
	char chunk[4096];
	ssize_t n, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		for (i = 0; i < n; i++)
			buf_addc(&b, chunk[i]);
	close(fd);
	return b.s ? b.s : xstrdup("");
}

static void usage(void)
{
	fprintf(stderr, "usage: sh [-c command [name [arg ...]]] [file [arg ...]]\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	const char *cmd = NULL;
	int i = 1, force_i = 0, force_s = 0;

	import_environ();
	if (argc > 0 && argv[0] != NULL)
		arg0 = argv[0];
	if (var_get("PATH") == NULL)
		var_set("PATH", "/bin:/usr/bin:/sbin:/usr/sbin", 1);
	if (var_get("PWD") == NULL) {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) != NULL)
			var_set("PWD", cwd, 1);
	}
	/* options: -c, -i, -s; "-" or "--" ends them */
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *o;
		int want_cmd = 0;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (o = argv[i] + 1; *o; o++) {
			switch (*o) {
			case 'c': want_cmd = 1; break;
			case 'i': force_i = 1; break;
			case 's': force_s = 1; break;
			case 'e': opt_errexit = 1; break;
			case 'x': opt_xtrace = 1; break;
			case 'u': break;	/* accepted */
			default:
				fprintf(stderr, "sh: Illegal option -%c\n", *o);
				usage();
			}
		}
		if (want_cmd) {
			if (++i >= argc) {
				fprintf(stderr, "sh: -c requires an argument\n");
				exit(2);
			}
			cmd = argv[i];
			i++;
			break;
		}
	}

	if (cmd != NULL) {
		if (i < argc)
			arg0 = argv[i++];
		for (; i < argc; i++)
			strv_add(&params, xstrdup(argv[i]));
		run_string(cmd, 1);
		fflush(stdout);
		return last_status;
	}
	if (i < argc && !force_s) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "sh: cannot open %s: %s\n", argv[i],
			    errno == ENOENT ? "No such file or directory"
			    : strerror(errno));
			return 127;
		}
		arg0 = argv[i++];
		progname = arg0;
		for (; i < argc; i++)
			strv_add(&params, xstrdup(argv[i]));
		use_script_fd(fd);
		interactive = 0;
		run_stdin();
		fflush(stdout);
		return last_status;
	}
	for (; i < argc; i++)
		strv_add(&params, xstrdup(argv[i]));
	interactive = force_i || (isatty(0) && isatty(2));
	if (interactive) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	run_stdin();
	fflush(stdout);
	return last_status;
}
