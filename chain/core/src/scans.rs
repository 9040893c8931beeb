//! Clone detection (PRODUCT §6): how often one sold item's code is looked up, and from
//! how many networks. A copied label shows up as one serial scanned by shoppers in many
//! places; an item on someone's kitchen shelf is looked up from one or two networks.
//!
//! The node that answers the lookups keeps a small log per sold item (the times and a
//! keyed digest of the client's network, never an address) and gives the counts with
//! its verdict. The counts are that node's observation, not chain data: nothing proves
//! them, so they can only lower a verdict (genuine → warning, with `MANY_SCANS`), never
//! raise one, and a node that could not read its log says so (`SCANS_UNCHECKED`) rather
//! than pretending the item was never scanned. Pure: the node and the consumer page apply
//! the same rule.

use crate::query::{Reason, Verdict, VerdictReport};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// An hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// A day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// The longest window the log looks back over: 30 days.
pub const MONTH_MS: i64 = 30 * DAY_MS;

/// The windows and the most distinct networks each allows before the verdict warns: more
/// than 3 networks within an hour, 5 within a day or 12 within 30 days. One household
/// (home, phone network, work) stays below all three.
pub const WINDOWS: [(i64, u32, &str); 3] = [
    (HOUR_MS, 3, "an hour"),
    (DAY_MS, 5, "a day"),
    (MONTH_MS, 12, "30 days"),
];

/// The most marks one item's log keeps (oldest dropped first). Larger than every
/// window's allowance, so a bounded log never hides a breach of one.
pub const MAX_SCAN_MARKS: usize = 64;

/// A keyed digest of a client's network (its IPv4 /24 or IPv6 /48): equal for clients on
/// one network, meaningless to anyone without the node's key.
pub type Network = [u8; 8];

/// One lookup: when, and from which network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ScanMark {
    /// Unix milliseconds (the node's clock).
    pub at_ms: i64,
    /// The client's network digest.
    pub network: Network,
}

/// The lookups of one item, oldest first; at most one mark per network an hour, none
/// older than 30 days, at most [`MAX_SCAN_MARKS`].
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ScanLog {
    /// The marks, oldest first.
    pub marks: Vec<ScanMark>,
}

impl ScanLog {
    /// Notes a lookup from `network` at `now_ms`. A second lookup from the same network
    /// within the hour adds nothing (a shopper reloading the page is one shopper).
    pub fn record(&mut self, network: Network, now_ms: i64) {
        self.marks.retain(|m| now_ms - m.at_ms < MONTH_MS);
        let again = self
            .marks
            .iter()
            .any(|m| m.network == network && now_ms - m.at_ms < HOUR_MS);
        if !again {
            self.marks.push(ScanMark {
                at_ms: now_ms,
                network,
            });
        }
        if self.marks.len() > MAX_SCAN_MARKS {
            let extra = self.marks.len() - MAX_SCAN_MARKS;
            self.marks.drain(..extra);
        }
    }

    /// The distinct networks seen in each window ending at `now_ms`.
    pub fn observed(&self, now_ms: i64) -> ScanCounts {
        let within = |window: i64| {
            let mut nets: Vec<&Network> = self
                .marks
                .iter()
                .filter(|m| now_ms - m.at_ms < window && m.at_ms <= now_ms)
                .map(|m| &m.network)
                .collect();
            nets.sort_unstable();
            nets.dedup();
            u32::try_from(nets.len()).unwrap_or(u32::MAX)
        };
        ScanCounts {
            networks_hour: within(WINDOWS[0].0),
            networks_day: within(WINDOWS[1].0),
            networks_30d: within(WINDOWS[2].0),
        }
    }
}

/// How many distinct networks looked a sold item up, per window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanCounts {
    /// Within the last hour.
    pub networks_hour: u32,
    /// Within the last day.
    pub networks_day: u32,
    /// Within the last 30 days.
    pub networks_30d: u32,
}

impl ScanCounts {
    /// The first window whose allowance the counts exceed, as `(count, allowed, window)`.
    pub fn breach(&self) -> Option<(u32, u32, &'static str)> {
        let counts = [self.networks_hour, self.networks_day, self.networks_30d];
        WINDOWS
            .iter()
            .zip(counts)
            .find(|((_, allowed, _), n)| n > allowed)
            .map(|((_, allowed, window), n)| (n, *allowed, *window))
    }
}

/// What a node saw of an item's lookups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// The item is not sold (or not a serialized item): lookups say nothing.
    NotWatched,
    /// The counts of a sold item.
    Seen(ScanCounts),
    /// The node could not read its log (why): the verdict cannot be "genuine".
    Unchecked(String),
}

/// Lowers `report` by the observation: a breach, or a log that could not be read, turns a
/// genuine verdict into a warning and adds its reason to any verdict but counterfeit
/// (which needs no more reasons). Never raises a verdict.
pub fn apply(report: &mut VerdictReport, obs: &Observation) {
    let reason = match obs {
        Observation::NotWatched => return,
        Observation::Seen(c) => match c.breach() {
            None => return,
            Some((n, allowed, window)) => Reason {
                code: "MANY_SCANS",
                message: format!(
                    "this code was looked up from {n} different networks within {window} \
                     (more than {allowed}) after it was sold; the label may have been copied"
                ),
            },
        },
        Observation::Unchecked(why) => Reason {
            code: "SCANS_UNCHECKED",
            message: format!("this node could not check how often this code was scanned: {why}"),
        },
    };
    match report.verdict {
        Verdict::Counterfeit => {}
        Verdict::Genuine => {
            report.verdict = Verdict::Warning;
            report.reasons = vec![reason];
        }
        Verdict::Warning => report.reasons.push(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(i: u8) -> Network {
        [i; 8]
    }

    #[test]
    fn a_reload_from_one_network_is_one_lookup() {
        let mut log = ScanLog::default();
        for m in 0..50 {
            log.record(net(1), m * 60_000);
        }
        assert_eq!(log.marks.len(), 1);
        assert_eq!(log.observed(50 * 60_000).networks_hour, 1);
        // An hour later the same network counts again as a new mark (the day window
        // still counts one network).
        log.record(net(1), HOUR_MS + 1);
        assert_eq!(log.marks.len(), 2);
        assert_eq!(log.observed(HOUR_MS + 1).networks_day, 1);
    }

    #[test]
    fn windows_count_distinct_networks_and_forget_old_ones() {
        let mut log = ScanLog::default();
        for i in 0..4 {
            log.record(net(i), i64::from(i) * 1000);
        }
        let c = log.observed(5000);
        assert_eq!((c.networks_hour, c.networks_day, c.networks_30d), (4, 4, 4));
        assert_eq!(c.breach(), Some((4, 3, "an hour")));
        // Two hours later the hour window is empty, the day still holds four: no breach.
        let later = log.observed(2 * HOUR_MS);
        assert_eq!(later.networks_hour, 0);
        assert_eq!(later.breach(), None);
        // After 30 days a new lookup drops every old mark.
        log.record(net(9), MONTH_MS + 10_000);
        assert_eq!(log.marks.len(), 1);
    }

    #[test]
    fn the_log_is_bounded() {
        let mut log = ScanLog::default();
        for i in 0..200u32 {
            let mut n = [0u8; 8];
            n[..4].copy_from_slice(&i.to_le_bytes());
            log.record(n, i64::from(i));
        }
        assert_eq!(log.marks.len(), MAX_SCAN_MARKS);
        assert_eq!(log.observed(200).networks_hour, MAX_SCAN_MARKS as u32);
    }

    fn genuine() -> VerdictReport {
        VerdictReport {
            verdict: Verdict::Genuine,
            reasons: vec![Reason {
                code: "GENUINE",
                message: "ok".into(),
            }],
        }
    }

    #[test]
    fn only_lowers() {
        let many = Observation::Seen(ScanCounts {
            networks_hour: 4,
            networks_day: 4,
            networks_30d: 4,
        });
        let mut r = genuine();
        apply(&mut r, &many);
        assert_eq!(r.verdict, Verdict::Warning);
        assert_eq!(r.reasons[0].code, "MANY_SCANS");
        let mut r = genuine();
        apply(&mut r, &Observation::Seen(ScanCounts::default()));
        assert_eq!(r, genuine());
        let mut r = genuine();
        apply(&mut r, &Observation::Unchecked("disk".into()));
        assert_eq!(r.verdict, Verdict::Warning);
        assert_eq!(r.reasons[0].code, "SCANS_UNCHECKED");
        let mut fake = VerdictReport {
            verdict: Verdict::Counterfeit,
            reasons: vec![],
        };
        apply(&mut fake, &many);
        assert_eq!(fake.verdict, Verdict::Counterfeit);
        assert!(fake.reasons.is_empty());
    }
}
