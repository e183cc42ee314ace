/*
 * generate_parts.c — the proof where the engine has scratch_parts
 * (SQLite): only the relations the plan touches are copied, each group of
 * related ones to a place of its own, because every ALTER TABLE makes the
 * engine read its whole schema again (issue 52: 89 % of a generation was
 * proving on a copy of every table).
 *
 * A relation (table or view, by name, live or desired) is touched when a
 * step's statement or reverse names it (or an index or trigger of it), or
 * when its objects differ between the live and desired snapshots. A view or
 * trigger that names a touched relation, or sits on one, is touched too,
 * with every relation it names (so the plan cannot break it unseen), until
 * nothing more is. Relations one step names, or one view or trigger, are
 * one part. Invariants:
 *  - what is not touched must be the same in the live and the desired
 *    snapshots (no step names it, so no step changes it): compared in
 *    memory, without a scratch place;
 *  - each part is proved as the whole copy was: its steps, in the plan's
 *    order, must reach the desired snapshot of its relations, then their
 *    reverses, newest first, the live one. Steps of different parts name
 *    no common relation, so running them apart is running them together.
 * A step that names no relation leaves the proof to the whole copy.
 */
#include "migrate/generate.h"
#include "schema/ddl_lex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A name the plan or a definition may write, and the relation it stands
 * for (an index's or trigger's name stands for its table). */
typedef struct named {
	const char *name;
	int rel;
} named;

/* The relation of each table, index and object of a model (-1: none). */
typedef struct model_rels {
	int *table, *index, *object;
} model_rels;

typedef struct parts {
	dbc_ctx *ctx;
	const dbc_schema *live, *want;
	model_rels live_rels, want_rels;
	char **rels; /* relation names, sorted, without case */
	int nrels;
	named *names; /* sorted by name, without case */
	int nnames, capnames;
	int *up;      /* union-find parent of each relation */
	bool *marked; /* touched */
	int *part;    /* a touched relation's part, -1 otherwise */
	int nparts;
} parts;

static int by_name(const void *a, const void *b)
{
	return strcasecmp(((const named *)a)->name, ((const named *)b)->name);
}

static int by_string(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int rel_of(const parts *p, const char *name)
{
	char *const *hit =
	    name ? bsearch(&name, p->rels, (size_t)p->nrels, sizeof(char *), by_string) : NULL;
	return hit ? (int)(hit - p->rels) : -1;
}

static int add_name(parts *p, const char *name, int rel)
{
	if (!name || rel < 0)
		return DBC_OK;
	if (dbc_grow(p->ctx, &p->names, p->nnames, &p->capnames, sizeof(named), 64) != DBC_OK)
		return DBC_ERROR;
	p->names[p->nnames++] = (named){name, rel};
	return DBC_OK;
}

/* The relation an object of the model belongs to: a view's own, a
 * trigger's table; -1 for other kinds. */
static int object_rel(const parts *p, const dbc_object *o)
{
	if (strcmp(o->type, "view") == 0)
		return rel_of(p, o->name);
	if (strcmp(o->type, "trigger") == 0)
		return rel_of(p, o->table);
	return -1;
}

static int collect_rels(parts *p, const dbc_schema *s, dbc_strlist *out)
{
	for (int i = 0; i < s->ntables; i++)
		if (dbc_strlist_add(p->ctx, out, s->tables[i].name) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < s->nobjects; i++)
		if (strcmp(s->objects[i].type, "view") == 0 &&
		    dbc_strlist_add(p->ctx, out, s->objects[i].name) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

static int collect_names(parts *p, const dbc_schema *s)
{
	for (int i = 0; i < s->nindexes; i++)
		if (add_name(p, s->indexes[i].name, rel_of(p, s->indexes[i].table)) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < s->nobjects; i++)
		if (add_name(p, s->objects[i].name, object_rel(p, &s->objects[i])) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* The relations of both models and the names that stand for them. */
static int index_names(parts *p)
{
	dbc_strlist all = {0};
	if (collect_rels(p, p->live, &all) != DBC_OK || collect_rels(p, p->want, &all) != DBC_OK)
		return DBC_ERROR;
	if (all.n)
		qsort(all.items, (size_t)all.n, sizeof(char *), by_string);
	p->rels = dbc_alloc(p->ctx, sizeof(char *) * (size_t)(all.n + 1));
	if (!p->rels)
		return DBC_ERROR;
	for (int i = 0; i < all.n; i++)
		if (p->nrels == 0 || strcasecmp(p->rels[p->nrels - 1], all.items[i]) != 0)
			p->rels[p->nrels++] = all.items[i];
	p->up = dbc_alloc(p->ctx, sizeof(int) * (size_t)(p->nrels + 1));
	p->part = dbc_alloc(p->ctx, sizeof(int) * (size_t)(p->nrels + 1));
	p->marked = dbc_zalloc(p->ctx, sizeof(bool) * (size_t)(p->nrels + 1));
	if (!p->up || !p->part || !p->marked)
		return DBC_ERROR;
	for (int i = 0; i < p->nrels; i++) {
		p->up[i] = i;
		if (add_name(p, p->rels[i], i) != DBC_OK)
			return DBC_ERROR;
	}
	if (collect_names(p, p->live) != DBC_OK || collect_names(p, p->want) != DBC_OK)
		return DBC_ERROR;
	if (p->nnames)
		qsort(p->names, (size_t)p->nnames, sizeof(named), by_name);
	return DBC_OK;
}

static int rels_of_model(parts *p, const dbc_schema *s, model_rels *out)
{
	out->table = dbc_alloc(p->ctx, sizeof(int) * (size_t)(s->ntables + 1));
	out->index = dbc_alloc(p->ctx, sizeof(int) * (size_t)(s->nindexes + 1));
	out->object = dbc_alloc(p->ctx, sizeof(int) * (size_t)(s->nobjects + 1));
	if (!out->table || !out->index || !out->object)
		return DBC_ERROR;
	for (int i = 0; i < s->ntables; i++)
		out->table[i] = rel_of(p, s->tables[i].name);
	for (int i = 0; i < s->nindexes; i++)
		out->index[i] = rel_of(p, s->indexes[i].table);
	for (int i = 0; i < s->nobjects; i++)
		out->object[i] = object_rel(p, &s->objects[i]);
	return DBC_OK;
}

static int root(parts *p, int r)
{
	while (p->up[r] != r)
		r = p->up[r] = p->up[p->up[r]];
	return r;
}

static void join(parts *p, int a, int b)
{
	a = root(p, a), b = root(p, b);
	if (a != b)
		p->up[a] = b;
}

/* The relations the text names, each once or more, into out (a word,
 * a quoted name or a string: a name SQLite accepts quoted either way). */
static int mentions(parts *p, const char *text, int **out, int *n, int *cap)
{
	const char *q = text ? text : "";
	for (dbc_token t = dbc_lex_next(&q); t.kind != TK_END; t = dbc_lex_next(&q)) {
		if (t.kind != TK_WORD && t.kind != TK_QIDENT && t.kind != TK_STRING)
			continue;
		char *word = t.kind == TK_STRING
		                 ? dbc_strndup(p->ctx, t.start + 1, t.len >= 2 ? t.len - 2 : 0)
		                 : dbc_lex_ident(p->ctx, t);
		if (!word)
			return DBC_ERROR;
		named key = {word, 0};
		named *hit =
		    p->nnames ? bsearch(&key, p->names, (size_t)p->nnames, sizeof(named), by_name) : NULL;
		if (!hit)
			continue;
		while (hit > p->names && strcasecmp(hit[-1].name, word) == 0)
			hit--;
		for (; hit < p->names + p->nnames && strcasecmp(hit->name, word) == 0; hit++) {
			if (dbc_grow(p->ctx, out, *n, cap, sizeof(int), 8) != DBC_OK)
				return DBC_ERROR;
			(*out)[(*n)++] = hit->rel;
		}
	}
	return DBC_OK;
}

/* Marks and joins the relations of list (and first, when >= 0). */
static bool touch(parts *p, int first, const int *list, int n)
{
	bool any = false;
	for (int i = 0; i < n; i++) {
		any |= !p->marked[list[i]];
		p->marked[list[i]] = true;
		join(p, list[0], list[i]);
	}
	if (first >= 0 && n)
		join(p, first, list[0]);
	if (first >= 0) {
		any |= !p->marked[first];
		p->marked[first] = true;
	}
	return any;
}

/* What each step names: touched, one part; *whole when a step names
 * nothing (its part is unknown). */
static int touch_steps(parts *p, const dbc_gen_plan *plan, int *step_rel, bool *whole)
{
	for (int i = 0; i < plan->n && !*whole; i++) {
		const dbc_gen_step *s = &plan->items[i];
		const char *texts[] = {s->statement, s->reverse, s->proof, s->proof_reverse};
		int *list = NULL, n = 0, cap = 0;
		for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
			if (mentions(p, texts[k], &list, &n, &cap) != DBC_OK)
				return DBC_ERROR;
		if (n == 0)
			*whole = true;
		else
			touch(p, -1, list, n), step_rel[i] = list[0];
	}
	return DBC_OK;
}

/* Each relation's objects in s (tables, indexes, objects of the kind
 * model_rels knows), as one snapshot per relation (NULL: none there). */
static int snapshots_by_rel(parts *p, const dbc_schema *s, const model_rels *r, char **out)
{
	int n = p->nrels;
	int *count = dbc_zalloc(p->ctx, sizeof(int) * (size_t)(n + 1) * 3);
	dbc_schema *mini = dbc_zalloc(p->ctx, sizeof(dbc_schema) * (size_t)(n + 1));
	if (!count || !mini)
		return DBC_ERROR;
	int *nt = count, *ni = count + n + 1, *no = count + 2 * (n + 1);
	for (int i = 0; i < s->ntables; i++)
		if (r->table[i] >= 0)
			nt[r->table[i]]++;
	for (int i = 0; i < s->nindexes; i++)
		if (r->index[i] >= 0)
			ni[r->index[i]]++;
	for (int i = 0; i < s->nobjects; i++)
		if (r->object[i] >= 0)
			no[r->object[i]]++;
	for (int k = 0; k < n; k++) {
		mini[k] = *s;
		mini[k].memo = NULL;
		mini[k].tables = dbc_alloc(p->ctx, sizeof(dbc_table) * (size_t)(nt[k] + 1));
		mini[k].indexes = dbc_alloc(p->ctx, sizeof(dbc_index) * (size_t)(ni[k] + 1));
		mini[k].objects = dbc_alloc(p->ctx, sizeof(dbc_object) * (size_t)(no[k] + 1));
		if (!mini[k].tables || !mini[k].indexes || !mini[k].objects)
			return DBC_ERROR;
		mini[k].ntables = mini[k].nindexes = mini[k].nobjects = 0;
	}
	for (int i = 0; i < s->ntables; i++)
		if (r->table[i] >= 0) {
			dbc_schema *m = &mini[r->table[i]];
			m->tables[m->ntables++] = s->tables[i];
		}
	for (int i = 0; i < s->nindexes; i++)
		if (r->index[i] >= 0) {
			dbc_schema *m = &mini[r->index[i]];
			m->indexes[m->nindexes++] = s->indexes[i];
		}
	for (int i = 0; i < s->nobjects; i++)
		if (r->object[i] >= 0) {
			dbc_schema *m = &mini[r->object[i]];
			m->objects[m->nobjects++] = s->objects[i];
		}
	for (int k = 0; k < n; k++) {
		dbc_schema *m = &mini[k];
		out[k] = NULL;
		m->captables = m->ntables, m->capindexes = m->nindexes, m->capobjects = m->nobjects;
		if ((m->ntables || m->nindexes || m->nobjects) &&
		    dbc_schema_snapshot_json(m, &out[k]) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Relations whose objects differ between the two snapshots: touched
 * (a relation renamed is one gone and one new). */
static int touch_changes(parts *p)
{
	char **live = dbc_alloc(p->ctx, sizeof(char *) * (size_t)(p->nrels + 1));
	char **want = dbc_alloc(p->ctx, sizeof(char *) * (size_t)(p->nrels + 1));
	if (!live || !want || snapshots_by_rel(p, p->live, &p->live_rels, live) != DBC_OK ||
	    snapshots_by_rel(p, p->want, &p->want_rels, want) != DBC_OK)
		return DBC_ERROR;
	for (int k = 0; k < p->nrels; k++)
		if (!live[k] || !want[k] || strcmp(live[k], want[k]) != 0)
			p->marked[k] = true;
	return DBC_OK;
}

/* Views and triggers on or naming a touched relation: touched, with what
 * they name, in their part, until nothing more is. */
static int touch_dependents(parts *p)
{
	const dbc_schema *models[] = {p->live, p->want};
	int nobj = p->live->nobjects + p->want->nobjects;
	int **lists = dbc_zalloc(p->ctx, sizeof(int *) * (size_t)(nobj + 1));
	int *counts = dbc_zalloc(p->ctx, sizeof(int) * (size_t)(nobj + 1));
	int *own = dbc_alloc(p->ctx, sizeof(int) * (size_t)(nobj + 1));
	if (!lists || !counts || !own)
		return DBC_ERROR;
	for (int m = 0, k = 0; m < 2; m++)
		for (int i = 0; i < models[m]->nobjects; i++, k++) {
			int cap = 0;
			own[k] = object_rel(p, &models[m]->objects[i]);
			if (own[k] >= 0 && mentions(p, models[m]->objects[i].definition, &lists[k], &counts[k],
			                            &cap) != DBC_OK)
				return DBC_ERROR;
		}
	for (bool more = true; more;) {
		more = false;
		for (int k = 0; k < nobj; k++) {
			if (own[k] < 0)
				continue;
			bool hit = p->marked[own[k]];
			for (int j = 0; !hit && j < counts[k]; j++)
				hit = p->marked[lists[k][j]];
			if (hit)
				more |= touch(p, own[k], lists[k], counts[k]);
		}
	}
	return DBC_OK;
}

/* A touched table whose foreign key names a touched table goes with it:
 * what changed in the child may be the parent's rename (the engine
 * rewrites the key). Untouched tables stay out: a key alone is no reason
 * to copy its table. */
static void join_keys(parts *p)
{
	const dbc_schema *models[] = {p->live, p->want};
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < models[m]->ntables; i++) {
			const dbc_table *t = &models[m]->tables[i];
			int child = rel_of(p, t->name);
			for (int k = 0; child >= 0 && p->marked[child] && k < t->nconstraints; k++) {
				int parent = t->constraints[k].kind == DBC_CON_FOREIGN_KEY
				                 ? rel_of(p, t->constraints[k].ref_table)
				                 : -1;
				if (parent >= 0 && p->marked[parent])
					join(p, child, parent);
			}
		}
}

/* ------------------------------------------------------------ models */

/* s with only the objects of relations in part k (k = -1: of relations
 * not touched, and every object of another kind), as a snapshot. */
static int restricted(parts *p, const dbc_schema *s, const model_rels *r, int k, char **json)
{
	dbc_schema m = *s;
	m.memo = NULL;
	m.tables = dbc_alloc(p->ctx, sizeof(dbc_table) * (size_t)(s->ntables + 1));
	m.indexes = dbc_alloc(p->ctx, sizeof(dbc_index) * (size_t)(s->nindexes + 1));
	m.objects = dbc_alloc(p->ctx, sizeof(dbc_object) * (size_t)(s->nobjects + 1));
	if (!m.tables || !m.indexes || !m.objects)
		return DBC_ERROR;
	m.ntables = m.nindexes = m.nobjects = 0;
#define KEEP(rel) ((rel) >= 0 ? p->part[rel] == k : k < 0)
	for (int i = 0; i < s->ntables; i++)
		if (KEEP(r->table[i]))
			m.tables[m.ntables++] = s->tables[i];
	for (int i = 0; i < s->nindexes; i++)
		if (KEEP(r->index[i]))
			m.indexes[m.nindexes++] = s->indexes[i];
	for (int i = 0; i < s->nobjects; i++)
		if (KEEP(r->object[i]))
			m.objects[m.nobjects++] = s->objects[i];
#undef KEEP
	m.captables = m.ntables, m.capindexes = m.nindexes, m.capobjects = m.nobjects;
	return dbc_schema_snapshot_json(&m, json);
}

/* The ALTER TABLE statements of a text: each makes the engine read its
 * whole schema again. */
static int alters_in(const char *text)
{
	int n = 0;
	const char *q = text ? text : "";
	for (dbc_token t = dbc_lex_next(&q); t.kind != TK_END; t = dbc_lex_next(&q))
		if (dbc_lex_is_word(t, "ALTER")) {
			const char *r = q;
			n += dbc_lex_is_word(dbc_lex_next(&r), "TABLE");
		}
	return n;
}

/* Parts proved on one place while (ALTER TABLEs run) x (relations there)
 * stays under this: a place costs about what 16 tables read again by
 * ALTER TABLEs cost (its opening, its schema read twice). */
#define BATCH_COST 16

/* Related relations (one component of the union-find) put together in
 * batches: those no ALTER TABLE changes all on one place, the others
 * while the batch's cost stays under BATCH_COST. comp[i] gives
 * relation i's component (< ncomp) or -1; on return p->part[i] its batch. */
static int batch_parts(parts *p, const dbc_gen_plan *plan, const int *step_rel, const int *comp,
                       int ncomp)
{
	int *alters = dbc_zalloc(p->ctx, sizeof(int) * (size_t)(ncomp + 1) * 3);
	if (!alters)
		return DBC_ERROR;
	int *size = alters + ncomp + 1, *batch = alters + 2 * (ncomp + 1);
	for (int i = 0; i < plan->n; i++) {
		const dbc_gen_step *s = &plan->items[i];
		alters[comp[step_rel[i]]] += alters_in(s->proof ? s->proof : s->statement) +
		                             alters_in(s->proof_reverse ? s->proof_reverse : s->reverse);
	}
	for (int i = 0; i < p->nrels; i++)
		if (comp[i] >= 0)
			size[comp[i]]++;
	int still = -1, open = -1, open_alters = 0, open_size = 0;
	p->nparts = 0;
	for (int c = 0; c < ncomp; c++) {
		if (alters[c] == 0) {
			batch[c] = still >= 0 ? still : (still = p->nparts++);
			continue;
		}
		int a = open_alters + alters[c], z = open_size + size[c];
		if (open < 0 || a * z > BATCH_COST)
			open = p->nparts++, a = alters[c], z = size[c];
		batch[c] = open, open_alters = a, open_size = z;
	}
	for (int i = 0; i < p->nrels; i++)
		p->part[i] = comp[i] >= 0 ? batch[comp[i]] : -1;
	return DBC_OK;
}

/* Each touched relation's part, numbered from 0; the parts' names. */
static int number_parts(parts *p, const dbc_gen_plan *plan, const int *step_rel,
                        dbc_strlist **names)
{
	int *of_root = dbc_alloc(p->ctx, sizeof(int) * (size_t)(p->nrels + 1) * 2);
	if (!of_root)
		return DBC_ERROR;
	int *comp = of_root + p->nrels + 1, ncomp = 0;
	for (int i = 0; i < p->nrels; i++)
		of_root[i] = -1;
	for (int i = 0; i < p->nrels; i++) {
		comp[i] = -1;
		if (!p->marked[i])
			continue;
		int r = root(p, i);
		if (of_root[r] < 0)
			of_root[r] = ncomp++;
		comp[i] = of_root[r];
	}
	if (batch_parts(p, plan, step_rel, comp, ncomp) != DBC_OK)
		return DBC_ERROR;
	*names = dbc_zalloc(p->ctx, sizeof(dbc_strlist) * (size_t)(p->nparts + 1));
	if (!*names)
		return DBC_ERROR;
	for (int i = 0; i < p->nrels; i++)
		if (p->part[i] >= 0 && dbc_strlist_add(p->ctx, &(*names)[p->part[i]], p->rels[i]) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* ------------------------------------------------------------ proof */

typedef struct part_run {
	parts *p;
	const dbc_gen_plan *plan;
	const int *step_part;
	int *steps; /* the steps of the part being proved */
} part_run;

static int prove_part(dbc_ctx *s, void *arg, int k)
{
	part_run *pr = arg;
	parts *p = pr->p;
	int n = 0;
	for (int i = 0; i < pr->plan->n; i++)
		if (pr->step_part[i] == k)
			pr->steps[n++] = i;
	char *live_json, *want_json, *live_fp, *want_fp;
	if (restricted(p, p->live, &p->live_rels, k, &live_json) != DBC_OK ||
	    restricted(p, p->want, &p->want_rels, k, &want_json) != DBC_OK ||
	    dbc_schema_fingerprint_of(s, live_json, &live_fp) != DBC_OK ||
	    dbc_schema_fingerprint_of(s, want_json, &want_fp) != DBC_OK)
		return DBC_ERROR;
	if (dbc_gen_run_steps(s, pr->plan, pr->steps, n, true) != DBC_OK ||
	    dbc_gen_reached(s, want_fp, want_json,
	                    "the generated migration does not reach the desired schema") != DBC_OK ||
	    dbc_gen_run_steps(s, pr->plan, pr->steps, n, false) != DBC_OK)
		return DBC_ERROR;
	return dbc_gen_reached(s, live_fp, live_json,
	                       "the generated down does not return to the starting schema");
}

/* What no step touches is the same in both snapshots. */
static int untouched_same(parts *p)
{
	char *live_json, *want_json;
	if (restricted(p, p->live, &p->live_rels, -1, &live_json) != DBC_OK ||
	    restricted(p, p->want, &p->want_rels, -1, &want_json) != DBC_OK)
		return DBC_ERROR;
	if (strcmp(live_json, want_json) == 0)
		return DBC_OK;
	return dbc_gen_differs(p->ctx, want_json, live_json,
	                       "the generated migration does not reach the desired schema");
}

int dbc_gen_prove_parts(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan,
                        const dbc_gen_proof_input *in, bool *whole)
{
	parts p = {.ctx = ctx, .live = in->live_model, .want = in->want_model};
	int *step_rel = dbc_alloc(ctx, sizeof(int) * (size_t)(plan->n + 1));
	int *step_part = dbc_alloc(ctx, sizeof(int) * (size_t)(plan->n + 1));
	int *steps = dbc_alloc(ctx, sizeof(int) * (size_t)(plan->n + 1));
	dbc_strlist *names;
	*whole = false;
	if (!step_rel || !step_part || !steps || index_names(&p) != DBC_OK ||
	    rels_of_model(&p, p.live, &p.live_rels) != DBC_OK ||
	    rels_of_model(&p, p.want, &p.want_rels) != DBC_OK ||
	    touch_steps(&p, plan, step_rel, whole) != DBC_OK)
		return DBC_ERROR;
	if (*whole)
		return DBC_OK;
	if (touch_changes(&p) != DBC_OK || touch_dependents(&p) != DBC_OK)
		return DBC_ERROR;
	join_keys(&p);
	if (number_parts(&p, plan, step_rel, &names) != DBC_OK || untouched_same(&p) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < plan->n; i++)
		step_part[i] = p.part[step_rel[i]];
	part_run pr = {.p = &p, .plan = plan, .step_part = step_part, .steps = steps};
	return env->scratch_parts(ctx, names, p.nparts, prove_part, &pr);
}
