/*
 * output.c — tables, JSON, plain lines, errors and progress.
 */
#include "output.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A character JSON text must escape. */
static bool json_special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		/* a run of plain characters in one write: the scripts of a folder
		 * (dbmigrate_add_all's argument) are mostly such runs */
		const unsigned char *run = p;
		while (*p && !json_special(*p))
			p++;
		if (p > run)
			fwrite(run, 1, (size_t)(p - run), f);
		if (!*p)
			break;
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			fprintf(f, "\\u%04x", *p);
		}
		p++;
	}
	fputc('"', f);
}

char *cli_text_escaped(const char *s)
{
	char *out = malloc(strlen(s) * 4 + 1), *p = out;
	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		const char *named = *c == '\\'   ? "\\\\"
		                    : *c == '\n' ? "\\n"
		                    : *c == '\r' ? "\\r"
		                    : *c == '\t' ? "\\t"
		                                 : NULL;
		if (named)
			p = stpcpy(p, named);
		else if (*c < 0x20 || *c == 0x7f)
			p += sprintf(p, "\\x%02X", *c);
		else
			*p++ = (char)*c;
	}
	*p = '\0';
	return out;
}

void cli_json_cell(FILE *f, const cli_rows *r, int row, int col)
{
	const char *v = cli_cell(r, row, col);
	if (!v) {
		fputs("null", f);
		return;
	}
	switch (r->types[col]) {
	case CLI_T_NUM:
	case CLI_T_BOOL:
	case CLI_T_JSON:
		/* PostgreSQL writes NaN and Infinity for floats, which JSON lacks */
		if (r->types[col] == CLI_T_NUM && strpbrk(v, "NIna"))
			cli_json_string(f, v);
		else
			fputs(v, f);
		break;
	default:
		cli_json_string(f, v);
	}
}

void cli_json_rows(FILE *f, const cli_rows *r)
{
	fputc('[', f);
	for (int i = 0; r && i < r->nrows; i++) {
		fputs(i ? ",{" : "{", f);
		for (int c = 0; c < r->ncols; c++) {
			if (c)
				fputc(',', f);
			cli_json_string(f, r->names[c]);
			fputc(':', f);
			cli_json_cell(f, r, i, c);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

/* Display width of UTF-8 text: one column per character. */
static int width(const char *s)
{
	int w = 0;
	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* A cell on one line of a table: line breaks shown as spaces. */
static void put_cell(FILE *f, const char *s, int pad)
{
	for (; s && *s; s++)
		fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, f);
	for (int i = 0; i < pad; i++)
		fputc(' ', f);
}

static void print_table(FILE *f, const cli_rows *r)
{
	int *w = calloc((size_t)r->ncols + 1, sizeof(int));
	if (!w)
		return;
	for (int c = 0; c < r->ncols; c++) {
		w[c] = width(r->names[c]);
		for (int i = 0; i < r->nrows; i++) {
			int cw = width(cli_cell(r, i, c));
			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (int c = 0; c < r->ncols; c++) {
		put_cell(f, r->names[c], c + 1 < r->ncols ? w[c] - width(r->names[c]) + 2 : 0);
	}
	fputc('\n', f);
	for (int c = 0; c < r->ncols; c++) {
		for (int k = 0; k < w[c]; k++)
			fputc('-', f);
		fputs(c + 1 < r->ncols ? "  " : "", f);
	}
	fputc('\n', f);
	for (int i = 0; i < r->nrows; i++) {
		for (int c = 0; c < r->ncols; c++) {
			const char *v = cli_cell(r, i, c);
			put_cell(f, v ? v : "", c + 1 < r->ncols ? w[c] - width(v) + 2 : 0);
		}
		fputc('\n', f);
	}
	free(w);
}

void cli_print_rows(cli_out *o, FILE *f, const cli_rows *r)
{
	if (o->format == CLI_FMT_JSON) {
		cli_json_rows(f, r);
		fputc('\n', f);
	} else if (o->format == CLI_FMT_PLAIN) {
		for (int i = 0; i < r->nrows; i++) {
			for (int c = 0; c < r->ncols; c++) {
				const char *v = cli_cell(r, i, c);
				fputs(c ? "\t" : "", f);
				put_cell(f, v ? v : "", 0);
			}
			fputc('\n', f);
		}
	} else {
		print_table(f, r);
	}
}

void cli_print_db_error(cli_out *o, const cli_db *db)
{
	cli_progress_end(o);
	const char *m = db->error.message ? db->error.message : "unknown error";
	fprintf(stderr, "%s%s\n", strncmp(m, "dbcare: ", 8) == 0 ? "" : "dbcare: ", m);
	if (db->error.detail)
		fprintf(stderr, "DETAIL: %s\n", db->error.detail);
	if (db->error.hint)
		fprintf(stderr, "HINT: %s\n", db->error.hint);
}

void cli_errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dbcare: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_note(cli_out *o, const char *fmt, ...)
{
	if (o->quiet || o->format == CLI_FMT_JSON)
		return;
	cli_progress_end(o);
	fflush(stdout); /* after what the command printed, not before */
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_progress(cli_out *o, int done, int total, const char *what)
{
	if (o->quiet || o->no_progress || total <= 0)
		return;
	if (!o->tty) {
		/* plain lines: one per step, for logs */
		if (o->progress_held && !o->held)
			o->held = open_memstream(&o->held_text, &o->held_len);
		fprintf(o->progress_held && o->held ? o->held : stderr, "[%d/%d] %s\n", done, total,
		        what ? what : "");
		return;
	}
	int bar = o->progress_width > 0 ? o->progress_width : 30;
	int fill = (int)((long long)bar * done / total);
	fputs("\r\033[K[", stderr);
	for (int i = 0; i < bar; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %d/%d %s", done, total, what ? what : "");
	fflush(stderr);
	o->progress_open = true;
}

cli_out *cli_progress_sink;

bool cli_progress_shown(const cli_out *o)
{
	return o && o->term && !o->quiet && !o->no_progress && o->format != CLI_FMT_JSON;
}

void cli_progress_text(cli_out *o, const char *fmt, ...)
{
	if (!cli_progress_shown(o))
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs(o->tty ? "\r\033[K" : "", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (o->tty) {
		fflush(stderr);
		o->progress_open = true;
	} else {
		fputc('\n', stderr);
	}
}

void cli_progress_end(cli_out *o)
{
	if (o->progress_open) {
		/* a held bar is erased: what it showed may yet be rolled back */
		fputs(o->progress_held ? "\r\033[K" : "\n", stderr);
		o->progress_open = false;
	}
}

void cli_progress_hold(cli_out *o)
{
	o->progress_held = true;
}

/* Ends holding; the lines kept back, for release to write. */
static void end_hold(cli_out *o, bool write)
{
	if (o->held) {
		fclose(o->held);
		if (write && o->held_text)
			fputs(o->held_text, stderr);
		free(o->held_text);
	}
	o->held = NULL;
	o->held_text = NULL;
	o->held_len = 0;
	o->progress_held = false;
}

void cli_progress_release(cli_out *o)
{
	end_hold(o, true);
}

void cli_progress_drop(cli_out *o)
{
	cli_progress_end(o); /* still held: the bar is erased */
	end_hold(o, false);
}

int cli_flush_stdout(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	int e = errno;
	clearerr(stdout);
	if (e)
		cli_errorf("cannot write the output: %s", strerror(e));
	else
		cli_errorf("cannot write the output");
	return -1;
}

/* A JSON value as a cell: a string as it is, anything else as JSON. */
static char *json_cell_text(const json_t *v)
{
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

void cli_print_json_table(cli_out *o, FILE *f, const json_t *doc)
{
	const json_t *first = json_is_array(doc) ? json_array_get(doc, 0) : NULL;
	bool rows = json_is_array(doc) && (json_array_size(doc) == 0 || json_is_object(first));
	if (!json_is_object(doc) && !rows) {
		char *t = json_cell_text(doc);
		fprintf(f, "%s\n", t ? t : "");
		free(t);
		return;
	}
	cli_rows r = {0};
	size_t ncols = rows ? json_object_size(first) : 2,
	       nrows = rows ? json_array_size(doc) : json_object_size(doc);
	r.ncols = (int)ncols;
	r.nrows = (int)nrows;
	r.names = calloc(ncols + 1, sizeof(char *));
	r.types = calloc(ncols + 1, sizeof(cli_type));
	r.cells = calloc(ncols * nrows + 1, sizeof(char *));
	if (!r.names || !r.types || !r.cells) {
		cli_rows_free(&r);
		return;
	}
	if (rows) {
		const char *k;
		const json_t *v;
		size_t c = 0;
		json_object_foreach((json_t *)first, k, v) r.names[c++] = strdup(k);
		for (size_t i = 0; i < nrows; i++)
			for (c = 0; c < ncols; c++)
				r.cells[i * ncols + c] =
				    json_cell_text(json_object_get(json_array_get(doc, i), r.names[c]));
	} else {
		r.names[0] = strdup("key");
		r.names[1] = strdup("value");
		const char *k;
		const json_t *v;
		size_t i = 0;
		json_object_foreach((json_t *)doc, k, v)
		{
			r.cells[i * 2] = strdup(k);
			r.cells[i * 2 + 1] = json_cell_text(v);
			i++;
		}
	}
	cli_print_rows(o, f, &r);
	cli_rows_free(&r);
}
