/*
 * fuzz_migrate_version.c — migration versions (core/migrate/migrate_version.c):
 * validity, the canonical form and the ordering. The ordering must be a total
 * order (antisymmetric, transitive on triples, equal exactly when the
 * canonical forms are equal) and agree with plain numbers where they fit;
 * a name version (<digits>_<name>) sorts after every number, by its text.
 */
#include "fuzz.h"
#include "migrate/migrate_version.h"

#include <stdlib.h>

/* The first byte picks the mode: raw bytes, or bytes folded onto "0-9._" so
 * most inputs are valid versions. The rest is three versions split at '\n'. */
static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

/* Reference order for versions whose components all fit in 18 digits. */
static bool small_cmp(const char *a, const char *b, int *out)
{
	const char *pa = a, *pb = b;
	for (;;) {
		if (!*pa && !*pb) {
			*out = 0;
			return true;
		}
		unsigned long long x = 0, y = 0;
		int nx = 0, ny = 0;
		for (; *pa >= '0' && *pa <= '9'; pa++) {
			if (nx > 0 || *pa != '0')
				nx++;
			x = x * 10 + (unsigned long long)(*pa - '0');
		}
		for (; *pb >= '0' && *pb <= '9'; pb++) {
			if (ny > 0 || *pb != '0')
				ny++;
			y = y * 10 + (unsigned long long)(*pb - '0');
		}
		if (nx > 18 || ny > 18)
			return false;
		if (x != y) {
			*out = x < y ? -1 : 1;
			return true;
		}
		if (*pa)
			pa++;
		if (*pb)
			pb++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	bool fold = data[0] & 1;
	char *text = fuzz_cstr(&ctx, data + 1, size - 1);
	if (fold) {
		static const char alphabet[] = "0123456789._0000\n";
		for (char *p = text; *p; p++)
			*p = alphabet[(unsigned char)*p % (sizeof(alphabet) - 1)];
	}
	char *v[3] = {"", "", ""}, *canon[3] = {NULL, NULL, NULL};
	char *rest = text;
	for (int i = 0; i < 3 && rest; i++) {
		v[i] = rest;
		char *nl = strchr(rest, '\n');
		if (nl)
			*nl = '\0';
		rest = nl ? nl + 1 : NULL;
	}
	for (int i = 0; i < 3; i++) {
		bool valid = dbc_version_valid(v[i]);
		int rc = dbc_version_canonical(&ctx, v[i], "version", &canon[i]);
		FUZZ_ASSERT((rc == DBC_OK) == valid, "canonical succeeds exactly for valid versions");
		if (rc != DBC_OK) {
			FUZZ_ASSERT(ctx.failed && ctx.sqlstate[0], "an invalid version sets an error");
			dbc_error_clear(&ctx);
			canon[i] = NULL;
			continue;
		}
		FUZZ_ASSERT(dbc_version_valid(canon[i]), "the canonical form is valid");
		FUZZ_ASSERT(strlen(canon[i]) <= strlen(v[i]), "the canonical form is never longer");
		/* a name version (a Prisma folder's) is its own canonical form */
		FUZZ_ASSERT(dbc_version_is_name(v[i]) ? strcmp(canon[i], v[i]) == 0
		                                      : strchr(canon[i], '_') == NULL,
		            "the canonical form uses '.' only, or is the name itself");
		char *again = NULL;
		FUZZ_ASSERT(dbc_version_canonical(&ctx, canon[i], "version", &again) == DBC_OK &&
		                strcmp(again, canon[i]) == 0,
		            "the canonical form is a fixed point");
		FUZZ_ASSERT(dbc_version_cmp(v[i], canon[i]) == 0, "a version equals its canonical form");
		FUZZ_ASSERT(dbc_version_cmp(v[i], v[i]) == 0, "a version equals itself");
	}
	for (int i = 0; i < 3; i++) {
		if (!canon[i])
			continue;
		for (int j = 0; j < 3; j++) {
			if (!canon[j])
				continue;
			int c = dbc_version_cmp(v[i], v[j]);
			FUZZ_ASSERT(c >= -1 && c <= 1, "cmp returns -1, 0 or 1");
			FUZZ_ASSERT(sign(c) == -sign(dbc_version_cmp(v[j], v[i])), "cmp is antisymmetric");
			FUZZ_ASSERT((c == 0) == (strcmp(canon[i], canon[j]) == 0),
			            "equal exactly when the canonical forms are equal");
			FUZZ_ASSERT(c == dbc_version_cmp(canon[i], canon[j]),
			            "cmp of versions equals cmp of canonical forms");
			int ref;
			if (dbc_version_number(v[i]) && dbc_version_number(v[j]) && small_cmp(v[i], v[j], &ref))
				FUZZ_ASSERT(c == ref, "cmp agrees with numeric comparison");
			for (int k = 0; k < 3; k++) {
				if (!canon[k])
					continue;
				int d = dbc_version_cmp(v[j], v[k]);
				int e = dbc_version_cmp(v[i], v[k]);
				if (c <= 0 && d <= 0)
					FUZZ_ASSERT(e <= 0, "cmp is transitive (<=)");
				if (c < 0 && d <= 0)
					FUZZ_ASSERT(e < 0, "cmp is transitive (<)");
			}
		}
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
