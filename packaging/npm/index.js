'use strict';
// dbcare's SQLite loadable extension, packaged the way sqlite-vec and sqlean
// reach Node users: getLoadablePath() names the library inside this package,
// for better-sqlite3's db.loadExtension() or node:sqlite's.
const fs = require('fs');
const path = require('path');

const SUFFIX = { darwin: 'dylib', win32: 'dll' };

function getLoadablePath() {
  const file = path.join(__dirname, 'lib', `dbcare.${SUFFIX[process.platform] || 'so'}`);
  if (!fs.existsSync(file)) {
    throw new Error(`dbcare: this package holds no library for ${process.platform}-${process.arch} (${file})`);
  }
  return file;
}

// Loads the extension into a better-sqlite3 (or node:sqlite) database.
function load(db) {
  db.loadExtension(getLoadablePath());
}

module.exports = { getLoadablePath, load };
