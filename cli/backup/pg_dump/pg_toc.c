/*
 * pg_toc.c — a custom-format dump's table of contents (pg_restore --list),
 * split into the lists a restore by the scratch role uses (pg_backup.h):
 * the SCHEMA entries, then the rest without the EXTENSION entries (the
 * verifier makes the extensions, named by pg_restore's own CREATE EXTENSION
 * text, in those still empty schemas), the EVENT TRIGGER entries, and the
 * rows (TABLE DATA, SEQUENCE SET) of a table or sequence the archive does
 * not create: an extension's configuration, made and owned by it. A
 * restore (not a verification) writes one more list, of the entries the
 * restoring administrator restores itself after the scratch role: those
 * rows, grants, comments, security labels and default privileges, which
 * run no owner code and which the role may not make on objects it does not
 * own; and the event triggers (with their comments), made last of all: an
 * event trigger runs its function on any later DDL of the database.
 *
 * A list line is "ID; TABLEOID OID DESC SCHEMA NAME OWNER", DESC one or
 * more words; the part after DESC of a TABLE DATA line equals that of its
 * TABLE line (same schema, name and owner), likewise SEQUENCE SET and
 * SEQUENCE. A line left out is written with a leading ';' (a comment).
 *
 * The lists live in a private dbcare-toc-XXXXXX directory under TMPDIR,
 * flock'ed while in use; a verify killed -9 leaves it, and the next
 * verify deletes every such directory no live process holds.
 *
 * The TRIGGER entries are also written to a list of their own: pg_restore
 * writes their CREATE TRIGGER text, whose EXECUTE FUNCTION names the
 * functions of the schema dbcare the scratch role must be allowed to call
 * (an audited or soft-deleted table's triggers).
 */
#include "pg_dump.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/common/files.h"
#include "cli/common/tool.h"
#include "base/heap_grow.h"
#include "container/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The DESC of a list line and what follows it; NULL for a comment. */
static const char *entry_body(const char *line)
{
	int at = 0;
	unsigned a, b;
	if (line[0] == ';' || sscanf(line, "%*d; %u %u %n", &a, &b, &at) != 2 || at == 0)
		return NULL;
	return line + at;
}

/* body starts with the word(s) desc followed by a space: the rest. */
static const char *after(const char *body, const char *desc)
{
	size_t n = strlen(desc);
	return strncmp(body, desc, n) == 0 && body[n] == ' ' ? body + n + 1 : NULL;
}

typedef struct lines {
	char **v;
	int n;
	size_t cap;
} lines;

static int push(lines *l, const char *s)
{
	if (!dbc_heap_reserve(&l->v, (size_t)l->n + 1, &l->cap, sizeof *l->v, 64))
		return -1;
	return (l->v[l->n++] = strdup(s)) ? 0 : -1;
}

static bool has(const lines *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void lines_free(lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Runs pg_restore with args, stdout into path. */
static int restore_to(const char *const *argv, const char *path, const char *what, char **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = cli_fmt_err("cannot write ", path, strerror(errno));
		return -1;
	}
	cli_tool t = {
	    .argv = argv, .what = what, .failed = "; the dump does not restore", .out_fd = fd};
	int rc = cli_run_tool(&t, err);
	close(fd);
	return rc;
}

/* One identifier as pg_dump writes it (bare, or double-quoted with ""
 * for "); *end after it. malloc'd, NULL when s holds none. */
static char *identifier(const char *s, const char **end)
{
	char *out = malloc(strlen(s) + 1), *w = out;
	if (!out)
		return NULL;
	if (*s == '"') {
		for (s++; *s; s++) {
			if (*s == '"' && s[1] != '"')
				break;
			if (*s == '"')
				s++;
			*w++ = *s;
		}
		if (*s != '"') {
			free(out);
			return NULL;
		}
		s++;
	} else {
		while (*s && *s != ' ' && *s != ';')
			*w++ = *s++;
	}
	*w = '\0';
	*end = s;
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

/* The extensions of the dump: the CREATE EXTENSION lines pg_restore writes
 * for list (the EXTENSION entries alone). */
static int read_extensions(const char *file, const char *list, cli_pg_toc *t, char **err)
{
	char sql[4300], use[4400];
	snprintf(sql, sizeof sql, "%s/extensions.sql", t->dir);
	snprintf(use, sizeof use, "--use-list=%s", list);
	const char *argv[] = {"pg_restore", "--no-comments", use, "--file=-", "--", file, NULL};
	if (restore_to(argv, sql, "pg_restore of the dump's extensions", err) != 0)
		return -1;
	FILE *f = fopen(sql, "r");
	char line[2048];
	static const char head[] = "CREATE EXTENSION IF NOT EXISTS ";
	t->ext = calloc((size_t)t->next + 1, sizeof(char *));
	t->ext_schema = calloc((size_t)t->next + 1, sizeof(char *));
	int n = 0;
	while (f && t->ext && t->ext_schema && fgets(line, sizeof line, f)) {
		const char *p = line, *q;
		if (strncmp(p, head, sizeof head - 1) != 0 || n == t->next)
			continue;
		char *name = identifier(p + sizeof head - 1, &q), *schema = NULL;
		if (name && strncmp(q, " WITH SCHEMA ", 13) == 0)
			schema = identifier(q + 13, &q);
		if (!name || !schema) {
			free(name);
			continue;
		}
		t->ext[n] = name;
		t->ext_schema[n++] = schema;
	}
	if (f)
		fclose(f);
	t->next = n;
	if (!t->ext || !t->ext_schema) {
		*err = cli_fmt_err("out of memory", NULL, NULL);
		return -1;
	}
	return 0;
}

/* Adds name to t->dbcare_fns unless it is there. */
static int add_function(cli_pg_toc *t, const char *name, size_t n)
{
	for (int i = 0; i < t->nfns; i++)
		if (strlen(t->dbcare_fns[i]) == n && strncmp(t->dbcare_fns[i], name, n) == 0)
			return 0;
	if (!dbc_heap_reserve(&t->dbcare_fns, (size_t)t->nfns + 1, &t->cap_fns, sizeof *t->dbcare_fns,
	                      8))
		return -1;
	return (t->dbcare_fns[t->nfns++] = strndup(name, n)) ? 0 : -1;
}

/* The functions of the schema dbcare the dump's triggers call: the first
 * "EXECUTE FUNCTION dbcare.NAME(" after each CREATE TRIGGER of the SQL
 * pg_restore writes for list (the TRIGGER entries). dbcare's functions are
 * lowercase names pg_dump never quotes; whatever a quoted table name could
 * make this read, the grant is only ever of dbcare's own trigger functions
 * (pg_dump_verify.c). */
static int read_trigger_functions(const char *file, const char *list, cli_pg_toc *t, char **err)
{
	char sql[4300], use[4400];
	snprintf(sql, sizeof sql, "%s/triggers.sql", t->dir);
	snprintf(use, sizeof use, "--use-list=%s", list);
	const char *argv[] = {"pg_restore", "--no-comments", use, "--file=-", "--", file, NULL};
	if (restore_to(argv, sql, "pg_restore of the dump's triggers", err) != 0)
		return -1;
	FILE *f = fopen(sql, "r");
	char line[8192];
	static const char call[] = "EXECUTE FUNCTION dbcare.";
	int rc = f ? 0 : -1;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		const char *p = strstr(line, call);
		if (strncmp(line, "CREATE ", 7) != 0 || !p)
			continue;
		p += sizeof call - 1;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (n > 0 && n < 64 && p[n] == '(')
			rc = add_function(t, p, n);
	}
	if (f)
		fclose(f);
	if (rc != 0)
		*err = cli_fmt_err("cannot read the dump's triggers in ", t->dir, strerror(errno));
	return rc;
}

/* Every line of the table of contents in (all), and the tables and
 * sequences the archive creates (made); -1 out of memory. */
static int read_toc(FILE *in, lines *made, lines *all)
{
	char line[8192];
	while (fgets(line, sizeof line, in)) {
		const char *b = entry_body(line), *r;
		if (b && (((r = after(b, "TABLE")) && !after(b, "TABLE DATA")) ||
		          ((r = after(b, "SEQUENCE")) && !after(b, "SEQUENCE SET")))) {
			char key[8300];
			snprintf(key, sizeof key, "%c %s", b[0], r);
			if (push(made, key) != 0)
				return -1;
		}
		if (push(all, line) != 0)
			return -1;
	}
	return 0;
}

/* The owner a list line names (its last word, as pg_restore writes it:
 * unquoted), into out (size n); false when it names none (an entry
 * without an owner ends with a space). */
static bool owner_of(const char *line, char *out, size_t n)
{
	size_t len = strcspn(line, "\n");
	if (len == 0 || line[len - 1] == ' ')
		return false;
	size_t from = len;
	while (from > 0 && line[from - 1] != ' ')
		from--;
	if (len - from >= n)
		return false;
	memcpy(out, line + from, len - from);
	out[len - from] = '\0';
	return true;
}

/* Adds the owner of an object the restore role restores (not an
 * extension, an event trigger or an extension's configuration rows, which
 * the administrator makes; not pg_database_owner, the database's owner
 * whoever it is) to t->owners, once. -1 out of memory. */
static int note_owner(cli_pg_toc *t, const char *line)
{
	char owner[256];
	if (!owner_of(line, owner, sizeof owner) || strcmp(owner, "pg_database_owner") == 0)
		return 0;
	for (int i = 0; i < t->nowners; i++)
		if (strcmp(t->owners[i], owner) == 0)
			return 0;
	char *copy = strdup(owner);
	if (!copy || !dbc_heap_reserve(&t->owners, (size_t)t->nowners + 1, &t->cap_owners,
	                               sizeof *t->owners, 4)) {
		free(copy);
		return -1;
	}
	t->owners[t->nowners++] = copy;
	return 0;
}

/* Writes the lists from the table of contents in toc. */
static int split(const char *toc, cli_pg_toc *t, char *exts, const char *triggers, int *ntrig,
                 char **err)
{
	FILE *in = fopen(toc, "r"), *sch = fopen(t->schemas, "w"), *rest = fopen(t->rest, "w");
	FILE *ext = fopen(exts, "w"), *trg = fopen(triggers, "w");
	FILE *untrg = fopen(t->rest_untriggered, "w"), *adm = fopen(t->admin, "w");
	FILE *evt = fopen(t->events, "w");
	lines made = {0}, all = {0};
	int rc = -1;
	bool have_toc =
	    in && sch && rest && ext && trg && untrg && adm && evt && read_toc(in, &made, &all) == 0;
	for (int i = 0; have_toc && i < all.n; i++) {
		const char *l = all.v[i], *b = entry_body(l), *r;
		FILE *to = rest;
		bool drop = false, trigger = false, admin = false, event = false;
		const char *of = NULL;
		if (b && (after(b, "ACL") || after(b, "DEFAULT ACL") || (of = after(b, "COMMENT")) ||
		          (of = after(b, "SECURITY LABEL"))))
			admin = true; /* in rest too: the scratch role's restore skips them */
		/* an event trigger's comment or label goes with it, made last */
		if (of && strncmp(of, "- EVENT TRIGGER ", 16) == 0)
			admin = false, event = true;
		if (b && after(b, "SCHEMA")) {
			to = sch;
			t->nschemas++;
		} else if (b && after(b, "EXTENSION")) {
			to = ext;
			t->next++;
		} else if (b && after(b, "EVENT TRIGGER"))
			event = drop = true;
		else if (b && after(b, "TRIGGER")) {
			fputs(l, trg);
			(*ntrig)++;
			trigger = true;
		} else if (b && ((r = after(b, "TABLE DATA")) || (r = after(b, "SEQUENCE SET")))) {
			char key[8300];
			snprintf(key, sizeof key, "%c %s", b[0], r);
			admin = drop = !has(&made, key);
		}
		fprintf(to, "%s%s", drop ? ";" : "", l);
		fprintf(adm, "%s%s", admin ? "" : ";", l);
		fprintf(evt, "%s%s", event ? "" : ";", l);
		bool by_admin = event || (b && after(b, "EXTENSION")) || (drop && !trigger && admin);
		if (b && !by_admin && (of == NULL || strncmp(of, "- EXTENSION ", 12) != 0) &&
		    note_owner(t, l) != 0)
			have_toc = false;
		t->nevents += b && after(b, "EVENT TRIGGER");
		if (to == rest)
			fprintf(untrg, "%s%s", drop || trigger ? ";" : "", l);
	}
	if (have_toc)
		rc = ferror(sch) || ferror(rest) || ferror(ext) || ferror(trg) || ferror(untrg) ||
		             ferror(adm) || ferror(evt)
		         ? -1
		         : 0;
	if (in)
		fclose(in);
	if (sch && fclose(sch) != 0)
		rc = -1;
	if (rest && fclose(rest) != 0)
		rc = -1;
	if (ext && fclose(ext) != 0)
		rc = -1;
	if (trg && fclose(trg) != 0)
		rc = -1;
	if (untrg && fclose(untrg) != 0)
		rc = -1;
	if (adm && fclose(adm) != 0)
		rc = -1;
	if (evt && fclose(evt) != 0)
		rc = -1;
	if (rc != 0)
		*err = cli_fmt_err("cannot write the restore lists in ", t->dir, strerror(errno));
	lines_free(&made);
	lines_free(&all);
	return rc;
}

#define TOC_PREFIX "dbcare-toc-"

/* Whether a dbcare-toc-XXXXXX directory under tmp is a leftover: this
 * user's, not a link, and no live verify holds its flock (each holds it
 * from just after mkdtemp to the removal). An empty one younger than a
 * minute may be in that moment between the two: left for a later run. */
static bool toc_leftover(const char *path, int *fd)
{
	struct stat st;
	*fd = -1;
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return false;
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0 || flock(*fd, LOCK_EX | LOCK_NB) != 0)
		return false;
	DIR *d = opendir(path);
	bool empty = true;
	for (struct dirent *e; d && empty && (e = readdir(d));)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	if (d)
		closedir(d);
	return !(empty && time(NULL) - st.st_mtime < 60);
}

/* Deletes the list directories killed verifies left under tmp. */
static void sweep_tocs(const char *tmp)
{
	DIR *d = opendir(tmp);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, TOC_PREFIX, strlen(TOC_PREFIX)) != 0 ||
		    strlen(e->d_name) != strlen(TOC_PREFIX) + 6)
			continue;
		char path[4400];
		int fd;
		snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
		if (toc_leftover(path, &fd))
			cli_remove_tree(path, false);
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

int cli_pg_toc_read(const char *file, cli_pg_toc *t, char **err)
{
	memset(t, 0, sizeof *t);
	t->lock_fd = -1;
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	sweep_tocs(tmp);
	snprintf(t->dir, sizeof t->dir, "%s/" TOC_PREFIX "XXXXXX", tmp);
	if (!mkdtemp(t->dir)) {
		*err = cli_fmt_err("cannot make a directory under ", tmp, strerror(errno));
		t->dir[0] = '\0';
		return -1;
	}
	/* held until cli_pg_toc_free: a later run leaves a live verify's lists */
	t->lock_fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->lock_fd >= 0 && flock(t->lock_fd, LOCK_EX) != 0) {
		close(t->lock_fd);
		t->lock_fd = -1;
	}
	char toc[4300], exts[4300], triggers[4300];
	int ntrig = 0;
	snprintf(toc, sizeof toc, "%s/toc.list", t->dir);
	snprintf(exts, sizeof exts, "%s/extensions.list", t->dir);
	snprintf(triggers, sizeof triggers, "%s/triggers.list", t->dir);
	snprintf(t->schemas, sizeof t->schemas, "%s/schemas.list", t->dir);
	snprintf(t->rest, sizeof t->rest, "%s/rest.list", t->dir);
	snprintf(t->rest_untriggered, sizeof t->rest_untriggered, "%s/rest-untriggered.list", t->dir);
	snprintf(t->admin, sizeof t->admin, "%s/admin.list", t->dir);
	snprintf(t->events, sizeof t->events, "%s/events.list", t->dir);
	const char *argv[] = {"pg_restore", "--list", "--", file, NULL};
	if (restore_to(argv, toc, "pg_restore --list", err) != 0 ||
	    split(toc, t, exts, triggers, &ntrig, err) != 0 ||
	    (t->next > 0 && read_extensions(file, exts, t, err) != 0))
		return -1;
	bool dbcare = false;
	for (int i = 0; i < t->next; i++)
		dbcare = dbcare || strcmp(t->ext[i], "dbcare") == 0;
	return dbcare && ntrig > 0 ? read_trigger_functions(file, triggers, t, err) : 0;
}

void cli_pg_toc_free(cli_pg_toc *t)
{
	for (int i = 0; t->ext && i < t->next; i++) {
		free(t->ext[i]);
		free(t->ext_schema[i]);
	}
	free(t->ext);
	free(t->ext_schema);
	for (int i = 0; i < t->nfns; i++)
		free(t->dbcare_fns[i]);
	free(t->dbcare_fns);
	for (int i = 0; i < t->nowners; i++)
		free(t->owners[i]);
	free(t->owners);
	if (t->dir[0])
		cli_remove_tree(t->dir, false);
	if (t->dir[0] && t->lock_fd >= 0)
		close(t->lock_fd);
	memset(t, 0, sizeof *t);
	t->lock_fd = -1;
}

/* pg_restore with argv, its stdout in a file without a name (rewound);
 * NULL with *err when it fails. */
static FILE *restore_out(const char *const *argv, const char *what, char **err)
{
	FILE *f = tmpfile();
	if (!f) {
		*err = cli_fmt_err("cannot make a temporary file", "", strerror(errno));
		return NULL;
	}
	cli_tool t = {
	    .argv = argv, .what = what, .failed = "; the dump does not restore", .out_fd = fileno(f)};
	if (cli_run_tool(&t, err) != 0) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	return f;
}

/* The database name the archive's header names ("; dbname: NAME" in
 * pg_restore --list), and whether its entries hold the rows of
 * dbcare.database_identity (0.3.9 on: a configuration table pg_dump
 * dumps). *name malloc'd, NULL when the header names none. */
static int dump_header(const char *file, char **name, bool *has_identity, char **err)
{
	const char *argv[] = {"pg_restore", "--list", "--", file, NULL};
	FILE *f = restore_out(argv, "pg_restore --list", err);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	*name = NULL;
	*has_identity = false;
	if (!f)
		return -1;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		const char *body = entry_body(line), *rest;
		/* the header's lines: ";     dbname: shop" */
		const char *db = line[0] == ';' ? line + 1 + strspn(line + 1, " \t") : NULL;
		if (db && strncmp(db, "dbname: ", 8) == 0 && !*name && !(*name = strdup(db + 8)))
			break;
		if (body && (rest = after(body, "TABLE DATA")) &&
		    strncmp(rest, "dbcare database_identity ", 25) == 0)
			*has_identity = true;
	}
	free(line);
	fclose(f);
	return 0;
}

/* The value of column col in the one row of a COPY block pg_restore
 * wrote (text format: tab-separated fields); NULL when there is not
 * exactly one row or no such column. malloc'd. */
static char *copied_field(FILE *f, const char *col)
{
	char *line = NULL, *out = NULL;
	size_t cap = 0;
	ssize_t n;
	int at = -1, rows = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (at < 0 && strncmp(line, "COPY ", 5) == 0) {
			/* "COPY dbcare.database_identity (one, identity, made_at) FROM stdin;" */
			char *cols = strchr(line, '('), *end = cols ? strchr(cols, ')') : NULL;
			int i = 0;
			for (char *c = cols ? cols + 1 : NULL; c && c < end; i++) {
				size_t len = strcspn(c, ",)");
				if (len == strlen(col) && strncmp(c, col, len) == 0)
					at = i;
				c += len;
				c += strspn(c, ", ");
			}
			continue;
		}
		if (at < 0)
			continue;
		if (strcmp(line, "\\.") == 0)
			break;
		char *field = line;
		for (int i = 0; i < at && field; i++)
			field = (field = strchr(field, '\t')) ? field + 1 : NULL;
		free(out);
		out = field ? strndup(field, strcspn(field, "\t")) : NULL;
		rows++;
	}
	free(line);
	if (rows != 1) {
		free(out);
		out = NULL;
	}
	return out;
}

int cli_pg_dump_origin(const char *file, const char *published, char **origin, char **err)
{
	char *name = NULL, *identity = NULL;
	bool has_identity = false;
	*origin = NULL;
	if (dump_header(file, &name, &has_identity, err) != 0)
		return -1;
	if (has_identity && name) {
		const char *argv[] = {"pg_restore",
		                      "--data-only",
		                      "--schema=dbcare",
		                      "--table=database_identity",
		                      "--file=-",
		                      "--",
		                      file,
		                      NULL};
		FILE *f = restore_out(argv, "pg_restore of the dump's identity", err);
		if (!f) {
			free(name);
			return -1;
		}
		identity = copied_field(f, "identity");
		fclose(f);
	}
	/* a dump names no published path: the row's stands in for it */
	if (identity &&
	    asprintf(origin, DBC_CONTAINER_ORIGIN_ID "%s %s\n%s", identity, name, published) < 0)
		*origin = NULL;
	free(name);
	free(identity);
	return 0;
}
