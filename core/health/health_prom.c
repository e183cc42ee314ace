/*
 * health_prom.c — the Prometheus exposition as a typed model: families (a
 * name, a type, a help text) of labelled samples, and its one rendering in
 * the text format 0.0.4. The module's renderers fill a model and
 * dbhealth_metrics renders it; dbcare serve merges the models of a fleet by
 * family and renders the merge here too, so no exposition text is ever read
 * back.
 *
 * Invariants: families keep the order they were first added in and each is
 * written once (HELP, TYPE, then its samples in the order added); a family
 * without samples still writes its HELP and TYPE; a sample's labels are
 * label text as dbc_prom_database_labels writes it (already escaped); a
 * number is written in its sample's format, never reformatted on a merge.
 * The JSON form (dbhealth_samples) carries the same model, in the same
 * order, so a model read back renders the very text of the one written:
 *   {"families": [{"name", "type", "help",
 *                  "samples": [{"labels", "value", "format"}]}]}
 * a value is a number, null for NaN, or "+Inf" / "-Inf".
 */
#include "health/health.h"
#include "base/json.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

void dbc_prom_init(dbc_prom *p, dbc_ctx *ctx)
{
	*p = (dbc_prom){.ctx = ctx};
}

dbc_prom_family *dbc_prom_family_of(dbc_prom *p, const char *name, const char *type,
                                    const char *help)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->families[i].name, name) == 0)
			return &p->families[i];
	if (dbc_grow(p->ctx, &p->families, p->n, &p->cap, sizeof(dbc_prom_family), 16) != DBC_OK)
		return NULL;
	dbc_prom_family *f = &p->families[p->n];
	*f = (dbc_prom_family){.name = dbc_strdup(p->ctx, name),
	                       .type = type ? dbc_strdup(p->ctx, type) : NULL,
	                       .help = help ? dbc_strdup(p->ctx, help) : NULL};
	if (!f->name || (type && !f->type) || (help && !f->help))
		return NULL;
	p->n++;
	return f;
}

int dbc_prom_add(dbc_prom *p, dbc_prom_family *f, const char *labels, double v,
                 dbc_prom_format format)
{
	if (!f || !labels)
		return DBC_ERROR;
	if (dbc_grow(p->ctx, &f->samples, f->n, &f->cap, sizeof(dbc_prom_sample), 8) != DBC_OK)
		return DBC_ERROR;
	f->samples[f->n++] = (dbc_prom_sample){.labels = labels, .value = v, .format = format};
	return DBC_OK;
}

int dbc_prom_gauge(dbc_prom *p, const char *name, const char *help, const char *labels, double v)
{
	return dbc_prom_add(p, dbc_prom_family_of(p, name, "gauge", help), labels, v, DBC_PROM_GO);
}

int dbc_prom_merge(dbc_prom *into, const dbc_prom *from)
{
	for (int i = 0; i < from->n; i++) {
		const dbc_prom_family *g = &from->families[i];
		dbc_prom_family *f = dbc_prom_family_of(into, g->name, g->type, g->help);
		if (!f)
			return DBC_ERROR;
		for (int k = 0; k < g->n; k++)
			if (dbc_prom_add(into, f, g->samples[k].labels, g->samples[k].value,
			                 g->samples[k].format) != DBC_OK)
				return DBC_ERROR;
	}
	return DBC_OK;
}

/* A number as Go's float syntax writes it (NaN, +Inf, -Inf), in format:
 * GO whole numbers plainly and others in full; MILLIS whole numbers
 * plainly and others to the millisecond; FIXED1 / FIXED3 always with 1 / 3
 * decimals. */
static void put_value(dbc_buf *b, double v, dbc_prom_format format)
{
	char num[64];
	int n;
	if (v != v)
		n = snprintf(num, sizeof num, "NaN");
	else if (v > DBL_MAX || v < -DBL_MAX)
		n = snprintf(num, sizeof num, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (format == DBC_PROM_FIXED1)
		n = snprintf(num, sizeof num, "%.1f", v);
	else if (format == DBC_PROM_FIXED3)
		n = snprintf(num, sizeof num, "%.3f", v);
	else if (format == DBC_PROM_MILLIS)
		n = snprintf(num, sizeof num, v == dbc_round(v) && v > -1e15 && v < 1e15 ? "%.0f" : "%.3f",
		             v);
	else
		n = snprintf(num, sizeof num, dbc_is_whole(v) ? "%.0f" : "%.17g", v);
	/* a finite double in %.0f may need more than num holds: then in full */
	if (n < 0 || (size_t)n >= sizeof num)
		n = snprintf(num, sizeof num, "%.17g", v);
	dbc_buf_appendn(b, num, (size_t)n);
}

/* The bytes of p's exposition, a number counted at its widest (%.17g and
 * its sign, exponent and point fit in 32 bytes; a whole number in %.0f
 * below 1e15 in 17), so that the text is written into one allocation: a
 * fleet's exposition is megabytes, rendered on every scrape. */
static size_t text_size(const dbc_prom *p)
{
	size_t n = 0;
	for (int i = 0; i < p->n; i++) {
		const dbc_prom_family *f = &p->families[i];
		size_t name = strlen(f->name);
		n += f->help ? name + strlen(f->help) + 9 : 0;
		n += f->type ? name + strlen(f->type) + 9 : 0;
		for (int k = 0; k < f->n; k++)
			n += name + strlen(f->samples[k].labels) + 4 + 32;
	}
	return n;
}

/* A family's "# HELP" or "# TYPE" line (head: "# HELP " or "# TYPE "); a
 * HELP text escapes only backslash and newline, and ours has neither. */
static void head_line(dbc_buf *b, const char *head, const char *name, size_t len, const char *text)
{
	dbc_buf_append(b, head);
	dbc_buf_appendn(b, name, len);
	dbc_buf_appendc(b, ' ');
	dbc_buf_append(b, text);
	dbc_buf_appendc(b, '\n');
}

/* Written piece by piece, no format string per line: this is the one
 * rendering of every scrape of dbcare serve. */
char *dbc_prom_text(const dbc_prom *p)
{
	dbc_buf b;
	dbc_buf_init(&b, p->ctx);
	dbc_buf_reserve(&b, text_size(p));
	for (int i = 0; i < p->n; i++) {
		const dbc_prom_family *f = &p->families[i];
		size_t name = strlen(f->name);
		if (f->help)
			head_line(&b, "# HELP ", f->name, name, f->help);
		if (f->type)
			head_line(&b, "# TYPE ", f->name, name, f->type);
		for (int k = 0; k < f->n; k++) {
			dbc_buf_appendn(&b, f->name, name);
			dbc_buf_appendc(&b, '{');
			dbc_buf_append(&b, f->samples[k].labels);
			dbc_buf_appendn(&b, "} ", 2);
			put_value(&b, f->samples[k].value, f->samples[k].format);
			dbc_buf_appendc(&b, '\n');
		}
	}
	return dbc_buf_finish(&b);
}

static const char *const format_names[] = {"go", "millis", "fixed1", "fixed3"};

static json_t *value_json(double v)
{
	if (v != v)
		return json_null();
	if (v > DBL_MAX || v < -DBL_MAX)
		return json_string(v > 0 ? "+Inf" : "-Inf");
	return json_real(v);
}

static json_t *family_json(const dbc_prom_family *f)
{
	json_t *samples = json_array();
	for (int k = 0; samples && k < f->n; k++) {
		const dbc_prom_sample *s = &f->samples[k];
		if (json_array_append_new(samples, json_pack("{s:s, s:o, s:s}", "labels", s->labels,
		                                             "value", value_json(s->value), "format",
		                                             format_names[s->format])) != 0) {
			json_decref(samples);
			return NULL;
		}
	}
	return samples ? json_pack("{s:s, s:s?, s:s?, s:o}", "name", f->name, "type", f->type, "help",
	                           f->help, "samples", samples)
	               : NULL;
}

char *dbc_prom_json(const dbc_prom *p)
{
	json_t *families = json_array();
	for (int i = 0; families && i < p->n; i++)
		if (json_array_append_new(families, family_json(&p->families[i])) != 0) {
			json_decref(families);
			families = NULL;
		}
	json_t *doc = families ? json_pack("{s:o}", "families", families) : NULL;
	if (!doc) {
		dbc_error(p->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory building the samples");
		return NULL;
	}
	char *text = dbc_json_dump(p->ctx, doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

/* A sample's value from its JSON; false when it is none of the three forms. */
static bool value_of(const json_t *v, double *out)
{
	const char *inf = json_string_value(v);
	if (json_is_null(v))
		*out = 0.0 / 0.0;
	else if (json_is_number(v))
		*out = json_number_value(v);
	else if (inf && (strcmp(inf, "+Inf") == 0 || strcmp(inf, "-Inf") == 0))
		*out = inf[0] == '+' ? DBL_MAX * 2 : -DBL_MAX * 2;
	else
		return false;
	return true;
}

static int format_of(const char *name, dbc_prom_format *out)
{
	for (int i = 0; i < (int)(sizeof format_names / sizeof format_names[0]); i++)
		if (name && strcmp(name, format_names[i]) == 0) {
			*out = (dbc_prom_format)i;
			return DBC_OK;
		}
	return DBC_ERROR;
}

static int add_json_samples(dbc_prom *p, const char *name, const json_t *samples)
{
	for (size_t k = 0; k < json_array_size(samples); k++) {
		const json_t *s = json_array_get(samples, k);
		const char *labels = json_string_value(json_object_get(s, "labels"));
		dbc_prom_format format;
		double v;
		/* found anew each time: the family may have moved */
		dbc_prom_family *f = dbc_prom_family_of(p, name, NULL, NULL);
		if (!labels || !value_of(json_object_get(s, "value"), &v) ||
		    format_of(json_string_value(json_object_get(s, "format")), &format) != DBC_OK ||
		    dbc_prom_add(p, f, dbc_strdup(p->ctx, labels), v, format) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_prom_from_json(dbc_prom *p, const char *text)
{
	json_t *doc = dbc_json_parse(p->ctx, text, "the samples");
	const json_t *families = json_object_get(doc, "families");
	int rc = doc && json_is_array(families) ? DBC_OK : DBC_ERROR;
	for (size_t i = 0; rc == DBC_OK && i < json_array_size(families); i++) {
		const json_t *f = json_array_get(families, i);
		const char *name = json_string_value(json_object_get(f, "name"));
		const json_t *samples = json_object_get(f, "samples");
		rc = name && json_is_array(samples) &&
		             dbc_prom_family_of(p, name, json_string_value(json_object_get(f, "type")),
		                                json_string_value(json_object_get(f, "help")))
		         ? add_json_samples(p, name, samples)
		         : DBC_ERROR;
	}
	json_decref(doc);
	if (rc != DBC_OK && !p->ctx->failed)
		dbc_error(p->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the samples are not the JSON of dbhealth_samples (families of name, type, "
		          "help and samples of labels, value, format)");
	return p->ctx->failed ? DBC_ERROR : rc;
}
