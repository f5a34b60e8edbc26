//! The SQLite board: one file, WAL, a schema version with migrations, and a single
//! connection owned by a dedicated thread so no SQLite call runs on an async thread.
//!
//! The thread takes the calls queued while it worked and runs them in one
//! `IMMEDIATE` transaction, each in a savepoint of its own (a call that fails
//! leaves the others standing), and answers them once that transaction is
//! committed: several saves at once cost one commit, and a save that returned
//! survives a crash of the process. Every save re-reads the stored revision inside the transaction, so
//! several `ops` processes can share one board file safely. Each write stamps
//! the task with the next change number (`seq`), which is the change feed.

use super::rules::{self, Stored};
use super::{Changes, SourceCache, TaskStore};
use crate::error::{Error, Result};
use crate::model::{Lease, Task, TaskId, TaskStatus, Timestamp, WorkerId};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Schema migrations, applied in order; the board's `user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: tasks, stored whole as JSON, with the columns queries need.
    "CREATE TABLE tasks (
         id TEXT PRIMARY KEY NOT NULL,
         revision INTEGER NOT NULL,
         status TEXT NOT NULL,
         lease_owner TEXT,
         lease_expires_at INTEGER,
         body TEXT NOT NULL
     );
     CREATE INDEX tasks_by_status ON tasks(status);
     CREATE INDEX tasks_by_lease_owner ON tasks(lease_owner);",
    // 2: the sources' cache (ETags and what they answered).
    "CREATE TABLE source_cache (
         key TEXT PRIMARY KEY NOT NULL,
         value TEXT NOT NULL
     );",
    // 3: the change feed: each write stamps its task with the next number.
    "ALTER TABLE tasks ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
     UPDATE tasks SET seq = rowid;
     CREATE INDEX tasks_by_seq ON tasks(seq);",
    // 4: the dependencies, indexed both ways (a cycle check reads only what it
    // reaches), filled from the tasks' own `blocked_by`.
    "CREATE TABLE dependencies (
         blocker TEXT NOT NULL,
         dependent TEXT NOT NULL,
         PRIMARY KEY (blocker, dependent)
     ) WITHOUT ROWID;
     CREATE INDEX dependencies_by_dependent ON dependencies(dependent);
     INSERT OR IGNORE INTO dependencies (blocker, dependent)
         SELECT b.value, t.id FROM tasks t, json_each(t.body, '$.blocked_by') b;",
    // 5: the status and lease indexes hold only the few tasks in flight or
    // leased (what their queries ask for), so a write to a big board touches
    // fewer pages.
    "DROP INDEX IF EXISTS tasks_by_status;
     DROP INDEX IF EXISTS tasks_by_lease_owner;
     CREATE INDEX IF NOT EXISTS tasks_in_flight ON tasks(status)
         WHERE status IN ('in_progress', 'auditing', 'shipping');
     CREATE INDEX tasks_by_lease_owner ON tasks(lease_owner) WHERE lease_owner IS NOT NULL;",
];

/// Pages the write-ahead log grows to before it is copied into the board
/// file (SQLite's default is 1,000: a checkpoint, with its two fsyncs, every
/// few hundred saves).
const WAL_PAGES: i64 = 10_000;

/// The most calls one transaction serves.
const MAX_BATCH: usize = 256;

/// A call waiting for the board thread.
trait Call: Send {
    /// Whether it writes (a batch of reads only needs no write lock).
    fn writes(&self) -> bool;
    /// Does the work inside the batch's transaction; whether it succeeded.
    fn run(&mut self, conn: &Connection, path: &str) -> bool;
    /// Answers, once the batch is committed or `failed`.
    fn answer(self: Box<Self>, failed: Option<Error>);
}

struct Job<T, F> {
    writes: bool,
    work: Option<F>,
    result: Option<Result<T>>,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
}

impl<T, F> Call for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection, &str) -> Result<T> + Send,
{
    fn writes(&self) -> bool {
        self.writes
    }

    fn run(&mut self, conn: &Connection, path: &str) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = work(conn, path);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, failed: Option<Error>) {
        let result = match (self.result, failed) {
            (Some(Err(e)), _) => Err(e),
            (_, Some(e)) => Err(e),
            (Some(ok), None) => ok,
            (None, None) => Err(Error::BoardClosed),
        };
        let _ = self.reply.send(result);
    }
}

/// A board in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteBoard {
    jobs: mpsc::Sender<Box<dyn Call>>,
    path: PathBuf,
}

impl SqliteBoard {
    /// Opens (creating if needed) the board at `path` and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let (jobs, inbox) = mpsc::channel::<Box<dyn Call>>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let thread_path = path.clone();
        std::thread::Builder::new()
            .name("ops-board".into())
            .spawn(move || match open_connection(&thread_path) {
                Ok(conn) => {
                    let _ = ready_tx.send(Ok(()));
                    // Runs until every sender (every clone of the board) is dropped.
                    serve(&conn, &thread_path.display().to_string(), &inbox);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|e| Error::Corrupt {
                what: path.display().to_string(),
                message: format!("could not start the board thread: {e}"),
            })?;
        ready_rx.await.map_err(|_| Error::BoardClosed)??;
        Ok(SqliteBoard { jobs, path })
    }

    /// The board file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this build writes.
    pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

    /// Runs `f` on the board thread, in a transaction, and waits for its result.
    async fn call<T: Send + 'static>(
        &self,
        writes: bool,
        f: impl FnOnce(&Connection, &str) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(Job {
                writes,
                work: Some(f),
                result: None,
                reply,
            }))
            .map_err(|_| Error::BoardClosed)?;
        rx.await.map_err(|_| Error::BoardClosed)?
    }
}

/// The board thread: serves queued calls in batches, one transaction each.
fn serve(conn: &Connection, path: &str, inbox: &mpsc::Receiver<Box<dyn Call>>) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH
            && let Ok(call) = inbox.try_recv()
        {
            batch.push(call);
        }
        run_batch(conn, path, batch);
    }
}

fn run_batch(conn: &Connection, path: &str, mut batch: Vec<Box<dyn Call>>) {
    let begin = if batch.iter().any(|c| c.writes()) {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN DEFERRED"
    };
    if let Err(e) = exec(conn, begin) {
        for call in batch {
            call.answer(Some(copy_error(path, &e)));
        }
        return;
    }
    for call in &mut batch {
        let ok = exec(conn, "SAVEPOINT call").is_ok() && call.run(conn, path);
        // A failed call takes back what it wrote; the others keep theirs.
        if !ok {
            let _ = exec(conn, "ROLLBACK TO call");
        }
        let _ = exec(conn, "RELEASE call");
    }
    match exec(conn, "COMMIT") {
        Ok(()) => {
            for call in batch {
                call.answer(None);
            }
        }
        Err(e) => {
            let _ = exec(conn, "ROLLBACK");
            for call in batch {
                call.answer(Some(copy_error(path, &e)));
            }
        }
    }
}

/// Runs one statement without parameters, prepared once per connection.
fn exec(conn: &Connection, statement: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(statement)?.execute([]).map(|_| ())
}

/// One batch's failure, for each of its calls (a SQLite error is not `Clone`).
fn copy_error(path: &str, e: &rusqlite::Error) -> Error {
    let source = match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    };
    Error::Sqlite {
        path: path.to_string(),
        source,
    }
}

fn sql(path: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Sqlite {
        path: path.to_string(),
        source,
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let p = path.display().to_string();
    let err = sql(&p);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Corrupt {
            what: dir.display().to_string(),
            message: format!("could not create the board's folder: {e}"),
        })?;
    }
    let mut conn = Connection::open(path).map_err(&err)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(&err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(&err)?;
    // In WAL mode NORMAL makes each commit atomic and lets it survive a crash
    // of the process (kill -9: what the board promises), syncing the disk at
    // checkpoints instead of on every commit (FULL: a commit per fsync, ~6 ms
    // here, a ceiling of a few hundred transitions per second). A power loss
    // may take back the latest commits, never corrupt the file; every step the
    // engine repeats on resume is idempotent.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(&err)?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)
        .map_err(&err)?;
    conn.set_prepared_statement_cache_capacity(32);
    migrate(&mut conn, &p)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &str) -> Result<()> {
    let err = sql(path);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&err)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(&err)?;
    if version > SqliteBoard::SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: path.to_string(),
            found: version,
            supported: SqliteBoard::SCHEMA_VERSION,
        });
    }
    for (i, migration) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(migration).map_err(&err)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )
        .map_err(&err)?;
    }
    tx.commit().map_err(&err)
}

fn decode(id: &str, body: &str, path: &str) -> Result<Task> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt {
        what: format!("task {id} on the board at {path}"),
        message: e.to_string(),
    })
}

fn encode(task: &Task) -> Result<String> {
    serde_json::to_string(task).map_err(|e| Error::Corrupt {
        what: format!("task {}", task.id),
        message: e.to_string(),
    })
}

fn load(conn: &Connection, id: &str, path: &str) -> Result<Option<Task>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM tasks WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |r| r.get(0)).optional())
        .map_err(sql(path))?;
    body.map(|b| decode(id, &b, path)).transpose()
}

/// What a save of task `id` is checked against, read from the columns and the
/// dependencies (no decoding of the body).
fn load_stored(conn: &Connection, id: &TaskId, path: &str) -> Result<Option<Stored>> {
    let err = sql(path);
    let row = conn
        .prepare_cached(
            "SELECT revision, status, lease_owner, lease_expires_at,
                    json_extract(body, '$.created_at')
             FROM tasks WHERE id = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([id.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .optional()
        })
        .map_err(&err)?;
    let Some((revision, status, owner, expires, created)) = row else {
        return Ok(None);
    };
    let corrupt = |message: String| Error::Corrupt {
        what: format!("task {id} on the board at {path}"),
        message,
    };
    let status = TaskStatus::parse(&status)
        .ok_or_else(|| corrupt(format!("status {status:?} is not a task status")))?;
    let mut blocked_by = BTreeSet::new();
    let mut stmt = conn
        .prepare_cached("SELECT blocker FROM dependencies WHERE dependent = ?1")
        .map_err(&err)?;
    let rows = stmt
        .query_map([id.as_str()], |r| r.get::<_, String>(0))
        .map_err(&err)?;
    for row in rows {
        let blocker = row.map_err(&err)?;
        blocked_by.insert(
            TaskId::new(&blocker).map_err(|e| corrupt(format!("blocker {blocker:?}: {e}")))?,
        );
    }
    let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(Some(Stored {
        revision: unsigned(revision),
        status,
        blocked_by,
        lease: owner.map(|owner| Lease {
            owner: WorkerId(owner),
            expires_at: Timestamp(expires.map_or(0, unsigned)),
        }),
        created_at: Timestamp(created.map_or(0, unsigned)),
    }))
}

/// The tasks a query of `(id, body)` rows returns, decoded.
fn load_where(
    conn: &Connection,
    query: &str,
    args: impl rusqlite::Params,
    path: &str,
) -> Result<Vec<Task>> {
    let err = sql(path);
    let mut stmt = conn.prepare_cached(query).map_err(&err)?;
    let rows = stmt
        .query_map(args, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(&err)?;
    let mut tasks = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(&err)?;
        tasks.push(decode(&id, &body, path)?);
    }
    Ok(tasks)
}

fn load_all(conn: &Connection, path: &str) -> Result<Vec<Task>> {
    load_where(conn, "SELECT id, body FROM tasks ORDER BY id", [], path)
}

fn load_in_flight(conn: &Connection, path: &str) -> Result<Vec<Task>> {
    load_where(
        conn,
        "SELECT id, body FROM tasks WHERE status IN ('in_progress', 'auditing', 'shipping')
         ORDER BY id",
        [],
        path,
    )
}

fn exists(conn: &Connection, id: &TaskId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// The tasks waiting for `id` directly.
fn dependents(conn: &Connection, id: &TaskId, path: &str) -> Result<Vec<TaskId>> {
    let err = sql(path);
    let mut stmt = conn
        .prepare_cached("SELECT dependent FROM dependencies WHERE blocker = ?1")
        .map_err(&err)?;
    let rows = stmt
        .query_map([id.as_str()], |r| r.get::<_, String>(0))
        .map_err(&err)?;
    let mut found = Vec::new();
    for row in rows {
        let dependent = row.map_err(&err)?;
        found.push(TaskId::new(&dependent).map_err(|e| Error::Corrupt {
            what: format!("the dependencies of task {id} on the board at {path}"),
            message: format!("{dependent:?}: {e}"),
        })?);
    }
    Ok(found)
}

/// Makes the dependency rows of `task` its `blocked_by`.
fn write_dependencies(conn: &Connection, task: &Task, path: &str) -> Result<()> {
    let run = || -> rusqlite::Result<()> {
        conn.prepare_cached("DELETE FROM dependencies WHERE dependent = ?1")?
            .execute([task.id.as_str()])?;
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO dependencies (blocker, dependent) VALUES (?1, ?2)",
        )?;
        for blocker in &task.blocked_by {
            insert.execute([blocker.as_str(), task.id.as_str()])?;
        }
        Ok(())
    };
    run().map_err(sql(path))
}

fn lease_columns(task: &Task) -> (Option<String>, Option<i64>) {
    (
        task.lease.as_ref().map(|l| l.owner.0.clone()),
        task.lease
            .as_ref()
            .map(|l| i64::try_from(l.expires_at.0).unwrap_or(i64::MAX)),
    )
}

/// Writes `task` as the board's latest change.
fn write(conn: &Connection, task: &Task, path: &str) -> Result<()> {
    let (owner, expires) = lease_columns(task);
    let body = encode(task)?;
    conn.prepare_cached(
        "INSERT INTO tasks (id, revision, status, lease_owner, lease_expires_at, body, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks))
         ON CONFLICT(id) DO UPDATE SET revision = ?2, status = ?3, lease_owner = ?4,
             lease_expires_at = ?5, body = ?6, seq = excluded.seq",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            task.id.as_str(),
            i64::try_from(task.revision).unwrap_or(i64::MAX),
            task.status.as_str(),
            owner,
            expires,
            body,
        ])
    })
    .map_err(sql(path))?;
    Ok(())
}

#[async_trait]
impl TaskStore for SqliteBoard {
    async fn insert(&self, mut task: Task) -> Result<Task> {
        self.call(true, move |conn, path| {
            let mut exists_err = None;
            let checked = rules::check_insert(&mut task, |id| {
                exists(conn, id).unwrap_or_else(|e| {
                    exists_err.get_or_insert(e);
                    false
                })
            });
            if let Some(e) = exists_err {
                return Err(sql(path)(e));
            }
            checked?;
            write(conn, &task, path)?;
            if !task.blocked_by.is_empty() {
                write_dependencies(conn, &task, path)?;
            }
            Ok(task)
        })
        .await
    }

    async fn get(&self, id: &TaskId) -> Result<Option<Task>> {
        let id = id.clone();
        self.call(false, move |conn, path| load(conn, id.as_str(), path))
            .await
    }

    async fn list(&self) -> Result<Vec<Task>> {
        self.call(false, load_all).await
    }

    async fn save(&self, mut task: Task) -> Result<Task> {
        self.call(true, move |conn, path| {
            let stored = load_stored(conn, &task.id, path)?
                .ok_or_else(|| Error::UnknownTask(task.id.clone()))?;
            rules::check_save(
                &stored,
                &mut task,
                || load_in_flight(conn, path),
                |id| exists(conn, id).map_err(sql(path)),
                |id| dependents(conn, id, path),
            )?;
            write(conn, &task, path)?;
            if stored.blocked_by != task.blocked_by {
                write_dependencies(conn, &task, path)?;
            }
            Ok(task)
        })
        .await
    }

    async fn renew_leases(&self, owner: &WorkerId, expires_at: Timestamp) -> Result<usize> {
        let owner = owner.clone();
        self.call(true, move |conn, path| {
            let mut tasks = load_where(
                conn,
                "SELECT id, body FROM tasks WHERE lease_owner = ?1",
                [owner.0.as_str()],
                path,
            )?;
            for task in &mut tasks {
                if let Some(lease) = task.lease.as_mut() {
                    lease.expires_at = expires_at;
                }
                let (_, expires) = lease_columns(task);
                let body = encode(task)?;
                // Not a change: the feed's number stays.
                conn.prepare_cached(
                    "UPDATE tasks SET lease_expires_at = ?2, body = ?3 WHERE id = ?1",
                )
                .and_then(|mut stmt| stmt.execute(params![task.id.as_str(), expires, body]))
                .map_err(sql(path))?;
            }
            Ok(tasks.len())
        })
        .await
    }

    async fn changes(&self, since: u64) -> Result<Changes> {
        self.changes_page(since, usize::MAX).await
    }

    async fn changes_page(&self, since: u64, limit: usize) -> Result<Changes> {
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(false, move |conn, path| {
            let err = sql(path);
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, body, seq FROM tasks WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )
                .map_err(&err)?;
            let rows = stmt
                .query_map([since, limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(&err)?;
            let mut changes = Changes {
                cursor: u64::try_from(since).unwrap_or(0),
                tasks: Vec::new(),
            };
            for row in rows {
                let (id, body, seq) = row.map_err(&err)?;
                changes.tasks.push(decode(&id, &body, path)?);
                changes.cursor = changes.cursor.max(u64::try_from(seq).unwrap_or(0));
            }
            Ok(changes)
        })
        .await
    }

    async fn in_flight(&self) -> Result<Vec<Task>> {
        self.call(false, load_in_flight).await
    }
}

#[async_trait]
impl SourceCache for SqliteBoard {
    async fn cache_get(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_string();
        self.call(false, move |conn, path| {
            conn.prepare_cached("SELECT value FROM source_cache WHERE key = ?1")
                .and_then(|mut stmt| stmt.query_row(params![key], |r| r.get(0)).optional())
                .map_err(sql(path))
        })
        .await
    }

    async fn cache_put(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.call(true, move |conn, path| {
            conn.prepare_cached(
                "INSERT INTO source_cache (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut stmt| stmt.execute(params![key, value]))
            .map(|_| ())
            .map_err(sql(path))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_board_from_a_newer_ops_is_refused_with_both_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("board.sqlite");
        {
            let conn = Connection::open(&path).expect("open");
            conn.pragma_update(None, "user_version", 99)
                .expect("set version");
        }
        let err = SqliteBoard::open(&path).await.expect_err("newer schema");
        let msg = err.to_string();
        assert!(
            msg.contains("99") && msg.contains(&SqliteBoard::SCHEMA_VERSION.to_string()),
            "{msg}"
        );
        assert!(msg.contains("board.sqlite"), "{msg}");
    }

    #[tokio::test]
    async fn opening_migrates_an_empty_file_to_the_current_schema_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/board.sqlite");
        drop(SqliteBoard::open(&path).await.expect("first open"));
        drop(
            SqliteBoard::open(&path)
                .await
                .expect("second open is a no-op migration"),
        );
        let conn = Connection::open(&path).expect("open");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, SqliteBoard::SCHEMA_VERSION);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn a_board_of_schema_3_gets_its_dependencies_indexed_so_a_cycle_through_them_is_refused()
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("board.sqlite");
        let id = |s: &str| TaskId::new(s).expect("an id");
        {
            let board = SqliteBoard::open(&path).await.expect("open");
            board
                .insert(Task::new(id("a"), "a", "p", "r"))
                .await
                .expect("a");
            let mut b = Task::new(id("b"), "b", "p", "r");
            b.blocked_by.insert(id("a"));
            board.insert(b).await.expect("b");
        }
        {
            // As schema 3 left it: the dependencies only in the tasks' bodies.
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch("DROP TABLE dependencies; PRAGMA user_version = 3;")
                .expect("back to schema 3");
        }
        let board = SqliteBoard::open(&path).await.expect("migrates");
        let mut a = board.get(&id("a")).await.expect("get").expect("a");
        a.blocked_by.insert(id("b"));
        match board.save(a).await {
            Err(Error::Cycle { cycle }) => assert_eq!(cycle, [id("a"), id("b"), id("a")]),
            other => panic!("a -> b -> a must be refused, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_corrupt_task_row_is_an_error_naming_the_task_and_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("board.sqlite");
        drop(SqliteBoard::open(&path).await.expect("open"));
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute(
                "INSERT INTO tasks (id, revision, status, body) VALUES ('bad-1', 1, 'pending', '{not json')",
                [],
            )
            .expect("plant");
        }
        let board = SqliteBoard::open(&path).await.expect("open");
        let msg = board.list().await.expect_err("corrupt").to_string();
        assert!(
            msg.contains("bad-1") && msg.contains("board.sqlite"),
            "{msg}"
        );
    }
}
