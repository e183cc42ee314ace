/*
 * pgtime.c — the benchmarks' PostgreSQL session: runs SQL sent on stdin over
 * one libpq connection and answers with the client-side elapsed time, so the
 * Python driver can time statements without psycopg or psql's start-up cost.
 * Protocol, one request at a time: "<nbytes>\n<sql>" in, then
 * "OK <ms> <first value of the last result, or empty>\n" or "ERR <message>\n".
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One line only: the reply protocol is line-based. */
static void print_flat(const char *s)
{
	for (; *s; s++)
		putchar(*s == '\n' || *s == '\r' ? ' ' : *s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pgtime CONNINFO < requests\n");
		return 2;
	}
	PGconn *conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "pgtime: %s", PQerrorMessage(conn));
		return 1;
	}
	/* notices (e.g. "table does not exist, skipping") would only add noise */
	PQsetNoticeProcessor(conn, NULL, NULL);
	size_t n;
	while (scanf("%zu", &n) == 1) {
		getchar(); /* the newline after the length */
		char *sql = malloc(n + 1);
		if (!sql || fread(sql, 1, n, stdin) != n)
			return 1;
		sql[n] = '\0';
		double t0 = now_ms();
		PGresult *res = PQexec(conn, sql);
		double ms = now_ms() - t0;
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			printf("OK %.3f ", ms);
			if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0)
				print_flat(PQgetvalue(res, 0, 0));
			putchar('\n');
		} else {
			printf("ERR ");
			print_flat(PQresultErrorMessage(res));
			putchar('\n');
		}
		fflush(stdout);
		PQclear(res);
		free(sql);
	}
	PQfinish(conn);
	return 0;
}
