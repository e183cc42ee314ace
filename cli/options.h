/*
 * options.h — the shape of an option's row: every option of dbcare's
 * command line is declared once (options_list.h), its row made in
 * options_table.c: its name, how its value is read and checked, the
 * commands that take it and its line in their help. main.c reads the line through
 * the table, help.c prints from it, the commands read the values it leaves
 * in cli_opts. A bad value is a usage error (exit 2) before anything is
 * opened.
 */
#ifndef DBCARE_CLI_OPTIONS_H
#define DBCARE_CLI_OPTIONS_H

#include "cli.h"

#include <stddef.h>

/* What the line says that is not a command's input: the databases named,
 * how to print, whether help was asked for. main.c turns it into
 * cli_opts once the command is known. */
typedef struct cli_option cli_option;
typedef struct cli_line {
	const char *command; /* the first argument */
	const char **dbvals; /* --db, --url in their order (room for argc) */
	int ndbvals;
	bool json, help;
	bool version;             /* --version: dbcare's own (not lint's) */
	const char *format;       /* --format as given: checked against the command */
	const cli_option **given; /* the options named, in their order (room for argc) */
	int ngiven;
} cli_line;

/* How an option's value is read (and so checked). */
typedef enum {
	CLI_OPT_FLAG,     /* no value: the bool at .field becomes true */
	CLI_OPT_TEXT,     /* the value as given: the const char * at .field */
	CLI_OPT_CHOICE,   /* one of .choices ("a|b|c"): the const char * at .field */
	CLI_OPT_COUNT,    /* a whole number from 1 to 1000000: the int at .field */
	CLI_OPT_DURATION, /* 60, 60s, 2m, 500ms, 1h, at most a year: the double at .field */
	CLI_OPT_SPAN,     /* a duration above 0 */
	CLI_OPT_AGE,      /* a span with its unit written (7 alone could be days) */
	CLI_OPT_CUSTOM,   /* .read reads and checks it */
	CLI_OPT_SWITCH,   /* no value: .read records it */
} cli_opt_type;

struct cli_option {
	const char *name;  /* --NAME */
	const char *alias; /* another --NAME for the same option (dbmate's), or NULL */
	cli_opt_type type;
	size_t field;        /* offsetof(cli_opts, ...) for the types that store */
	const char *choices; /* CHOICE: the values; DURATION, SPAN: examples for the error */
	/* CUSTOM, SWITCH: reads val (NULL for a switch) into o or line; CLI_OK, or CLI_USAGE after
	 * saying why */
	int (*read)(const cli_option *opt, const char *val, cli_opts *o, cli_line *line);
	/* The commands that take it, separated by spaces; NULL: every command
	 * (the connection and output options, in the common help). */
	const char *commands;
	/* Also taken by every other command (-d, as dbmate's users pass it to
	 * all); .commands are then the ones that read it, whose help lists it. */
	bool everywhere;
	/* --NAME alone or --NAME=V, never --NAME V: .read gets NULL alone */
	bool value_optional;
	const char *spelling, *help; /* its line in the help of .commands */
};

/* Sentinel-terminated: .name NULL. */
extern const cli_option cli_options[];

/* The option --NAME (name of len bytes, its alias too), or NULL. */
const cli_option *cli_option_find(const char *name, size_t len);
/* Whether --NAME is followed by a value (--NAME=V or --NAME V). */
bool cli_option_takes_value(const cli_option *opt);
/* Whether command may be given the option (a usage error otherwise). */
bool cli_option_taken_by(const cli_option *opt, const char *command);
/* Whether the option is one of command's own (its help lists it). */
bool cli_option_listed_for(const cli_option *opt, const char *command);
/* Reads one option's value (NULL for a flag) into o or line: CLI_OK, or
 * CLI_USAGE after a `dbcare:` error naming the option and the value. */
int cli_option_read(const cli_option *opt, const char *val, cli_opts *o, cli_line *line);
/* Whether a help shows the option: its row's line in its commands' help,
 * or the common options' text (help.c). */
bool cli_help_shows(const cli_option *opt);
/* cli_opts as the line leaves it when it names no option. */
void cli_options_defaults(cli_opts *o);

/* `dbcare: ` and the message, then where to read the usage; CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
