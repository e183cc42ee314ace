/*
 * serve_host.c — which Host headers `dbcare serve` answers. A browser
 * sends the name it resolved, so a page of another site whose name is
 * rebound to this server's address (DNS rebinding) arrives with that
 * site's name: refused. Answered: an address literal (IPv4, [IPv6]: no
 * name to rebind), localhost when listening on loopback, and the names of
 * --allow-host (a comma-separated list, case-insensitive); a port, when
 * given, must be the listening one (the name is what a rebinding page
 * cannot choose). No Host at all (an HTTP/1.0 client,
 * never a browser) is answered.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool listed(const char *name, size_t len, const char *allowed)
{
	for (const char *p = allowed; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncasecmp(p, name, len) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static bool is_address(const char *name, size_t len, bool bracketed)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char addr[sizeof(struct in6_addr)];
	if (len >= sizeof buf)
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return inet_pton(bracketed ? AF_INET6 : AF_INET, buf, addr) == 1;
}

bool serve_host_allowed(const char *host, int port, bool loopback, const char *allowed)
{
	if (!host)
		return true;
	const char *name = host, *colon;
	size_t len;
	bool bracketed = host[0] == '[';
	if (bracketed) {
		const char *close = strchr(host, ']');
		if (!close)
			return false;
		name = host + 1;
		len = (size_t)(close - name);
		colon = close[1] == ':' ? close + 1 : close[1] ? host : NULL;
		if (colon == host)
			return false; /* junk after the address */
	} else {
		colon = strchr(host, ':');
		len = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || p != port)
			return false;
	}
	if (is_address(name, len, bracketed))
		return true;
	if (bracketed)
		return false;
	if (loopback && len == 9 && strncasecmp(name, "localhost", 9) == 0)
		return true;
	return listed(name, len, allowed);
}
