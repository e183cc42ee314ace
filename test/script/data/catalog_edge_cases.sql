-- Schemas whose CREATE texts stress the SQLite catalog reader's text path:
-- every form SQLite accepts for names, types, DEFAULT, generated columns,
-- keys, options and index keys. test/script/sqlite_catalog_reader.sh reads
-- them with schema.catalog_reader = auto and = pragma; the models must agree.
CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER);
CREATE INDEX plain_name ON plain (name);
CREATE TABLE "Quoted Table" ("a b" int, [c d] text, `e f` real, 'g h' blob, "x""y" any, [z"] numeric);
CREATE INDEX "qt ix" ON "Quoted Table" ("A B", [C D] DESC, `E F` COLLATE NOCASE);
CREATE TABLE keywords (key int, match text, action text, "primary" int, "unique" int,
  generated int, always int, rowid_ text, "check" int, "default" int);
CREATE INDEX kw_ix ON keywords (MATCH, "primary", "Default");
CREATE TABLE types (a, b VARCHAR ( 10 , 2 ), c unsigned big int, d 'quoted type', e "dq type",
  f DOUBLE PRECISION NOT NULL, g no action, h INT/*c*/EGER, i [bracket type], j text(5) collate rtrim);
CREATE INDEX types_j ON types (j);
CREATE INDEX types_j2 ON types (j COLLATE "BINARY" ASC, a DESC);
CREATE TABLE defaults (
  a INTEGER DEFAULT ( 1 + 2 ) ,
  b TEXT DEFAULT 'it''s (not) a, comma',
  c DEFAULT - /*c*/ 1.5e3,
  d DEFAULT "ident",
  e DEFAULT CURRENT_TIMESTAMP,
  f DEFAULT (/*k*/ 3 /*z*/ ),
  g DEFAULT true,
  h DEFAULT +7,
  i DEFAULT x'0A',
  j DEFAULT NULL,
  k DEFAULT 0x1F,
  l DEFAULT -'a',
  m DEFAULT .5,
  n DEFAULT 1e-3,
  o DEFAULT -0x10,
  p DEFAULT/*x*/'y',
  q DEFAULT
    (abs(-1) * (2 + 3)),
  r DEFAULT [br],
  s DEFAULT `bt`,
  t CONSTRAINT c1 NOT NULL CONSTRAINT c2 DEFAULT 5 CONSTRAINT c3 CHECK (t > 0),
  u DEFAULT CURRENT_DATE NOT NULL, v DEFAULT current_time COLLATE nocase,
  w REFERENCES plain (id) ON DELETE SET DEFAULT ON UPDATE SET NULL DEFAULT 9,
  x DEFAULT ('a' || ')' || '(')
);
CREATE TABLE generated_cols (
  a INTEGER, b INT GENERATED ALWAYS AS (a + 1) STORED, c AS (a * 2), d generated always as (3) virtual,
  e TEXT AS (upper('x')) STORED NOT NULL, f AS ((a)) VIRTUAL, g INT DEFAULT 4
);
CREATE INDEX gen_ix ON generated_cols (c, b DESC);
CREATE TABLE pk_multi (a TEXT, b INT, c, PRIMARY KEY (b, a COLLATE nocase DESC)) ;
CREATE TABLE pk_inline_text (code TEXT PRIMARY KEY, label TEXT UNIQUE);
CREATE TABLE pk_desc (id INTEGER PRIMARY KEY DESC, v);
CREATE TABLE pk_auto (id INTEGER PRIMARY KEY AUTOINCREMENT, v CHECK (v <> ')'));
CREATE TABLE pk_named (id INT CONSTRAINT pk_named_key PRIMARY KEY ON CONFLICT REPLACE, v);
CREATE TABLE uniques (a, b, c, UNIQUE (a, b), CONSTRAINT u2 UNIQUE (c) ON CONFLICT IGNORE);
CREATE TABLE wr (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE st (k INTEGER PRIMARY KEY, v TEXT) STRICT;
CREATE TABLE wr_st (k INT, v ANY, PRIMARY KEY (k)) WITHOUT ROWID , STRICT;
CREATE TABLE fks (
  id INTEGER PRIMARY KEY,
  p INTEGER REFERENCES plain (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  q TEXT, r INT,
  CONSTRAINT fk_named FOREIGN KEY (q, r) REFERENCES pk_multi (a, b) MATCH FULL,
  FOREIGN KEY (r) REFERENCES pk_desc ON UPDATE RESTRICT
);
CREATE INDEX fks_p ON fks (p) WHERE p IS NOT NULL;
CREATE UNIQUE INDEX fks_qr ON fks (q COLLATE "RTRIM", r);
CREATE INDEX fks_expr ON fks (lower(q), r);
CREATE TABLE commented -- a comment with ( and ,
  ( a /* ( , */ int, -- b is next, )
    b text /* trailing */ );
CREATE INDEX commented_ix ON commented ( /* c */ b /* d */ );
CREATE TABLE "Mixed" ("Id" INTEGER PRIMARY KEY, "Name" TEXT);
CREATE INDEX mixed_ix ON "Mixed" (name, ID);
CREATE TABLE ctas AS SELECT id, name, qty * 2 AS double_qty FROM plain;
CREATE TABLE ünïcødé (ßeta TEXT DEFAULT 'ü', "ω" INT);
CREATE INDEX unicode_ix ON ünïcødé (ßeta);
CREATE TABLE dup_key_index (a, b);
CREATE INDEX dup_key_ix ON dup_key_index (a, b, a);
CREATE TABLE string_key (a, b);
CREATE INDEX string_key_ix ON string_key ('a');
CREATE TABLE rowid_col (rowid INT, v);
CREATE INDEX rowid_col_ix ON rowid_col (rowid);
CREATE TABLE "t(with)parens" ("c,1" int DEFAULT (','), "c)2" text);
CREATE INDEX "i(x)" ON "t(with)parens" ("c)2", "c,1");
CREATE VIEW v_plain AS SELECT id, name FROM plain;
CREATE TRIGGER trg AFTER INSERT ON plain BEGIN UPDATE plain SET qty = 0 WHERE id = new.id; END;
CREATE TABLE partials (a TEXT COLLATE NOCASE, b INT, c TEXT);
CREATE UNIQUE INDEX partials_ab ON partials (a COLLATE "RTRIM" DESC, b) WHERE b > 0 AND c <> 'WHERE';
CREATE INDEX partials_a ON partials (a);
CREATE INDEX partials_a_dup ON partials (A ASC);
CREATE INDEX partials_c ON partials (c COLLATE NoCase);
CREATE TABLE auto_int_unique (id INTEGER PRIMARY KEY, v, UNIQUE (id));
CREATE TABLE auto_pk_after_unique (a TEXT UNIQUE, b, PRIMARY KEY (a));
CREATE TABLE auto_two_collations (a TEXT, PRIMARY KEY (a), UNIQUE (a COLLATE NOCASE));
CREATE TABLE auto_reordered (a INT, b TEXT, PRIMARY KEY (a, b), UNIQUE (b, a));
CREATE TABLE auto_desc_collate (a TEXT, b TEXT COLLATE RTRIM, c INT PRIMARY KEY,
  UNIQUE (a DESC, b), CONSTRAINT u_named UNIQUE (b COLLATE NOCASE, c));
CREATE INDEX auto_desc_collate_ix ON auto_desc_collate (b);
CREATE TABLE auto_bigint_pk (id BIGINT PRIMARY KEY, v UNIQUE);
