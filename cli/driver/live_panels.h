/*
 * live_panels.h — what the live part of `dbcare serve`'s page shows of a
 * database, per engine (cli/serve/serve_live.c renders them): each panel
 * one read-only statement of the engine's own statistics views, so the
 * page needs nothing stored outside the database. A driver lists its
 * panels (cli_driver.live_panels); an engine shows only what applies to
 * it (SQLite: sizes and exact row counts, no sessions).
 */
#ifndef DBCARE_CLI_LIVE_PANELS_H
#define DBCARE_CLI_LIVE_PANELS_H

typedef struct cli_live_panel {
	const char *id;    /* the panel's element id prefix: stable, tests find it by it */
	const char *title; /* its heading */
	const char *what;  /* one sentence: what its rows are */
	/* Read-only, no parameter; every row is shown, in order. "@schema@"
	 * stands for the one cell of `locate` (a quoted schema name). */
	const char *sql;
	/* NULL, or a statement whose one cell replaces "@schema@"; no row:
	 * the panel's source is not installed, and `missing` says how. */
	const char *locate;
	const char *missing; /* how to enable the source: shown with any error of sql */
	int pid_column;      /* a session's pid: the row gets cancel and terminate; -1 none */
	int depth_column;    /* the row's depth in a tree (indents the next cell); -1 none */
} cli_live_panel;

/* At most this many statements a database are exported as metrics
 * series (serve's dbcare_query_* families): the queryid label stays
 * bounded whatever pg_stat_statements holds (its default max is 5000). */
#define CLI_QUERY_SERIES_MAX 100
/* the same number in a statement's text */
#define CLI_QUERY_SERIES_QUOTE(n) #n
#define CLI_QUERY_SERIES_TEXT(n)  CLI_QUERY_SERIES_QUOTE(n)
#define CLI_QUERY_SERIES_MAX_TEXT CLI_QUERY_SERIES_TEXT(CLI_QUERY_SERIES_MAX)

/* sql with "@schema@" replaced by schema, a quoted name (malloc'd; NULL
 * when out of memory): live_sql.c. */
char *cli_live_sql_in(const char *sql, const char *schema);

extern const char cli_pg_statements_locate[];
extern const char cli_pg_query_series[];
extern const cli_live_panel cli_pg_live_panels[];
extern const int cli_pg_live_panel_count;
extern const cli_live_panel cli_sqlite_live_panels[];
extern const int cli_sqlite_live_panel_count;

#endif
