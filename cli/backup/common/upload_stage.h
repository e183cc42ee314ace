/*
 * upload_stage.h — a backup bound for a store that backup.dir names
 * (s3://..., azure://...) is made in a private folder first, never in the
 * working directory (upload_stage.c): the store's object is the backup,
 * the staged file only what is uploaded.
 *
 * Invariants: the folder (0700, in TMPDIR) and the file are a stop
 * signal's to remove from the moment they exist (stop_cleanup.h), and
 * cli_upload_stage_drop removes both on every other path.
 */
#ifndef DBCARE_CLI_BACKUP_UPLOAD_STAGE_H
#define DBCARE_CLI_BACKUP_UPLOAD_STAGE_H

typedef struct cli_upload_stage {
	char *dir;  /* the private folder (malloc'd; NULL: none) */
	char *file; /* the backup's path in it under its own name (malloc'd) */
} cli_upload_stage;

/* A new private folder, and the path of name in it. 0, or -1 after
 * saying why (nothing made). */
int cli_upload_stage_make(cli_upload_stage *st, const char *name);
/* The file and the folder removed, no longer tracked; st emptied. */
void cli_upload_stage_drop(cli_upload_stage *st);

#endif
