//! The power-loss disk itself: what a power cut keeps and drops, through ordinary file
//! calls on the mounted filesystem. If these fail, no crash test on the disk means much.

mod common;

use common::Rig;
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};

fn sync_dir(p: &std::path::Path) {
    File::open(p).and_then(|d| d.sync_all()).expect("fsync dir");
}

fn cut(rig: &mut Rig) {
    rig.disk().power_cut();
    rig.remount();
}

#[test]
fn a_power_cut_keeps_exactly_what_was_synced() {
    let mut rig = Rig::new();
    let root = rig.path("");
    let dir = rig.path("d");
    fs::create_dir(&dir).expect("mkdir");
    sync_dir(&root);

    // Synced file, synced name: kept whole.
    let mut kept = File::create(dir.join("kept")).expect("create");
    kept.write_all(b"durable").expect("write");
    kept.sync_all().expect("fsync");
    // Written, never synced, but its name is synced: the name survives, empty.
    let mut unsynced = File::create(dir.join("unsynced")).expect("create");
    unsynced.write_all(b"lost").expect("write");
    sync_dir(&dir);
    // Synced content, name never synced: gone.
    let mut nameless = File::create(dir.join("nameless")).expect("create");
    nameless.write_all(b"orphan").expect("write");
    nameless.sync_data().expect("fdatasync");
    // Appended after the sync: the tail is dropped, the synced part stays.
    kept.write_all(b" and more").expect("append");
    // A rename that was never made durable: the old name stays.
    fs::rename(dir.join("kept"), dir.join("renamed")).expect("rename");
    drop((kept, unsynced, nameless));

    let before = rig.disk().unsynced();
    assert_eq!((before.files, before.dirs), (2, 1), "{before:?}");
    cut(&mut rig);

    let dir = rig.path("d");
    assert_eq!(fs::read(dir.join("kept")).expect("kept"), b"durable");
    assert_eq!(fs::read(dir.join("unsynced")).expect("unsynced"), b"");
    assert!(!dir.join("nameless").exists());
    assert!(!dir.join("renamed").exists());
    // And the backing folder held the same thing between the mounts.
    let names: Vec<String> = fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["kept", "unsynced"]);
}

#[test]
fn overwrites_truncations_and_renames_become_durable_only_when_synced() {
    let mut rig = Rig::new();
    let root = rig.path("");
    let f = rig.path("log");
    let mut w = File::create(&f).expect("create");
    w.write_all(&vec![b'a'; 10_000]).expect("write");
    w.sync_all().expect("fsync");
    sync_dir(&root);
    // Overwrite inside a page, truncate, extend past a hole: none synced.
    w.seek(SeekFrom::Start(5000)).expect("seek");
    w.write_all(b"BBBB").expect("overwrite");
    w.set_len(100).expect("truncate");
    w.seek(SeekFrom::Start(20_000)).expect("seek");
    w.write_all(b"far").expect("write past the end");
    drop(w);
    // Replace-by-rename with a synced temp file but no directory sync: old file stays.
    let tmp = rig.path("log.tmp");
    let mut t = File::create(&tmp).expect("tmp");
    t.write_all(b"new").expect("write");
    t.sync_all().expect("fsync");
    fs::rename(&tmp, &f).expect("rename over");
    cut(&mut rig);
    assert_eq!(fs::read(rig.path("log")).expect("log"), vec![b'a'; 10_000]);
    assert!(!rig.path("log.tmp").exists());

    // The same, synced: the new state wins.
    let f = rig.path("log");
    let mut w = OpenOptions::new().write(true).open(&f).expect("open");
    w.set_len(100).expect("truncate");
    w.seek(SeekFrom::Start(8192)).expect("seek");
    w.write_all(b"far").expect("write");
    w.sync_data().expect("fdatasync");
    drop(w);
    cut(&mut rig);
    let got = fs::read(rig.path("log")).expect("log");
    assert_eq!(got.len(), 8195);
    assert!(got[..100].iter().all(|b| *b == b'a'));
    assert!(
        got[100..8192].iter().all(|b| *b == 0),
        "the hole reads as zeros"
    );
    assert_eq!(&got[8192..], b"far");

    let tmp = rig.path("log.tmp");
    fs::write(&tmp, b"new").expect("tmp");
    File::open(&tmp).and_then(|f| f.sync_all()).expect("fsync");
    fs::rename(&tmp, rig.path("log")).expect("rename over");
    sync_dir(&rig.path(""));
    cut(&mut rig);
    assert_eq!(fs::read(rig.path("log")).expect("log"), b"new");
}

#[test]
fn after_the_cut_every_operation_fails_until_the_disk_is_back() {
    let mut rig = Rig::new();
    let mut f = File::create(rig.path("f")).expect("create");
    rig.disk().power_cut();
    let e = f.write_all(b"x").and_then(|()| f.sync_all());
    assert!(e.is_err(), "a write or sync after the cut must fail");
    assert!(fs::read_dir(rig.path("")).is_err());
    drop(f);
    rig.remount();
    assert!(!rig.path("f").exists(), "the unsynced name is gone");
    fs::write(rig.path("g"), b"ok").expect("the disk works again");
}
