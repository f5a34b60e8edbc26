//! The board's rules: ids unique, transitions legal, saves compare-and-set on the
//! revision, dependencies acyclic, leases renewed only for their owner, and a
//! change feed that returns what changed after a cursor.

use crate::board::TaskStore;
use crate::error::Error;
use crate::model::{Lease, Task, TaskId, TaskStatus, Timestamp, WorkerId};

fn id(s: &str) -> TaskId {
    TaskId::new(s).expect("the suite's ids are valid")
}

fn task(s: &str) -> Task {
    Task::new(id(s), format!("task {s}"), "conformance", "repo")
}

/// Runs every board rule against `store`, which must start empty.
pub async fn board(store: &dyn TaskStore) {
    assert!(
        store.list().await.expect("list").is_empty(),
        "the suite needs an empty board"
    );

    // Insert, get, list.
    let a = store.insert(task("a")).await.expect("insert a");
    assert_eq!(a.revision, 1, "insert returns revision 1");
    assert!(a.created_at > Timestamp(0), "insert stamps created_at");
    let mut b = task("b");
    b.blocked_by.insert(id("a"));
    store.insert(b).await.expect("insert b blocked by a");
    let got = store
        .get(&id("a"))
        .await
        .expect("get")
        .expect("a is on the board");
    assert_eq!(got, a, "get returns what insert stored");
    assert!(
        store.get(&id("nope")).await.expect("get").is_none(),
        "get of an unknown id is None"
    );
    let ids: Vec<String> = store
        .list()
        .await
        .expect("list")
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(ids, ["a", "b"], "list is ordered by id");

    // Insert refusals.
    assert!(
        matches!(store.insert(task("a")).await, Err(Error::DuplicateTask(_))),
        "duplicate ids are refused"
    );
    let mut done = task("c");
    done.status = TaskStatus::Completed;
    assert!(
        matches!(
            store.insert(done).await,
            Err(Error::IllegalTransition { .. })
        ),
        "only pending tasks can be inserted"
    );
    let mut orphan = task("d");
    orphan.blocked_by.insert(id("ghost"));
    assert!(
        matches!(store.insert(orphan).await, Err(Error::UnknownTask(ref g)) if g.as_str() == "ghost"),
        "a blocker must be on the board"
    );
    assert!(
        store.get(&id("d")).await.expect("get").is_none(),
        "a refused insert leaves nothing"
    );

    // Save: legal move, revision bump.
    let mut a1 = a.clone();
    a1.move_to(TaskStatus::InProgress, None).expect("legal");
    let a2 = store.save(a1).await.expect("save a legal move");
    assert_eq!(a2.revision, 2, "save bumps the revision");
    assert_eq!(
        store.get(&id("a")).await.expect("get").expect("a").status,
        TaskStatus::InProgress
    );

    // Save: stale revision.
    let mut stale = a.clone();
    stale.title = "lost update".into();
    match store.save(stale).await {
        Err(Error::Conflict {
            expected: 1,
            found: 2,
            ..
        }) => {}
        other => panic!("a save from a stale revision must conflict, got {other:?}"),
    }
    assert_ne!(
        store.get(&id("a")).await.expect("get").expect("a").title,
        "lost update"
    );

    // Save: illegal move (bypassing Task::move_to).
    let mut skip = a2.clone();
    skip.status = TaskStatus::Completed;
    assert!(
        matches!(
            store.save(skip).await,
            Err(Error::IllegalTransition {
                from: TaskStatus::InProgress,
                to: TaskStatus::Completed,
                ..
            })
        ),
        "an illegal status move is refused"
    );
    assert_eq!(
        store.get(&id("a")).await.expect("get").expect("a").revision,
        2,
        "a refused save changes nothing"
    );

    // Save: cycle through blocked_by.
    let mut a_cyc = a2.clone();
    a_cyc.blocked_by.insert(id("b"));
    match store.save(a_cyc).await {
        Err(Error::Cycle { cycle }) => {
            assert!(
                cycle.contains(&id("a")) && cycle.contains(&id("b")),
                "the cycle names its tasks: {cycle:?}"
            );
        }
        other => panic!("a dependency closing a cycle must be refused, got {other:?}"),
    }
    assert!(
        store
            .get(&id("a"))
            .await
            .expect("get")
            .expect("a")
            .blocked_by
            .is_empty()
    );

    // Save of an unknown task.
    assert!(matches!(
        store.save(task("zz")).await,
        Err(Error::UnknownTask(_))
    ));

    // Two claims from one read: exactly one wins.
    let mut e = task("e");
    e.repo = "repo-e".into();
    let e = store.insert(e).await.expect("insert e");
    let claim = |owner: &str| {
        let mut t = e.clone();
        t.move_to(TaskStatus::InProgress, None).expect("legal");
        t.lease = Some(Lease {
            owner: WorkerId(owner.into()),
            expires_at: Timestamp::now().plus(std::time::Duration::from_secs(60)),
        });
        t
    };
    let (r1, r2) = futures::join!(store.save(claim("w1")), store.save(claim("w2")));
    assert_eq!(
        usize::from(r1.is_ok()) + usize::from(r2.is_ok()),
        1,
        "two claims from the same revision: exactly one wins ({r1:?}, {r2:?})"
    );

    // Leases renew for their owner only.
    let winner = if r1.is_ok() { "w1" } else { "w2" };
    let later = Timestamp::now().plus(std::time::Duration::from_secs(3600));
    assert_eq!(
        store
            .renew_leases(&WorkerId("nobody".into()), later)
            .await
            .expect("renew"),
        0
    );
    assert_eq!(
        store
            .renew_leases(&WorkerId(winner.into()), later)
            .await
            .expect("renew"),
        1
    );
    let e = store.get(&id("e")).await.expect("get").expect("e");
    assert_eq!(
        e.lease.as_ref().map(|l| l.expires_at),
        Some(later),
        "renewal moves the expiry"
    );
    assert_eq!(
        e.revision, 2,
        "renewal does not bump the revision (the owner's copy stays current)"
    );

    // A claim that overlaps the ownership of an in-flight task is refused
    // (e is in flight in "repo-e" and owns all of it).
    let mut f = task("f");
    f.repo = "repo-e".into();
    let f = store.insert(f).await.expect("insert f");
    let mut claim_f = f.clone();
    claim_f
        .move_to(TaskStatus::InProgress, None)
        .expect("legal");
    match store.save(claim_f).await {
        Err(Error::OwnershipTaken { holder, .. }) => assert_eq!(holder, id("e")),
        other => {
            panic!("a claim overlapping an in-flight task's paths must be refused, got {other:?}")
        }
    }
    let mut elsewhere = f.clone();
    elsewhere.repo = "another-repo".into();
    elsewhere
        .move_to(TaskStatus::InProgress, None)
        .expect("legal");
    let f = store
        .save(elsewhere)
        .await
        .expect("a claim in another repository is fine");
    let mut back = f;
    back.move_to(TaskStatus::Pending, None).expect("legal");
    store.save(back).await.expect("release f");

    // The owner saving its pre-renewal copy keeps the renewed expiry.
    let mut stale_copy = e.clone();
    if let Some(l) = stale_copy.lease.as_mut() {
        l.expires_at = Timestamp(1);
    }
    stale_copy
        .move_to(TaskStatus::Auditing, None)
        .expect("legal");
    let saved = store.save(stale_copy).await.expect("save by the owner");
    assert_eq!(
        saved.lease.map(|l| l.expires_at),
        Some(later),
        "a save by the lease owner never moves the expiry back"
    );

    // The change feed: from 0 the whole board; from a cursor only what was
    // inserted or saved after it, each task once, the latest write last;
    // in_flight lists exactly the tasks in flight.
    let all = store.changes(0).await.expect("the feed from 0");
    let mut fed: Vec<TaskId> = all.tasks.iter().map(|t| t.id.clone()).collect();
    fed.sort();
    let listed: Vec<TaskId> = store
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(fed, listed, "the feed from 0 is the whole board");
    let cursor = all.cursor;
    let g = store.insert(task("g")).await.expect("insert g");
    let mut g2 = g.clone();
    g2.title = "task g, renamed".into();
    let g2 = store.save(g2).await.expect("save g");
    let a = store.get(&id("a")).await.expect("get").expect("a");
    let a = store.save(a).await.expect("save a");
    let since = store.changes(cursor).await.expect("the feed from a cursor");
    assert_eq!(
        since.tasks,
        vec![g2, a],
        "only what changed after the cursor, once each, in the order of the last change"
    );
    assert!(
        store
            .changes(since.cursor)
            .await
            .expect("the feed")
            .tasks
            .is_empty(),
        "nothing after the latest cursor"
    );
    // In pages of 2 from 0: the same tasks in the same order as the feed at
    // once, each once (a board on the default feed answers in one page).
    let whole = store.changes(0).await.expect("the feed from 0");
    let (mut paged, mut cursor) = (Vec::new(), 0);
    loop {
        let page = store.changes_page(cursor, 2).await.expect("a page");
        let more = page.tasks.len() >= 2 && page.cursor > cursor;
        paged.extend(page.tasks);
        cursor = page.cursor;
        if !more {
            break;
        }
    }
    assert_eq!(
        paged, whole.tasks,
        "the pages, end to end, are the whole feed"
    );
    assert!(
        store
            .changes(cursor)
            .await
            .expect("the feed")
            .tasks
            .is_empty()
            || cursor == 0,
        "the last page's cursor is past the latest write"
    );
    let in_flight: Vec<TaskId> = store
        .in_flight()
        .await
        .expect("in flight")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(in_flight, [id("a"), id("e")], "a and e are in flight");
}
