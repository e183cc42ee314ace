/*
 * audit_actor_key.c — the key that signs wal mode's context message
 * (core/audit/actor_message.h, docs/audit.md "What the actor message
 * proves"): 32 random bytes in the file dbcare_audit_actor.key of the
 * cluster's data directory, made mode 0600 by the first backend that needs
 * it. Only the server's operating-system user reads it; no SQL role does
 * but a superuser and the members of pg_read_server_files (who may read any
 * file of the server, this one too).
 *
 * Invariant: the file is complete or absent. It is written under a name of
 * its own, synced, then linked to its name, which never replaces a key
 * another backend made meanwhile (both then read that one).
 */
#include "pg/host/glue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"

#include "audit_wal.h"

#define KEY_FILE "dbcare_audit_actor.key"

static unsigned char key[DBC_AUDIT_ACTOR_KEY_LEN];
static bool key_loaded = false;

/* Reads the key file: 0 when read, else an errno (ENOENT: none yet; EINVAL:
 * not DBC_AUDIT_ACTOR_KEY_LEN bytes). */
static int read_key(void)
{
	int fd = OpenTransientFile(KEY_FILE, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return errno;
	unsigned char buf[DBC_AUDIT_ACTOR_KEY_LEN + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	int err = n < 0 ? errno : 0;
	CloseTransientFile(fd);
	if (err)
		return err;
	if (n != DBC_AUDIT_ACTOR_KEY_LEN)
		return EINVAL;
	memcpy(key, buf, DBC_AUDIT_ACTOR_KEY_LEN);
	explicit_bzero(buf, sizeof(buf));
	key_loaded = true;
	return 0;
}

/* Makes the key file (see the invariant above): 0 or an errno. */
static int make_key(void)
{
	char tmp[64];
	unsigned char fresh[DBC_AUDIT_ACTOR_KEY_LEN];
	snprintf(tmp, sizeof(tmp), KEY_FILE ".%d", MyProcPid);
	if (!pg_strong_random(fresh, sizeof(fresh)))
		return EIO;
	(void)unlink(tmp);
	int fd = OpenTransientFilePerm(tmp, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY, S_IRUSR | S_IWUSR);
	if (fd < 0)
		return errno;
	int err = write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) ? 0 : (errno ? errno : EIO);
	explicit_bzero(fresh, sizeof(fresh));
	if (!err && pg_fsync(fd) != 0)
		err = errno;
	CloseTransientFile(fd);
	if (!err && link(tmp, KEY_FILE) != 0 && errno != EEXIST)
		err = errno;
	(void)unlink(tmp);
	if (!err)
		fsync_fname(".", true);
	return err;
}

/* Loads the key (making it the first time): 0 or an errno. */
static int load_key(void)
{
	if (key_loaded)
		return 0;
	int err = read_key();
	if (err == ENOENT) {
		err = make_key();
		if (!err)
			err = read_key();
	}
	return err;
}

void pgdbc_audit_actor_sign(StringInfo body)
{
	unsigned char mac[DBC_AUDIT_ACTOR_MAC_LEN];
	int err = load_key();
	if (err == EINVAL)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("dbcare: the audit key file \"%s\" of the data directory is not"
		                       " %d bytes",
		                       KEY_FILE, DBC_AUDIT_ACTOR_KEY_LEN),
		                errhint("Remove it: the next write to a table audited in wal mode makes"
		                        " a new one.")));
	if (err) {
		errno = err;
		ereport(ERROR, (errcode_for_file_access(),
		                errmsg("dbcare: cannot read the audit key file \"%s\" of the data"
		                       " directory: %m",
		                       KEY_FILE)));
	}
	if (!dbc_audit_actor_mac(key, MyDatabaseId, GetTopTransactionId(), body->data,
	                         (size_t)body->len, mac))
		elog(ERROR, "dbcare: could not sign the audit context message");
	appendBinaryStringInfo(body, (const char *)mac, sizeof(mac));
}

const char *pgdbc_audit_actor_parse(const char *body, Size size, Size mac_len,
                                    dbc_audit_actor_fields *out)
{
	const char *why = dbc_audit_actor_parse(body, size, mac_len, out);
	if (why)
		return why;
	if (!pg_verifymbstr(out->user, (int)out->user_len, true) ||
	    !pg_verifymbstr(out->actor, (int)out->actor_len, true) ||
	    !pg_verifymbstr(out->app, (int)out->app_len, true))
		return "a field is not valid in the database's encoding";
	return NULL;
}

const char *pgdbc_audit_actor_check(TransactionId xid, const char *body, Size size,
                                    dbc_audit_actor_fields *out)
{
	unsigned char mac[DBC_AUDIT_ACTOR_MAC_LEN];
	dbc_audit_actor_fields f;
	const char *why = pgdbc_audit_actor_parse(body, size, DBC_AUDIT_ACTOR_MAC_LEN, &f);
	if (why)
		return why;
	if (load_key() != 0)
		return "the audit key file of the data directory cannot be read";
	if (!dbc_audit_actor_mac(key, MyDatabaseId, xid, body, f.signed_len, mac))
		return "its MAC could not be computed";
	if (!dbc_audit_actor_mac_equal(mac, f.mac))
		return "its MAC is not the audit trigger's (not signed by dbcare for this transaction)";
	*out = f;
	return NULL;
}
