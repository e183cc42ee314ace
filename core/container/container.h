/*
 * container.h — the sealed backup file: a backup's bytes compressed
 * (zstd) and/or encrypted, in authenticated chunks so a file of any size
 * streams through bounded memory (docs/backups.md, "Compressed and
 * encrypted backups", describes the layout). Files are sealed in format
 * 2 (libsodium's secretstream, XChaCha20-Poly1305); format 1 (AES-256-GCM,
 * which dbcare 0.3.x sealed) is still read.
 *
 * Invariants: a decode writes only bytes whose chunk authenticated (with
 * the key; a file that is not encrypted has tags anyone could make: they
 * catch damage, not forgery), in order, bound to the header and to their
 * place; it succeeds only when the end record
 * was read, nothing follows it, and the plain bytes' SHA-256 equals the
 * one the end record holds. A wrong key, a flipped byte anywhere, a
 * chunk moved, dropped or cut short is an error, never output that a
 * caller could take for the backup (a caller still deletes what a failed
 * decode wrote: it is incomplete).
 *
 * Engine-free and context-free (the command links it as well as the
 * SQLite module): errors are text in a dbc_container_err. Linked with
 * libzstd, libsodium and libcrypto (format 1's AES-GCM); the PostgreSQL
 * module does not link it.
 */
#ifndef DBC_CONTAINER_H
#define DBC_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DBC_CONTAINER_MAGIC      "DBCSEAL1"
#define DBC_CONTAINER_ZSTD       0x01u
#define DBC_CONTAINER_ENCRYPT    0x02u /* format 1: AES-256-GCM; 2: XChaCha20-Poly1305 */
#define DBC_CONTAINER_VERSION    2u    /* what is sealed now; 1 is still read */
#define DBC_CONTAINER_KEY_LEN    32
#define DBC_CONTAINER_ORIGIN_MAX 4096
/* The environment variables the key is read from (never SQL text, never
 * the catalog): a file's path, or the key itself as 64 hex digits. */
#define DBC_CONTAINER_KEY_FILE_ENV "DBCARE_BACKUP_KEY_FILE"
#define DBC_CONTAINER_KEY_ENV      "DBCARE_BACKUP_KEY"
/* The other origin a user named (the dbcare command's --allow-origin sets
 * it for the module in its process; a SQL user sets it in the process's
 * environment): a database that moved or was renamed verifies and
 * restores the sealed backups its old file or name made. */
#define DBC_CONTAINER_ALLOW_ORIGIN_ENV "DBCARE_BACKUP_ALLOW_ORIGIN"
/* The one hint of a missing or wrong key, wherever a key is read or asked
 * for: the dbcare command's option first (what its user types), then the
 * environment the module reads (what an application sets). */
#define DBC_CONTAINER_KEY_HINT                                                                     \
	"Give the key (for an encrypted file: the one it was made with): --encrypt-key-file FILE "     \
	"with the dbcare command; for the SQL functions, " DBC_CONTAINER_KEY_FILE_ENV                  \
	" (the path of a key file: 32 bytes, or 64 hex digits; not readable by others) "               \
	"or " DBC_CONTAINER_KEY_ENV " (64 hex digits) in the environment of the process."
/* ... and when an incremental backup's base is encrypted: reading the base
 * needs the key, even for an incremental that is not encrypted itself. */
#define DBC_CONTAINER_BASE_KEY_HINT                                                                \
	"An incremental backup reads its base, which is encrypted: it needs the base's key even "      \
	"when it is not encrypted itself (with the dbcare command, --encrypt-key-file also "           \
	"encrypts the incremental; " DBC_CONTAINER_KEY_FILE_ENV                                        \
	" alone does not). " DBC_CONTAINER_KEY_HINT

typedef struct dbc_container_err {
	char msg[512];
	bool key; /* the key is missing or another one: the file may be fine */
} dbc_container_err;

typedef struct dbc_container_key {
	unsigned char bytes[DBC_CONTAINER_KEY_LEN];
	bool set;
} dbc_container_key;

/* What a header says (readable without the key). */
typedef struct dbc_container_header {
	unsigned version; /* 1 or 2 */
	unsigned flags;
	uint32_t chunk_size;
	unsigned char nonce[24]; /* format 1: its nonce (12 bytes); 2: secretstream's header */
	unsigned char key_id[8];
	char origin[DBC_CONTAINER_ORIGIN_MAX + 1];
	size_t length; /* the header's bytes, its tag included */
} dbc_container_header;

/* The outcome of an encode or a decode: the SHA-256 (hex) of the sealed
 * file's bytes and of the plain ones, and their sizes. */
typedef struct dbc_container_sums {
	char sealed_sha256[65];
	char plain_sha256[65];
	int64_t sealed_bytes;
	int64_t plain_bytes;
} dbc_container_sums;

/* Asked between chunks; true stops the work with an error (a deadline,
 * an interrupt). NULL: never. */
typedef bool (*dbc_container_stop)(void *arg);

/* The one rule for a file or folder whose contents decide what dbcare
 * trusts (a key file, a point-in-time log's folder): only this process's
 * user, or root (a mounted secret, a system folder), may own it, and
 * neither its group nor other users may write it. True when st breaks it:
 * another user can replace what is there. */
struct stat;
bool dbc_others_can_replace(const struct stat *st);

/* A key from a file (32 raw bytes, or 64 hex digits and an optional
 * newline; a file others may read is refused) or from hex text. */
int dbc_container_key_file(const char *path, dbc_container_key *key, dbc_container_err *err);
int dbc_container_key_hex(const char *hex, dbc_container_key *key, dbc_container_err *err);
/* The key of the process's environment: DBCARE_BACKUP_KEY_FILE, else
 * DBCARE_BACKUP_KEY; key->set false when neither is set. */
int dbc_container_key_env(dbc_container_key *key, dbc_container_err *err);

/* Seals in_fd (read to its end) into out_fd in format 2 with flags (ZSTD,
 * ENCRYPT: the key); origin (may be NULL) is stored in the header, authenticated. */
int dbc_container_encode(int in_fd, int out_fd, unsigned flags, const dbc_container_key *key,
                         const char *origin, dbc_container_stop stop, void *stop_arg,
                         dbc_container_sums *sums, dbc_container_err *err);
/* Opens in_fd's seal into out_fd (-1: the bytes are only checked and
 * hashed). key may be NULL for a file that is not encrypted. */
int dbc_container_decode(int in_fd, int out_fd, const dbc_container_key *key,
                         dbc_container_stop stop, void *stop_arg, dbc_container_sums *sums,
                         dbc_container_err *err);
/* The plain bytes' size and SHA-256 that the end record of in_fd's seal
 * holds: what an incremental backup built on this file names as its
 * base. The whole file is decoded to nowhere (a secretstream message
 * authenticates only after the ones before it): every chunk is checked.
 * sealed_sha256 is left empty. */
int dbc_container_peek(int in_fd, const dbc_container_key *key, dbc_container_sums *sums,
                       dbc_container_err *err);
/* Parses a header from buf (n bytes available); 1 when it is whole, 0
 * when more bytes are needed (h->length says how many in all, more than n), -1
 * when it is no header (err says why). Its tag is not checked here. */
int dbc_container_parse_header(const unsigned char *buf, size_t n, dbc_container_header *h,
                               dbc_container_err *err);
/* Whether the file at path starts with the magic; its header (origin
 * included) when it does and h is not NULL. */
bool dbc_container_sniff(const char *path, dbc_container_header *h);

/* The header of the sealed file at path, read and authenticated (its tag
 * checked: with key when the file is encrypted): 0, or -1 with err saying
 * why (err->key: the key is missing or another) and h zeroed. What a
 * header says (its origin) may be shown or compared only after this: the
 * origin of a forged header never reaches a message. A file that is not
 * encrypted has a SHA-256 tag anyone can write, so there it proves
 * integrity, not authorship. */
int dbc_container_header_read(const char *path, const dbc_container_key *key,
                              dbc_container_header *h, dbc_container_err *err);

/* A header's origin text: "DATABASE\nPUBLISHED PATH", DATABASE being
 * "id:IDENTITY FILE" where the database has an identity (SQLite's
 * dbcare_bookkeeping.database_id, PostgreSQL's dbcare.database_identity:
 * copies of the database keep it) or FILE alone (an absolute path, empty,
 * or a PostgreSQL database's name; files sealed before identities). The
 * identity is on the first line so that a reader of the path alone reads
 * every form. */
#define DBC_CONTAINER_ORIGIN_ID "id:"
typedef struct dbc_container_origin {
	char *identity;  /* NULL: none named */
	char *file;      /* the database */
	char *published; /* the path it was published under */
} dbc_container_origin;
/* Splits origin in place; false when it has no newline (a header sealed
 * before origins named a path: the whole text is then the file). */
bool dbc_container_origin_split(char *origin, dbc_container_origin *o);

/* What a backup file's origin must name (a sealed file's header, or the
 * same text read from a plain copy or dump): the database a catalog row
 * of it is in, or a restore would replace (on SQLite dbcare_bookkeeping's
 * database_id, on PostgreSQL dbcare.database_identity; copies of either
 * keep it). */
typedef struct dbc_container_expect {
	const char *identity;  /* the database's; NULL: it has none */
	const char *file;      /* its file (SQLite: canonical path) or name (PostgreSQL) */
	const char *published; /* the path its catalog row names; NULL: a restore
	                        * target (which must have an identity) */
	const char *allowed;   /* the other database the user named (--allow-origin):
	                        * a header naming it passes the file comparison,
	                        * and a restore target without identity or of
	                        * another one; NULL: none */
	const char *kind;      /* "backup" or "dump", for messages */
	const char *subject;   /* the file named in messages: "it" or its path */
	bool pathless_ok;      /* a header naming no published path (PostgreSQL
	                        * 0.3.8) is held to nothing; else it is refused */
	bool plain;            /* the origin is a plain file's own (a SQLite copy's
	                        * stamp and identity, a dump's identity and name,
	                        * in a header's form): messages say "backup" or
	                        * "dump", not "sealed backup" */
} dbc_container_expect;

/* The one rule by which a sealed file's header (origin, as read), or the
 * origin a plain copy carries in itself, is the backup of the database
 * want describes: the path it was published under is the catalog row's
 * (another database's backup copied over a catalogued file names its
 * own); where both the header and the database
 * name an identity, it is the same (another database's backup published
 * under the very same path; a restore over another database); and the
 * database it names is this one, its file (SQLite: the canonical path) or
 * name (PostgreSQL), since a copy or clone keeps the identity: another
 * file's backup passes only when the user named that file as want->allowed
 * (this database moved there, or was renamed). A restore target without
 * an identity (never backed up), or with another one (made again in the
 * database's place), takes a file naming one only so named; a catalog
 * row's file of another identity never passes.
 * A header without an identity (sealed before identities) is held to its
 * path and file. True when it is; false with *why saying why not, naming
 * both databases (malloc'd; NULL when out of memory: still false). The
 * command and the SQLite module only read what they compare and print the
 * answer. */
bool dbc_container_origin_matches(const char *origin, const dbc_container_expect *want, char **why);
/* The origin the user named in DBC_CONTAINER_ALLOW_ORIGIN_ENV (what
 * want->allowed takes), NULL when none. */
const char *dbc_container_allowed_origin(void);

/* ---- scratch files: the plain bytes of a sealed backup
 *
 * The plain copy a sealed backup is made from, and the copy a sealed file
 * is opened into for its checks, live only in files without a name: made
 * with O_TMPFILE | O_EXCL (never linkable) in the directory of near, or
 * where the file system has no O_TMPFILE, made as near + ".tmp-XXXXXX"
 * (mode 0600) and unlinked at once (a kill in between leaves that name
 * empty, which the sweeps of leftovers delete). A kill -9 at any point
 * therefore leaves no plain byte on disk: the kernel frees the file with
 * the last descriptor. The file is reached through its descriptor's path
 * in /proc (DBC_SCRATCH_PREFIX + the number): open() of that path opens
 * the same file, and a child process that inherited the descriptor
 * (inherit) opens it by the same name. */
#define DBC_SCRATCH_PREFIX   "/proc/self/fd/"
#define DBC_SCRATCH_PATH_MAX 32

/* 0 and out set to the file's path; -1 with errno. */
int dbc_scratch_create(const char *near, bool inherit, char out[DBC_SCRATCH_PATH_MAX]);
/* A file that gets a name only when it is published: a sealed file, whose
 * bytes are sealed but which must not be left half written by a kill.
 * With O_TMPFILE (without O_EXCL) it has no name until
 * dbc_scratch_link links it; without, it is near + ".tmp-XXXXXX"
 * (malloc'd *out either way). 0, or -1 with errno. */
int dbc_scratch_create_linkable(const char *near, char **out);
/* Gives tmp (of dbc_scratch_create_linkable) the name path, never over
 * an existing file (linkat, following the /proc link); tmp is kept
 * (released by the caller exactly once, with dbc_scratch_release: a
 * scratch file's descriptor is closed then). 0, or -1 with errno. */
int dbc_scratch_link(const char *tmp, const char *path);
/* Releases tmp: closes a scratch file, unlinks a named one. */
void dbc_scratch_release(const char *tmp);
/* Whether path names a scratch file. */
bool dbc_scratch_is(const char *path);
/* Whether the file name (no folder) ends as a named temporary file does,
 * ".tmp-" and mkstemp's six letters or digits after at least one byte:
 * what a kill leaves of a scratch file made without O_TMPFILE, or of a
 * backup's copy before it was published (the sweeps of leftovers). */
bool dbc_scratch_temp_name(const char *name);
/* flags for open() of path: O_NOFOLLOW would refuse the link in /proc
 * that reaches a scratch file, and O_EXCL its existing file. */
int dbc_scratch_open_flags(const char *path, int flags);
/* Closes the scratch file (the file is gone once no descriptor holds it);
 * 0, or -1 when path is not a scratch file. */
int dbc_scratch_close(const char *path);

/* ---- the one seal of a backup file (seal_file.c)
 *
 * Every sealed file (the SQLite module's backups, the command's dumps and
 * its point-in-time segments) is made here, so that the rule is written
 * once: plain is sealed into a file without a name beside path
 * (dbc_scratch_create_linkable), synced, opened again from the disk and
 * decoded with the same key, and published only when it opens to plain's
 * bytes (the SHA-256 the caller proved of them: the verified copy's, the
 * dump's) and to the very bytes the encoder wrote (the sealed SHA-256);
 * then it is linked as path (never over a file) and the directory synced
 * (a sync that fails takes the name away again). On every failure nothing
 * is at path and the file beside it is released: a kill at any point
 * leaves no half-sealed file under a name (at most an empty ".tmp-" name
 * where the file system has no O_TMPFILE, which the sweeps delete). The
 * callers open nothing and decide nothing: they supply the key, the
 * origin and the words of their errors. */
typedef struct dbc_container_seal_job {
	const char *plain;        /* the read-back copy (a scratch file or a path) */
	const char *plain_sha256; /* its bytes' SHA-256 (hex), proved by the caller */
	const char *path;         /* the name the sealed file is published under */
	unsigned flags;           /* DBC_CONTAINER_ZSTD, DBC_CONTAINER_ENCRYPT */
	const dbc_container_key *key;
	const char *origin; /* the header's origin (dbc_container_origin_split) */
	dbc_container_stop stop;
	void *stop_arg;
	/* gives the sealed scratch file its name (NULL: dbc_scratch_link), 0
	 * or -1 with errno: a caller tracking what it published (a stop
	 * signal's cleanup) names and tracks it in one step */
	int (*link)(const char *tmp, const char *path, void *arg);
	void *link_arg;
} dbc_container_seal_job;

/* The step a seal failed at (err says why; its text may be empty for
 * DBC_SEAL_READ_BACK): the caller words its error by it. */
typedef enum dbc_container_seal_step {
	DBC_SEAL_DONE = 0,
	DBC_SEAL_CREATE,    /* no file could be made beside path */
	DBC_SEAL_WRITE,     /* plain not read, sealed, written or synced (stop asked: here) */
	DBC_SEAL_READ_BACK, /* the sealed file does not open to plain's bytes */
	DBC_SEAL_NAME,      /* the name not given (EEXIST: a file is there) */
	DBC_SEAL_SYNC_DIR,  /* path's directory not synced: the name removed again */
} dbc_container_seal_step;

/* Seals, reads back and publishes job's plain as job->path; made holds
 * the sums of the sealed file (its SHA-256 and bytes are what the catalog
 * records). */
dbc_container_seal_step dbc_container_seal_file(const dbc_container_seal_job *job,
                                                dbc_container_sums *made, dbc_container_err *err);

#endif
