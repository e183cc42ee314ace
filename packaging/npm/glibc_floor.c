/*
 * The glibc floor of the npm package's module (build/npm/dbcare.so, see the
 * Makefile's "npm package"): it is built on Debian 12 (glibc 2.36) and must
 * load on any Linux x86-64 with glibc 2.28 or later. Every call that glibc
 * 2.33 and 2.34 gave a new symbol version (the stat family became functions;
 * libpthread and libdl moved into libc) is linked with --wrap to a
 * __wrap_NAME here, which calls the version glibc 2.28 has:
 *
 *   - pthread_* and dl*: the same function at GLIBC_2.2.5, which 2.28
 *     defines in libpthread.so.0 and libdl.so.2 (the module names both as
 *     NEEDED; 2.34 and later keep them as empty stubs);
 *   - stat, fstat, lstat, fstatat: the __xstat family with _STAT_VER, which
 *     2.33 and later keep as compatibility symbols (__fxstatat at GLIBC_2.4).
 *
 * Invariant: the Makefile wraps exactly the names of the DBC_WRAP_* lines
 * below (it reads them from this file), and test/script/sqlite_npm_package.sh
 * fails the package if the module needs any glibc version newer than 2.28.
 *
 * jansson's static archive is not position-independent: its json_loadf
 * compares its argument with libc's stdin through a PC-relative reference,
 * which no shared object may hold. The Makefile renames that reference to
 * dbc_jansson_stdin, a variable of the module set to libc's stdin before any
 * call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#if !defined(__x86_64__)
#error                                                                                             \
    "the glibc floor names x86-64's symbol versions (GLIBC_2.2.5): build the npm module on x86-64"
#endif

/* The old version of NAME, called as dbc_old_NAME. */
#define DBC_OLD(ret, name, params, ver)                                                            \
	__asm__(".symver dbc_old_" #name "," #name "@" ver);                                           \
	ret dbc_old_##name params

/* A call of NAME made through the same function at GLIBC_2.2.5. */
#define DBC_WRAP_SAME(ret, name, params, args)                                                     \
	DBC_OLD(ret, name, params, "GLIBC_2.2.5");                                                     \
	ret __wrap_##name params;                                                                      \
	ret __wrap_##name params                                                                       \
	{                                                                                              \
		return dbc_old_##name args;                                                                \
	}

/* x86-64's _STAT_VER_LINUX: the layout of struct stat the __xstat family fills. */
#define DBC_STAT_VER 1

/* A stat-family call made through its __xstat-family counterpart (of version ver). */
#define DBC_WRAP_STAT(name, old, ver, params, old_params, args)                                    \
	DBC_OLD(int, old, old_params, ver);                                                            \
	int __wrap_##name params;                                                                      \
	int __wrap_##name params                                                                       \
	{                                                                                              \
		return dbc_old_##old args;                                                                 \
	}

DBC_WRAP_SAME(int, pthread_once, (pthread_once_t * o, void (*f)(void)), (o, f))
DBC_WRAP_SAME(int, pthread_key_create, (pthread_key_t * k, void (*d)(void *)), (k, d))
DBC_WRAP_SAME(int, pthread_key_delete, (pthread_key_t k), (k))
DBC_WRAP_SAME(void *, pthread_getspecific, (pthread_key_t k), (k))
DBC_WRAP_SAME(int, pthread_setspecific, (pthread_key_t k, const void *v), (k, v))
DBC_WRAP_SAME(int, pthread_mutexattr_init, (pthread_mutexattr_t * a), (a))
DBC_WRAP_SAME(int, pthread_mutexattr_destroy, (pthread_mutexattr_t * a), (a))
DBC_WRAP_SAME(int, pthread_mutexattr_settype, (pthread_mutexattr_t * a, int t), (a, t))
DBC_WRAP_SAME(int, pthread_rwlock_init, (pthread_rwlock_t * l, const pthread_rwlockattr_t *a),
              (l, a))
DBC_WRAP_SAME(int, pthread_rwlock_destroy, (pthread_rwlock_t * l), (l))
DBC_WRAP_SAME(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))
DBC_WRAP_SAME(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))
DBC_WRAP_SAME(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l))
DBC_WRAP_SAME(void *, dlopen, (const char *f, int m), (f, m))
DBC_WRAP_SAME(void *, dlsym, (void *h, const char *s), (h, s))
DBC_WRAP_SAME(int, dlclose, (void *h), (h))
DBC_WRAP_SAME(char *, dlerror, (void), ())
DBC_WRAP_SAME(int, dladdr, (const void *a, Dl_info *i), (a, i))
DBC_WRAP_STAT(stat, __xstat, "GLIBC_2.2.5", (const char *p, struct stat *b),
              (int v, const char *p, struct stat *b), (DBC_STAT_VER, p, b))
DBC_WRAP_STAT(lstat, __lxstat, "GLIBC_2.2.5", (const char *p, struct stat *b),
              (int v, const char *p, struct stat *b), (DBC_STAT_VER, p, b))
DBC_WRAP_STAT(fstat, __fxstat, "GLIBC_2.2.5", (int fd, struct stat *b),
              (int v, int fd, struct stat *b), (DBC_STAT_VER, fd, b))
DBC_WRAP_STAT(fstatat, __fxstatat, "GLIBC_2.4", (int d, const char *p, struct stat *b, int f),
              (int v, int d, const char *p, struct stat *b, int f), (DBC_STAT_VER, d, p, b, f))

/* jansson's stdin (see above): libc's, from the module's load on. */
__attribute__((visibility("hidden"))) FILE *dbc_jansson_stdin;

__attribute__((constructor)) static void dbc_jansson_stdin_set(void)
{
	dbc_jansson_stdin = stdin;
}
