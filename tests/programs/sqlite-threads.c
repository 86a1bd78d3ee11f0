/* Two threads write one SQLite database at once, each through its own connection, as a guest
   (tests/xen/programs.py). Built with Debian's sqlite3 amalgamation (tests/programs/build.sh);
   this driver is ours, SQLite is not. Each thread inserts ROWS rows in transactions of BATCH
   (BEGIN IMMEDIATE: the writers take turns at the database's lock, and a thread that finds it
   taken waits in SQLite's busy handler, which sleeps and so lets the other run). Threads are
   cooperative here: a writer runs until it blocks, so each yields after its COMMIT, or the one
   holding the lock would take it again before the sleeper ever saw it free. The host then
   checks the file: integrity, and every row of both threads there. */
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

enum { ROWS = 4000, BATCH = 50 };

static const char* path = "/fs/threads.db";
static int last_committer, turns; /* how often the lock went from one writer to the other */

struct writer {
  int id;
  int busy;      /* times the busy handler ran: the other thread held the lock */
  int inserted;
  char error[200];
};

static int on_busy(void* arg, int tries) {
  struct writer* w = arg;
  w->busy++;
  if (tries > 20000) return 0; /* about a minute: give up with SQLITE_BUSY, reported */
  sqlite3_sleep(2);
  return 1;
}

static int run(sqlite3* db, const char* sql, struct writer* w) {
  char* message = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &message) == SQLITE_OK) return 0;
  snprintf(w->error, sizeof w->error, "%s: %s", sql, message ? message : sqlite3_errmsg(db));
  sqlite3_free(message);
  return -1;
}

static void* write_rows(void* arg) {
  struct writer* w = arg;
  sqlite3* db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
    snprintf(w->error, sizeof w->error, "open: %s", db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_handler(db, on_busy, w);
  sqlite3_stmt* insert = NULL;
  if (sqlite3_prepare_v2(db, "INSERT INTO w(thread, n, payload) VALUES(?, ?, ?)", -1, &insert, NULL) != SQLITE_OK) {
    snprintf(w->error, sizeof w->error, "prepare: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  char payload[64];
  for (int n = 0; n < ROWS && !w->error[0]; n += BATCH) {
    if (run(db, "BEGIN IMMEDIATE", w) != 0) break;
    for (int i = n; i < n + BATCH; ++i) {
      snprintf(payload, sizeof payload, "thread %d row %d", w->id, i);
      sqlite3_bind_int(insert, 1, w->id);
      sqlite3_bind_int(insert, 2, i);
      sqlite3_bind_text(insert, 3, payload, -1, SQLITE_TRANSIENT);
      if (sqlite3_step(insert) != SQLITE_DONE) {
        snprintf(w->error, sizeof w->error, "insert %d: %s", i, sqlite3_errmsg(db));
        break;
      }
      sqlite3_reset(insert);
    }
    if (w->error[0]) {
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* the insert's error is the one reported */
      break;
    }
    if (run(db, "COMMIT", w) != 0) break;
    w->inserted += BATCH;
    if (last_committer && last_committer != w->id) turns++;
    last_committer = w->id;
    sched_yield();
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return NULL;
}

int main(void) {
  printf("sqlite-threads: SQLite %s, threadsafe %d\n", sqlite3_libversion(), sqlite3_threadsafe());
  sqlite3* db = NULL;
  char* message = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      sqlite3_exec(db, "CREATE TABLE w(thread INTEGER, n INTEGER, payload TEXT, PRIMARY KEY(thread, n))",
                   NULL, NULL, &message) != SQLITE_OK) {
    printf("sqlite-threads: cannot make %s: %s\n", path, message ? message : sqlite3_errmsg(db));
    return 1;
  }
  sqlite3_close(db);

  struct writer writers[2] = {{.id = 1}, {.id = 2}};
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i)
    if (pthread_create(&threads[i], NULL, write_rows, &writers[i]) != 0) {
      printf("sqlite-threads: pthread_create failed\n");
      return 1;
    }
  for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);

  printf("sqlite-threads: the lock changed hands %d times\n", turns);
  int failed = turns == 0; /* the two never wrote at once */
  for (int i = 0; i < 2; ++i) {
    printf("sqlite-threads: thread %d inserted %d rows, waited for the lock %d times%s%s\n", writers[i].id,
           writers[i].inserted, writers[i].busy, writers[i].error[0] ? "; error: " : "", writers[i].error);
    failed |= writers[i].error[0] != 0 || writers[i].inserted != ROWS;
  }
  if (failed) return 1;
  printf("sqlite-threads: done\n");
  return 0;
}
