//! The simulator over many seeds. `cargo test -p handoff-sim` runs 200 seeds (two worker
//! threads, one seed per simulation, each simulation single-threaded and deterministic);
//! `HANDOFF_SIM_SEEDS=5000 cargo test -p handoff-sim --release -- --ignored nightly` is
//! the long run. A failure prints the seed and the command that replays it alone; add
//! `HANDOFF_SIM_VERBOSE=1` to print every event and `HANDOFF_SIM_LOG=1` for Malachite's
//! log.

use std::time::Instant;

use handoff_sim::{Byzantine, Failure, Faults, Report, run, run_without_validation};

fn seeds_from_env(default: u64) -> u64 {
    std::env::var("HANDOFF_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn run_many(first: u64, count: u64) -> (Vec<Report>, Vec<Failure>) {
    let workers = 2u64;
    let results: Vec<Vec<Result<Report, Failure>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    (first..first + count)
                        .filter(|seed| seed % workers == w)
                        .map(run)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in results.into_iter().flatten() {
        match r {
            Ok(rep) => ok.push(rep),
            Err(f) => bad.push(f),
        }
    }
    (ok, bad)
}

fn check(first: u64, count: u64) {
    let t = Instant::now();
    let (ok, bad) = run_many(first, count);
    for f in &bad {
        eprintln!("{f}");
    }
    assert!(
        bad.is_empty(),
        "{} of {count} seeds failed (see above)",
        bad.len()
    );
    assert_eq!(ok.len() as u64, count, "a worker thread panicked");
    // The runs were not vacuous: faults of every kind happened and were survived.
    let crashed = ok.iter().filter(|r| !r.faults.crashes.is_empty()).count();
    let partitioned = ok
        .iter()
        .filter(|r| !r.faults.partitions.is_empty())
        .count();
    let dropped: u64 = ok.iter().map(|r| r.dropped).sum();
    let modes = |m: Byzantine| {
        ok.iter()
            .filter(|r| r.faults.byzantine.map(|b| b.1) == Some(m))
            .count()
    };
    let heights: u64 = ok.iter().map(|r| r.height).sum();
    eprintln!(
        "{count} seeds in {:.1?}: {} crashed a node, {} partitioned, {} messages dropped, \
         byzantine equivocate/invalid/garbage {}/{}/{}, mean final height {:.1}, {} misbehaviour reports",
        t.elapsed(),
        crashed,
        partitioned,
        dropped,
        modes(Byzantine::Equivocate),
        modes(Byzantine::InvalidBlocks),
        modes(Byzantine::Garbage),
        heights as f64 / count.max(1) as f64,
        ok.iter().map(|r| r.misbehaviour_reports).sum::<u64>(),
    );
    if count >= 50 {
        assert!(crashed > 0 && partitioned > 0 && dropped > 0);
        assert!(modes(Byzantine::Equivocate) > 0);
        assert!(modes(Byzantine::InvalidBlocks) > 0);
        assert!(modes(Byzantine::Garbage) > 0);
    }
}

#[test]
fn two_hundred_seeds() {
    check(0, seeds_from_env(200).min(200));
}

#[test]
#[ignore = "nightly: HANDOFF_SIM_SEEDS=5000 cargo test -p handoff-sim --release -- --ignored nightly"]
fn nightly() {
    check(1_000_000, seeds_from_env(5000));
}

#[test]
fn one_seed() {
    // HANDOFF_SIM_LOG=1: Malachite's own debug log, interleaved with the simulator's
    // events when HANDOFF_SIM_VERBOSE=1 too (a log line belongs to the event above it).
    if std::env::var_os("HANDOFF_SIM_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
            .try_init();
    }
    let seed = std::env::var("HANDOFF_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    match run(seed) {
        Ok(r) => eprintln!("{r:#?}"),
        Err(f) => panic!("{f}"),
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    for seed in [3, 11] {
        let a = run(seed).unwrap_or_else(|f| panic!("{f}"));
        let b = run(seed).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(a.trace, b.trace, "seed {seed}: two runs differ");
        assert_eq!(a.events, b.events);
        assert_eq!(a.state_root, b.state_root);
    }
    let x = run(3).unwrap_or_else(|f| panic!("{f}"));
    let y = run(4).unwrap_or_else(|f| panic!("{f}"));
    assert_ne!(x.trace, y.trace, "different seeds, different runs");
}

#[test]
fn nodes_that_skip_validation_are_caught() {
    // Among the first seeds with a validator proposing wrong state roots, honest nodes
    // that accept every block commit one of them sooner or later; the simulator must
    // report it (a decided block that does not apply), never pass.
    let seeds: Vec<u64> = (0..200)
        .filter(|s| {
            matches!(
                Faults::from_seed(*s).byzantine,
                Some((_, Byzantine::InvalidBlocks))
            )
        })
        .take(10)
        .collect();
    assert!(!seeds.is_empty());
    let caught: Vec<String> = seeds
        .iter()
        .filter_map(|s| run_without_validation(*s).err())
        .map(|f| f.to_string())
        .collect();
    assert!(!caught.is_empty(), "no run noticed unvalidated blocks");
    assert!(
        caught
            .iter()
            .any(|f| f.contains("cannot apply decided block")),
        "{caught:?}"
    );
    // The same seeds pass with validation on.
    for s in seeds {
        run(s).unwrap_or_else(|f| panic!("{f}"));
    }
}
