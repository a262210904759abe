/*
 * sh -- a small POSIX-style command interpreter (kw86 userland, written
 * from sh(1) of NetBSD and the POSIX Shell Command Language; no source of
 * any other shell was used).
 *
 *   sh [-c command_string [name [arg ...]]]
 *   sh [script [arg ...]]
 *   sh                      (commands from standard input; prompts "$ ",
 *                            or "# " for the super-user, on a terminal)
 *
 * Grammar: lists of and-or lists separated by ';', '&' or newlines;
 * and-or lists of pipelines joined by '&&' and '||'; pipelines ('!'
 * negates) of simple commands joined by '|'; simple commands of NAME=value
 * assignments, words and redirections (<, >, >|, >>, <>, n<&m, n>&m, n>&-,
 * with an optional fd number as in 2> and 2>&1).  '#' starts a comment.
 * Words: single quotes, double quotes, backslash escapes, ~ (HOME), and
 * parameters $NAME ${NAME} ${NAME:-word} ${NAME-word} $? $$ $! $# $0..$9
 * $@ $*; unquoted expansions are split into fields at IFS white space.
 * Builtins: cd, pwd, exit, exec, export, unset, set (positional params),
 * shift, echo, true, false, ':'.
 *
 * Exit status: that of the last command; 127 and "sh: foo: not found" for a
 * command that does not exist, 126 when it cannot be executed, 128+N for a
 * command killed by signal N, 2 for a syntax error.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	T_GREATAND, T_EOF
};

struct token {
	enum tok type;
	char *text;	/* T_WORD: raw word; redirections: unused */
	int fd;		/* redirections: explicit fd number or -1 */
};

struct lexer {
	const char *p;
	int incomplete;	/* input ended inside a quote or after \ */
};

static int is_meta(char c)
{
	return c == '|' || c == '&' || c == ';' || c == '<' || c == '>' ||
	    c == ' ' || c == '\t' || c == '\n' || c == '\0';
}

/* Scan one word's raw text starting at l->p; returns its end. */
static const char *scan_word(struct lexer *l, const char *p)
{
	while (!is_meta(*p)) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				l->incomplete = 1;
				return p + 1;
			}
			p += 2;
		} else if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');
			if (q == NULL) {
				l->incomplete = 1;
				return p + strlen(p);
			}
			p = q + 1;
		} else if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			if (*p == '\0') {
				l->incomplete = 1;
				return p;
			}
			p++;
		} else if (*p == '$' && p[1] == '{') {
			const char *q = strchr(p, '}');
			if (q == NULL) {
				l->incomplete = 1;
				return p + strlen(p);
			}
			p = q + 1;
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
	case '\n': t->type = T_NEWLINE; p++; break;
	case ';': t->type = T_SEMI; p++; break;
	case '&':
		if (p[1] == '&') { t->type = T_AND; p += 2; }
		else { t->type = T_AMP; p++; }
		break;
	case '|':
		if (p[1] == '|') { t->type = T_OR; p += 2; }
		else { t->type = T_PIPE; p++; }
		break;
	case '<':
		if (p[1] == '&') { t->type = T_LESSAND; p += 2; }
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
	struct redir *next;
};

struct command {
	struct strv words;	/* raw words, assignments first */
	struct redir *redirs;
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
};

static void advance(struct parser *ps)
{
	next_token(&ps->lex, &ps->tok);
}

static void syntax_error(struct parser *ps, const char *what)
{
	if (!ps->error && !ps->lex.incomplete)
		shell_error("syntax error: %s%s", what, "");
	ps->error = 1;
}

static int is_redir(enum tok t)
{
	return t == T_LESS || t == T_GREAT || t == T_DGREAT ||
	    t == T_CLOBBER || t == T_LESSGREAT || t == T_LESSAND ||
	    t == T_GREATAND;
}

static int parse_command(struct parser *ps, struct command *c)
{
	struct redir **tail = &c->redirs;

	memset(c, 0, sizeof(*c));
	for (;;) {
		if (ps->tok.type == T_WORD || ps->tok.type == T_BANG) {
			strv_add(&c->words, ps->tok.text);
			ps->tok.text = NULL;
			advance(ps);
		} else if (is_redir(ps->tok.type)) {
			struct redir *r = xmalloc(sizeof(*r));
			r->op = ps->tok.type;
			r->fd = ps->tok.fd;
			if (r->fd < 0)
				r->fd = (r->op == T_LESS || r->op == T_LESSAND ||
				    r->op == T_LESSGREAT) ? 0 : 1;
			r->next = NULL;
			r->word = NULL;
			*tail = r;
			tail = &r->next;
			advance(ps);
			if (ps->tok.type != T_WORD) {
				syntax_error(ps, "redirection without a file");
				return -1;
			}
			r->word = ps->tok.text;
			ps->tok.text = NULL;
			advance(ps);
		} else
			break;
	}
	if (c->words.n == 0 && c->redirs == NULL) {
		syntax_error(ps, "missing command");
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
		if (parse_command(ps, &p->cmds[p->n]) < 0)
			return -1;
		p->n++;
		if (ps->tok.type != T_PIPE)
			return 0;
		advance(ps);
		while (ps->tok.type == T_NEWLINE)
			advance(ps);
	}
}

static struct andor *parse_andor(struct parser *ps)
{
	struct andor *a = xmalloc(sizeof(*a));

	memset(a, 0, sizeof(*a));
	for (;;) {
		a->pipes = xrealloc(a->pipes, (size_t)(a->n + 1) * sizeof(*a->pipes));
		a->ops = xrealloc(a->ops, (size_t)(a->n + 1) * sizeof(*a->ops));
		if (parse_pipeline(ps, &a->pipes[a->n]) < 0) {
			a->n++;
			return a;
		}
		a->n++;
		if (ps->tok.type != T_AND && ps->tok.type != T_OR)
			break;
		a->ops[a->n - 1] = ps->tok.type;
		advance(ps);
		while (ps->tok.type == T_NEWLINE)
			advance(ps);
	}
	if (ps->tok.type == T_AMP)
		a->background = 1;
	return a;
}

static void free_andor(struct andor *a)
{
	while (a != NULL) {
		struct andor *next = a->next;
		int i, j;
		for (i = 0; i < a->n; i++) {
			struct pipeline *p = &a->pipes[i];
			for (j = 0; j < p->n; j++) {
				struct redir *r = p->cmds[j].redirs;
				strv_free(&p->cmds[j].words);
				while (r != NULL) {
					struct redir *rn = r->next;
					free(r->word);
					free(r);
					r = rn;
				}
			}
			free(p->cmds);
		}
		free(a->pipes);
		free(a->ops);
		free(a);
		a = next;
	}
}

/* Parse a whole program.  Returns the list (maybe empty), or NULL with
 * *status 1 for a syntax error, 2 for incomplete input. */
static struct andor *parse_program(const char *text, int *status)
{
	struct parser ps;
	struct andor *head = NULL, **tail = &head;

	memset(&ps, 0, sizeof(ps));
	ps.lex.p = text;
	*status = 0;
	advance(&ps);
	for (;;) {
		struct andor *a;
		while (ps.tok.type == T_NEWLINE || ps.tok.type == T_SEMI) {
			if (ps.tok.type == T_SEMI && head == NULL) {
				syntax_error(&ps, "unexpected ';'");
				break;
			}
			advance(&ps);
		}
		if (ps.error || ps.tok.type == T_EOF)
			break;
		a = parse_andor(&ps);
		*tail = a;
		tail = &a->next;
		if (ps.error)
			break;
		if (ps.tok.type == T_SEMI || ps.tok.type == T_AMP ||
		    ps.tok.type == T_NEWLINE)
			advance(&ps);
		else if (ps.tok.type != T_EOF) {
			syntax_error(&ps, "unexpected operator");
			break;
		}
	}
	free(ps.tok.text);
	if (ps.error || ps.lex.incomplete) {
		*status = ps.lex.incomplete ? 2 : 1;
		free_andor(head);
		return NULL;
	}
	return head;
}

/* ---------------------------------------------------------------------
 * Word expansion: raw word -> fields.
 */

struct expander {
	struct strv *out;
	struct buf cur;
	int have;	/* the current field exists (even if empty: "") */
};

static void field_end(struct expander *x)
{
	if (x->have) {
		strv_add(x->out, x->cur.s ? x->cur.s : xstrdup(""));
		x->cur.s = NULL;
		x->cur.len = x->cur.cap = 0;
		x->have = 0;
	}
}

static int is_ifs_space(char c)
{
	const char *ifs = var_get("IFS");
	if (ifs == NULL)
		ifs = " \t\n";
	return c != '\0' && strchr(ifs, c) != NULL;
}

/* Add expanded text; unquoted text is split into fields. */
static void add_text(struct expander *x, const char *s, int quoted)
{
	for (; *s; s++) {
		if (!quoted && is_ifs_space(*s)) {
			field_end(x);
			continue;
		}
		buf_addc(&x->cur, *s);
		x->have = 1;
	}
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

/* Expand the parameter at s (just after '$'); returns chars consumed. */
static size_t expand_param(struct expander *x, const char *s, int quoted)
{
	const char *val = NULL;
	char *name;
	size_t n;

	if (*s == '@' || *s == '*') {
		int i;
		for (i = 0; i < params.n; i++) {
			if (i > 0) {
				if (quoted && *s == '@') {
					field_end(x);
					x->have = 1;
				} else
					add_text(x, " ", quoted);
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
	if (*s == '{') {
		const char *end = strchr(s, '}');
		const char *op;
		size_t nl;
		if (end == NULL) {
			add_text(x, "${", quoted);
			return 1;
		}
		nl = 0;
		while (s + 1 + nl < end && s[1 + nl] != ':' && s[1 + nl] != '-' &&
		    s[1 + nl] != '=' && s[1 + nl] != '+')
			nl++;
		if (nl == 1 && !valid_name(s + 1, 1) && special_param(s[1]))
			val = special_param(s[1]);
		else {
			name = xstrndup(s + 1, nl);
			val = var_get(name);
			free(name);
		}
		op = s + 1 + nl;
		if (op < end) {
			int colon = *op == ':';
			const char *w;
			if (colon)
				op++;
			w = op + 1;
			if (*op == '-' && (val == NULL || (colon && *val == '\0'))) {
				char *word = xstrndup(w, (size_t)(end - w));
				add_text(x, word, quoted);
				free(word);
				val = NULL;
			} else if (*op == '+') {
				if (val != NULL && !(colon && *val == '\0')) {
					char *word = xstrndup(w, (size_t)(end - w));
					add_text(x, word, quoted);
					free(word);
				}
				val = NULL;
			}
		}
		if (val)
			add_text(x, val, quoted);
		if (quoted)
			x->have = 1;
		return (size_t)(end - s) + 1;
	}
	n = 0;
	while (valid_name(s, n + 1))
		n++;
	if (n == 0) {
		add_text(x, "$", 1);
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

static void expand_word(const char *w, struct strv *out)
{
	struct expander x;
	const char *p = w;

	memset(&x, 0, sizeof(x));
	x.out = out;
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
			buf_addc(&x.cur, *p++);
			x.have = 1;
		} else if (*p == '\'') {
			p++;
			x.have = 1;
			while (*p && *p != '\'')
				buf_addc(&x.cur, *p++);
			if (*p)
				p++;
		} else if (*p == '"') {
			p++;
			x.have = 1;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '$' || p[1] == '`' ||
				    p[1] == '"' || p[1] == '\\')) {
					buf_addc(&x.cur, p[1]);
					p += 2;
				} else if (*p == '\\' && p[1] == '\n') {
					p += 2;
				} else if (*p == '$') {
					p++;
					p += expand_param(&x, p, 1);
				} else
					buf_addc(&x.cur, *p++);
			}
			if (*p)
				p++;
		} else if (*p == '$') {
			p++;
			p += expand_param(&x, p, 0);
		} else {
			buf_addc(&x.cur, *p++);
			x.have = 1;
		}
	}
	field_end(&x);
}

/* Expand a word that must give one string (redirection target). */
static char *expand_one(const char *w)
{
	struct strv f = { NULL, 0, 0 };
	struct buf b = { NULL, 0, 0 };
	int i;

	expand_word(w, &f);
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

static int apply_redirs(struct redir *r, struct saved_fd *save, int *nsave)
{
	for (; r != NULL; r = r->next) {
		char *target = expand_one(r->word);
		int fd = -1, flags = 0;

		if (save != NULL && *nsave < 16) {
			int c = move_high(r->fd);
			save[*nsave].fd = r->fd;
			save[*nsave].copy = c;
			(*nsave)++;
		}
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

static int status_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		if (sig != SIGINT && sig != SIGPIPE) {
			fflush(stdout);
			fprintf(stderr, "%s: killed by signal %d\n", progname,
			    sig);
		}
		return 128 + sig;
	}
	return 1;
}

static void default_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* Execute a program by name, searching PATH; returns only on error. */
static void exec_program(char **argv, char **envp)
{
	const char *path, *p;
	int eacces = 0;
	struct buf b;

	if (strchr(argv[0], '/') != NULL) {
		execve(argv[0], argv, envp);
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
			char **nv;
			int n = 0;
			while (argv[n])
				n++;
			nv = xmalloc((size_t)(n + 2) * sizeof(char *));
			nv[0] = "sh";
			nv[1] = b.s;
			memcpy(nv + 2, argv + 1, (size_t)n * sizeof(char *));
			execve("/bin/sh", nv, envp);
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
		int st = argc > 1 ? atoi(argv[1]) & 0xff : last_status;
		fflush(stdout);
		exit(st);
	}
	if (strcmp(n, "set") == 0) {
		int i = 1;
		if (argc > 1 && strcmp(argv[1], "--") == 0)
			i++;
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
	if (strcmp(n, "shift") == 0) {
		int k = argc > 1 ? atoi(argv[1]) : 1, i;
		if (k < 0 || k > params.n) {
			shell_error("shift: can't shift that many", "", "");
			return 1;
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
	    "unset", ":", "true", "false", "exit", "set", "shift", NULL };
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

	if (argv.n == 0) {
		/* assignments only (and maybe redirections) */
		for (i = 0; i < assigns.n; i++) {
			char *eq = strchr(assigns.v[i], '=');
			*eq = '\0';
			var_set(assigns.v[i], eq + 1, 0);
			*eq = '=';
		}
		if (apply_redirs(c->redirs, in_child ? NULL : save, &nsave) < 0)
			status = 1;
		if (!in_child)
			restore_redirs(save, nsave);
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
	last_status = run_pipeline(&a->pipes[0]);
	for (i = 1; i < a->n; i++) {
		if (a->ops[i - 1] == T_AND && last_status != 0)
			continue;
		if (a->ops[i - 1] == T_OR && last_status == 0)
			continue;
		last_status = run_pipeline(&a->pipes[i]);
	}
}

static void run_list(struct andor *list)
{
	int st;
	for (; list != NULL; list = list->next) {
		run_andor(list);
		/* reap finished background jobs */
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
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
	run_list(list);
	free_andor(list);
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

		prompt(geteuid() == 0 ? "# " : "$ ");
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
			prompt("> ");
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
		run_list(list);
		free_andor(list);
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
			case 'e': case 'x': case 'u': break;	/* accepted */
			default: usage();
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
		char *text = read_file(argv[i]);
		if (text == NULL) {
			fprintf(stderr, "sh: cannot open %s: %s\n", argv[i],
			    errno == ENOENT ? "No such file or directory"
			    : strerror(errno));
			return 127;
		}
		arg0 = argv[i++];
		progname = arg0;
		for (; i < argc; i++)
			strv_add(&params, xstrdup(argv[i]));
		run_string(text, 1);
		free(text);
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
