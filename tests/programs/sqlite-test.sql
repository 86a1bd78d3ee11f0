-- Run by Debian's stock sqlite3 shell as a guest (tests/xen/programs.py), on /fs/test.db.
-- Every result goes to /fs/sqlite-result.txt; the host runs the same statements with its own
-- SQLite and compares, then opens the guest's database and checks it (integrity, counts).
.bail on
.output /fs/sqlite-result.txt
PRAGMA journal_mode;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, v INTEGER NOT NULL);
BEGIN;
WITH RECURSIVE c(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
  INSERT INTO t(id, k, name, v) SELECT x, (x * 7919) % 1000, 'row-' || x, x * 3 FROM c;
COMMIT;
CREATE INDEX t_k ON t(k);
SELECT count(*), sum(k), min(name), max(name), sum(v) FROM t;
SELECT k, count(*), min(id), max(id) FROM t WHERE k BETWEEN 10 AND 12 GROUP BY k ORDER BY k;
SELECT name FROM t WHERE k = 999 ORDER BY id LIMIT 3;
BEGIN;
UPDATE t SET v = v * 2, name = name || '-x' WHERE k < 100;
COMMIT;
BEGIN;
DELETE FROM t WHERE id % 10 = 0;
COMMIT;
SELECT count(*), sum(v), count(DISTINCT k) FROM t;
SELECT count(*) FROM t WHERE name LIKE '%-x';
BEGIN;
DELETE FROM t;
ROLLBACK;
SELECT count(*) FROM t;
CREATE TABLE summary AS SELECT k % 10 AS bucket, count(*) AS n, sum(v) AS total FROM t GROUP BY bucket;
SELECT bucket, n, total FROM summary ORDER BY bucket;
PRAGMA integrity_check;
.output stdout
SELECT 'sqlite-test: done';
