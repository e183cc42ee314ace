/*
 * pg_nls_shim.c — preloaded after the sanitizer runtime into the postmaster
 * of test/harness/pg_asan_suite.sh. With the ASan runtime preloaded, an
 * uninstrumented postgres hangs in its first bindtextdomain() (glibc's
 * message-catalog lock is left unbalanced; textdomain and bindtextdomain
 * take it for writing and wait forever). The suite's cluster runs with
 * lc_messages C and needs no message catalogs, so these three calls become
 * no-ops that report success; gettext then finds no catalog and returns
 * the English text it was given.
 */
#include <stddef.h>

char *bindtextdomain(const char *domain, const char *dir);
char *bind_textdomain_codeset(const char *domain, const char *codeset);
char *textdomain(const char *domain);

char *bindtextdomain(const char *domain, const char *dir)
{
	(void)domain;
	return (char *)dir;
}

char *bind_textdomain_codeset(const char *domain, const char *codeset)
{
	(void)domain;
	return (char *)codeset;
}

char *textdomain(const char *domain)
{
	return (char *)(domain ? domain : "messages");
}
