/** The absolute path of dbcare's SQLite loadable extension in this package. */
export function getLoadablePath(): string;
/** Loads dbcare into a database object with a loadExtension(path) method (better-sqlite3). */
export function load(db: { loadExtension(path: string): unknown }): void;
