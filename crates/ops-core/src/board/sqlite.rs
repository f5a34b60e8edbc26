//! The SQLite board: one file, WAL, a schema version with migrations, and a single
//! connection owned by a dedicated thread so no SQLite call runs on an async thread.
//!
//! Each save is an `IMMEDIATE` transaction that re-reads the stored revision, so
//! several `ops` processes can share one board file safely.

use super::{SourceCache, TaskStore, rules};
use crate::error::{Error, Result};
use crate::model::{Task, TaskId, Timestamp, WorkerId};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
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
];

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A board in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteBoard {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl SqliteBoard {
    /// Opens (creating if needed) the board at `path` and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let thread_path = path.clone();
        std::thread::Builder::new()
            .name("ops-board".into())
            .spawn(move || match open_connection(&thread_path) {
                Ok(mut conn) => {
                    let _ = ready_tx.send(Ok(()));
                    // Runs until every sender (every clone of the board) is dropped.
                    for job in inbox {
                        job(&mut conn);
                    }
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

    /// Runs `f` on the board thread and waits for its result.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let path = self.path.display().to_string();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn, &path));
            }))
            .map_err(|_| Error::BoardClosed)?;
        rx.await.map_err(|_| Error::BoardClosed)?
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
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(&err)?;
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
        .query_row("SELECT body FROM tasks WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(sql(path))?;
    body.map(|b| decode(id, &b, path)).transpose()
}

fn load_all(conn: &Connection, path: &str) -> Result<Vec<Task>> {
    let err = sql(path);
    let mut stmt = conn
        .prepare("SELECT id, body FROM tasks ORDER BY id")
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(&err)?;
    let mut tasks = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(&err)?;
        tasks.push(decode(&id, &body, path)?);
    }
    Ok(tasks)
}

fn write(conn: &Connection, task: &Task, path: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO tasks (id, revision, status, lease_owner, lease_expires_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET revision = ?2, status = ?3, lease_owner = ?4,
             lease_expires_at = ?5, body = ?6",
        params![
            task.id.as_str(),
            i64::try_from(task.revision).unwrap_or(i64::MAX),
            task.status.as_str(),
            task.lease.as_ref().map(|l| l.owner.0.clone()),
            task.lease
                .as_ref()
                .map(|l| i64::try_from(l.expires_at.0).unwrap_or(i64::MAX)),
            encode(task)?,
        ],
    )
    .map_err(sql(path))?;
    Ok(())
}

#[async_trait]
impl TaskStore for SqliteBoard {
    async fn insert(&self, mut task: Task) -> Result<Task> {
        self.call(move |conn, path| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(path))?;
            let mut exists_err = None;
            let exists = |id: &TaskId| -> bool {
                tx.query_row("SELECT 1 FROM tasks WHERE id = ?1", [id.as_str()], |_| {
                    Ok(())
                })
                .optional()
                .map(|r| r.is_some())
                .unwrap_or_else(|e| {
                    exists_err.get_or_insert(e);
                    false
                })
            };
            let checked = rules::check_insert(&mut task, exists);
            if let Some(e) = exists_err {
                return Err(sql(path)(e));
            }
            checked?;
            write(&tx, &task, path)?;
            tx.commit().map_err(sql(path))?;
            Ok(task)
        })
        .await
    }

    async fn get(&self, id: &TaskId) -> Result<Option<Task>> {
        let id = id.clone();
        self.call(move |conn, path| load(conn, id.as_str(), path))
            .await
    }

    async fn list(&self) -> Result<Vec<Task>> {
        self.call(|conn, path| load_all(conn, path)).await
    }

    async fn save(&self, mut task: Task) -> Result<Task> {
        self.call(move |conn, path| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(path))?;
            let stored = load(&tx, task.id.as_str(), path)?
                .ok_or_else(|| Error::UnknownTask(task.id.clone()))?;
            rules::check_save(&stored, &mut task, || load_all(&tx, path))?;
            write(&tx, &task, path)?;
            tx.commit().map_err(sql(path))?;
            Ok(task)
        })
        .await
    }

    async fn renew_leases(&self, owner: &WorkerId, expires_at: Timestamp) -> Result<usize> {
        let owner = owner.clone();
        self.call(move |conn, path| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(path))?;
            let ids: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT id FROM tasks WHERE lease_owner = ?1")
                    .map_err(sql(path))?;
                let rows = stmt
                    .query_map([owner.0.as_str()], |r| r.get(0))
                    .map_err(sql(path))?;
                rows.collect::<rusqlite::Result<_>>().map_err(sql(path))?
            };
            for id in &ids {
                if let Some(mut task) = load(&tx, id, path)? {
                    if let Some(lease) = task.lease.as_mut() {
                        lease.expires_at = expires_at;
                    }
                    write(&tx, &task, path)?;
                }
            }
            tx.commit().map_err(sql(path))?;
            Ok(ids.len())
        })
        .await
    }
}

#[async_trait]
impl SourceCache for SqliteBoard {
    async fn cache_get(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_string();
        self.call(move |conn, path| {
            conn.query_row(
                "SELECT value FROM source_cache WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql(path))
        })
        .await
    }

    async fn cache_put(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.call(move |conn, path| {
            conn.execute(
                "INSERT INTO source_cache (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
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
