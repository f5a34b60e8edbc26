//! The one push of ops-ship against a real bare origin: refspec tricks are refused
//! before git sees them.

use ops_core::ErrorKind;
use ops_git::Git;
use ops_ship::push::{PushKind, push};
use ops_testkit::TempRepo;

const WORK: PushKind<'static> = PushKind::Work { main: "main" };

#[tokio::test]
async fn an_empty_source_is_refused_and_never_deletes_the_remote_branch() {
    let repo = TempRepo::new();
    let dev0 = repo.origin_rev("dev");
    let e = push(&Git::new(repo.work()), "origin", "", "dev", WORK)
        .await
        .expect_err("`:refs/heads/dev` deletes dev");
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    assert_eq!(repo.origin_rev("dev"), dev0);
}

#[tokio::test]
async fn a_destination_that_smuggles_a_refspec_or_spells_main_otherwise_is_refused() {
    let repo = TempRepo::new();
    repo.commit_file("x.txt", "x\n", "work");
    let main0 = repo.origin_rev("main");
    let git = Git::new(repo.work());
    for dst in [
        "MAIN",
        "Master",
        "x:refs/heads/main",
        "refs/heads/main",
        "dev main",
        "",
    ] {
        let e = push(&git, "origin", "HEAD", dst, WORK)
            .await
            .expect_err(dst);
        assert_eq!(e.kind(), ErrorKind::Invalid, "{dst:?}: {e}");
    }
    assert_eq!(repo.origin_rev("main"), main0);
}
