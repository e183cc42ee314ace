# book_sqlite.sh — a SQLite file holding every bookkeeping table: the
# shared ones made by a changing call, each part's by its first writing
# call (sourced, not run). book_sqlite_file FILE MODULE WORKDIR.
book_sqlite_file() {
  sqlite3 -batch -bail -cmd ".load $2" "$1" > /dev/null <<SQL
CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT);
SELECT dbcare_set('health.fragmentation.warn', '31');
SELECT dbretain_add('ev', 'events', 'at', '30 days', 'delete');
SELECT dbaudit_enable('events');
SELECT dbsoftdelete_enable('videos');
SELECT dbbackup_create('$3/copy.db');
SELECT count(*) FROM dbmaintain_run('quick');
SELECT dbmonitor_start(0, 1);
SELECT dbhealth_snapshot() IS NOT NULL;
SELECT dbmigrate_add('1', 'renamed', 'ALTER TABLE videos RENAME TO clips;');
SELECT dbmigrate_apply();
SELECT dbjson_register('s', '{"type": "object"}') IS NOT NULL;
SELECT dbmigrate_online_record('99', 1, 'SELECT 1');
SQL
}
