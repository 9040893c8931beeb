//! The simulator over many seeds. `cargo test -p handoff-sim` runs a short set of seeds
//! in each setup — four validators, seven validators, and validator-set changes during
//! the run on four and on seven (two worker threads, one seed per simulation, each
//! simulation single-threaded and deterministic); `cargo xtask test --long` runs the long
//! set (`HANDOFF_SIM_SEEDS=<per setup> cargo test -p handoff-sim --release --test seeds
//! -- --ignored long`). A failure prints the seed, its setup and the command that
//! replays it alone; add `HANDOFF_SIM_VERBOSE=1` to print every event and
//! `HANDOFF_SIM_LOG=1` for Malachite's log.

use std::time::Instant;

use handoff_sim::{
    Byzantine, Failure, Faults, Report, Setup, run, run_setup, run_without_validation,
};

const FOUR: Setup = Setup {
    validators: 4,
    set_changes: false,
};
const SEVEN: Setup = Setup {
    validators: 7,
    set_changes: false,
};
const FOUR_CHANGING: Setup = Setup {
    validators: 4,
    set_changes: true,
};
const SEVEN_CHANGING: Setup = Setup {
    validators: 7,
    set_changes: true,
};

fn seeds_from_env(default: u64) -> u64 {
    std::env::var("HANDOFF_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn run_many(first: u64, count: u64, setup: Setup) -> (Vec<Report>, Vec<Failure>) {
    let workers = 2u64;
    let results: Vec<Vec<Result<Report, Failure>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    (first..first + count)
                        .filter(|seed| seed % workers == w)
                        .map(|seed| run_setup(seed, setup))
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

fn has_mode(r: &Report, m: Byzantine) -> bool {
    r.faults.byzantine.iter().any(|(_, b)| *b == m)
}

/// Runs `count` seeds from `first` in `setup`; every one must pass. With `count` large
/// enough the runs must not have been vacuous: faults of every kind happened (and, with
/// set changes, the validators that joined took part).
fn check(first: u64, count: u64, setup: Setup) -> Vec<Report> {
    let t = Instant::now();
    let (ok, bad) = run_many(first, count, setup);
    for f in &bad {
        eprintln!("{f}");
    }
    assert!(
        bad.is_empty(),
        "{} of {count} seeds failed in {setup:?} (see above)",
        bad.len()
    );
    assert_eq!(ok.len() as u64, count, "a worker thread panicked");
    let crashed = ok.iter().filter(|r| !r.faults.crashes.is_empty()).count();
    let partitioned = ok
        .iter()
        .filter(|r| !r.faults.partitions.is_empty())
        .count();
    let dropped: u64 = ok.iter().map(|r| r.dropped).sum();
    let modes = |m: Byzantine| ok.iter().filter(|r| has_mode(r, m)).count();
    let two_byzantine = ok.iter().filter(|r| r.faults.byzantine.len() == 2).count();
    let heights: u64 = ok.iter().map(|r| r.height).sum();
    let joined_proposals: u64 = ok.iter().map(|r| r.joined_proposals).sum();
    let joined_signatures: u64 = ok.iter().map(|r| r.joined_signatures).sum();
    eprintln!(
        "{count} seeds of {setup:?} in {:.1?}: {} crashed a node, {} partitioned, {} messages dropped, \
         byzantine equivocate/invalid/garbage/bad-header {}/{}/{}/{} ({} runs with two), \
         mean final height {:.1}, {} misbehaviour reports, joined validators proposed {} and signed {} blocks",
        t.elapsed(),
        crashed,
        partitioned,
        dropped,
        modes(Byzantine::Equivocate),
        modes(Byzantine::InvalidBlocks),
        modes(Byzantine::Garbage),
        modes(Byzantine::BadHeader),
        two_byzantine,
        heights as f64 / count.max(1) as f64,
        ok.iter().map(|r| r.misbehaviour_reports).sum::<u64>(),
        joined_proposals,
        joined_signatures,
    );
    if count >= 20 {
        assert!(crashed > 0 && partitioned > 0 && dropped > 0);
        assert!(modes(Byzantine::Equivocate) > 0);
        assert!(modes(Byzantine::InvalidBlocks) > 0);
        assert!(modes(Byzantine::Garbage) > 0);
        assert!(modes(Byzantine::BadHeader) > 0);
        if setup.tolerated() >= 2 {
            assert!(two_byzantine > 0, "no run had two byzantine validators");
        }
    }
    if setup.set_changes {
        assert!(ok.iter().all(|r| r.epoch == 2));
        if count >= 8 {
            assert!(
                joined_signatures > 0 && joined_proposals > 0,
                "the validator that joined never took part"
            );
        }
    }
    ok
}

#[test]
fn four_validators() {
    check(0, seeds_from_env(60).min(60), FOUR);
}

#[test]
fn seven_validators() {
    check(0, seeds_from_env(20).min(20), SEVEN);
}

#[test]
fn validator_set_changes() {
    // A spare joins the set, then a genesis validator leaves, by governance
    // transactions in the middle of the workload, on four validators and on seven.
    check(0, seeds_from_env(20).min(20), FOUR_CHANGING);
    check(0, seeds_from_env(8).min(8), SEVEN_CHANGING);
}

#[test]
#[ignore = "long: cargo xtask test --long (HANDOFF_SIM_SEEDS=<per setup> cargo test -p handoff-sim --release --test seeds -- --ignored long)"]
fn long() {
    let per_setup = seeds_from_env(1000);
    let t = Instant::now();
    for (i, setup) in [FOUR, SEVEN, FOUR_CHANGING, SEVEN_CHANGING]
        .into_iter()
        .enumerate()
    {
        check(1_000_000 * (i as u64 + 1), per_setup, setup);
    }
    eprintln!(
        "long run: {} seeds ({per_setup} per setup, 4 setups) in {:.1?}",
        4 * per_setup,
        t.elapsed()
    );
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
    match run_setup(seed, Setup::from_env()) {
        Ok(r) => eprintln!("{r:#?}"),
        Err(f) => panic!("{f}"),
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    for (seed, setup) in [(3, FOUR), (11, FOUR), (5, SEVEN_CHANGING)] {
        let a = run_setup(seed, setup).unwrap_or_else(|f| panic!("{f}"));
        let b = run_setup(seed, setup).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(a.trace, b.trace, "seed {seed}: two runs differ");
        assert_eq!(a.events, b.events);
        assert_eq!(a.state_root, b.state_root);
    }
    let x = run(3).unwrap_or_else(|f| panic!("{f}"));
    let y = run(4).unwrap_or_else(|f| panic!("{f}"));
    assert_ne!(x.trace, y.trace, "different seeds, different runs");
}

/// The first seeds (of the default setup) with a validator in `mode`.
fn seeds_with(mode: Byzantine, n: usize) -> Vec<u64> {
    (0..400)
        .filter(|s| {
            Faults::from_seed(*s)
                .byzantine
                .iter()
                .any(|(_, m)| *m == mode)
        })
        .take(n)
        .collect()
}

#[test]
fn nodes_that_skip_validation_are_caught() {
    // Among the first seeds with a validator proposing wrong state roots, honest nodes
    // that accept every block commit one of them sooner or later; the simulator must
    // report it (a decided block that does not apply), never pass.
    let seeds = seeds_with(Byzantine::InvalidBlocks, 10);
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

#[test]
fn blocks_with_a_bad_header_are_refused_and_the_audit_catches_any_that_slip_through() {
    // A validator with a clock a minute ahead, or naming a proposer outside the set,
    // builds blocks that execute correctly: only the header rules of validation stop
    // them. Honest nodes that skip validation commit some, and the simulator's audit of
    // the chain reports it; with validation on, the same seeds pass.
    let seeds = seeds_with(Byzantine::BadHeader, 10);
    assert!(!seeds.is_empty());
    let caught: Vec<String> = seeds
        .iter()
        .filter_map(|s| run_without_validation(*s).err())
        .map(|f| f.to_string())
        .collect();
    assert!(
        caught
            .iter()
            .any(|f| f.contains("ahead of every honest clock")
                || f.contains("not a validator of its height")),
        "no run noticed blocks with a bad header: {caught:?}"
    );
    for s in seeds {
        run(s).unwrap_or_else(|f| panic!("{f}"));
    }
}
