-- dbsoftdelete_restore refuses a restore that would give a live row's key
-- in a partial unique index to a second live row, and only then: a row the
-- index's predicate leaves out once restored (kind 'b' here), or a live row
-- it leaves out, takes no key of it.
.headers on
.mode list
CREATE TABLE v (id INTEGER PRIMARY KEY, slug TEXT NOT NULL, kind TEXT NOT NULL);
SELECT dbsoftdelete_enable('v') IS NOT NULL AS enabled;
INSERT INTO v (id, slug, kind) VALUES (1, 'x', 'b'), (2, 'x', 'a'), (3, 'x', 'a'), (4, 'y', 'a'), (5, 'y', 'b');
DELETE FROM v WHERE id IN (1, 3, 4);
CREATE UNIQUE INDEX v_live_a ON v (slug) WHERE deleted_at IS NULL AND kind = 'a';
-- kind b: outside the index once restored
SELECT dbsoftdelete_restore('v', '{"id": 1}') AS restored_b;
-- kind a, slug y: the live row 5 holding y is kind b, outside the index
SELECT dbsoftdelete_restore('v', '{"id": 4}') AS restored_y;
-- kind a, slug x: the live row 2 holds x in the index
SELECT dbsoftdelete_restore('v', '{"id": 3}') AS restored_x;
SELECT id FROM v WHERE deleted_at IS NOT NULL ORDER BY id;
