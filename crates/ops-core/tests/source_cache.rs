//! The sources' cache on the board: what a source stores is there on the next
//! audit, in memory and across reopening a SQLite board, and keys never mix.

use ops_core::{MemoryBoard, SourceCache, SqliteBoard};

async fn round_trip(cache: &dyn SourceCache) {
    assert_eq!(cache.cache_get("github:runs:o/a:dev").await.unwrap(), None);
    cache
        .cache_put("github:runs:o/a:dev", "{\"etag\":\"W/1\"}")
        .await
        .unwrap();
    cache
        .cache_put("github:runs:o/a:main", "{\"etag\":\"W/2\"}")
        .await
        .unwrap();
    cache
        .cache_put("github:runs:o/a:dev", "{\"etag\":\"W/3\"}")
        .await
        .unwrap();
    assert_eq!(
        cache
            .cache_get("github:runs:o/a:dev")
            .await
            .unwrap()
            .as_deref(),
        Some("{\"etag\":\"W/3\"}")
    );
    assert_eq!(
        cache
            .cache_get("github:runs:o/a:main")
            .await
            .unwrap()
            .as_deref(),
        Some("{\"etag\":\"W/2\"}")
    );
}

#[tokio::test]
async fn the_memory_board_keeps_the_latest_value_per_key() {
    round_trip(&MemoryBoard::new()).await;
}

#[tokio::test]
async fn the_sqlite_board_keeps_cache_entries_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.sqlite");
    round_trip(&SqliteBoard::open(&path).await.unwrap()).await;
    let again = SqliteBoard::open(&path).await.unwrap();
    assert_eq!(
        again
            .cache_get("github:runs:o/a:dev")
            .await
            .unwrap()
            .as_deref(),
        Some("{\"etag\":\"W/3\"}")
    );
}
