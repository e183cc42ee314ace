/*
 * pg/api/module.c — the PostgreSQL module's start: the magic block, and _PG_init
 * (run once when the library loads, before any dbcare function): jansson's
 * allocator, the settings, each part's hooks handed to the host's table,
 * and the host the call helpers begin calls over.
 */
#include "pg/host/glue.h"
#include "pg/audit/audit_glue.h"
#include "pg/json/json_doc.h"
#include "pg/health/health_glue.h"

PG_MODULE_MAGIC;

void _PG_init(void)
{
	dbc_api_hooks *hooks = pgdbc_hooks_to_fill();

	pgdbc_init_json_alloc();
	pgdbc_define_schema_cache_setting();
	pgdbc_define_jsonb_layout_setting();
	pgdbc_define_audit_settings();
	pgdbc_define_audit_wal_settings();
	pgdbc_define_progress_setting();
	pgdbc_define_generate_timeout_setting();
	pgdbc_retain_register(hooks);
	pgdbc_backup_register(hooks);
	pgdbc_audit_register(hooks);
	pgdbc_migrate_register(hooks);
	pgdbc_health_register(hooks);
	pgdbc_install_host(&pgdbc_host);
}
