//! The application-level misbehaviour score of each peer, sans-IO: the network calls
//! [`PeerScores::report`] with the time, and is told when a peer falls to the ban
//! threshold; [`PeerScores::expired`] says whose ban is over. Scores recover slowly
//! towards zero, so an honest peer that once sent something stale is not punished
//! forever, while a peer that keeps misbehaving reaches the threshold.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// What a peer did wrong, as judged by the node layer (or by this crate for framing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// A block (or announcement) that does not verify: wrong certificate, bad root…
    InvalidBlock,
    /// A transaction or message whose signature does not verify.
    BadSignature,
    /// A gossiped message the node rejected for another reason.
    InvalidMessage,
    /// Bytes that do not decode.
    Garbage,
    /// A frame or message over its size limit.
    Oversized,
    /// A request the peer never answered.
    Unanswered,
    /// An answer that does not match the question (wrong heights, unasked data).
    BadResponse,
    /// More requests than [`crate::limits::MAX_REQUESTS_PER_PEER_PER_SEC`].
    Flooding,
}

impl Misbehaviour {
    /// How many points it costs.
    pub fn penalty(self) -> i32 {
        match self {
            Misbehaviour::InvalidBlock | Misbehaviour::BadSignature => 50,
            Misbehaviour::Garbage | Misbehaviour::Oversized | Misbehaviour::BadResponse => 40,
            Misbehaviour::InvalidMessage => 20,
            Misbehaviour::Unanswered | Misbehaviour::Flooding => 10,
        }
    }
}

/// How scoring behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreConfig {
    /// A peer at or below this score is disconnected and banned.
    pub ban_threshold: i32,
    /// How long a ban lasts.
    pub ban_duration: Duration,
    /// Points a negative score recovers per minute.
    pub recovery_per_minute: i32,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            ban_threshold: -100,
            ban_duration: Duration::from_secs(10 * 60),
            recovery_per_minute: 10,
        }
    }
}

/// What a report led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreVerdict {
    /// The peer stays; its score is now this.
    Keep(i32),
    /// The peer reached the threshold: disconnect and block it until the ban expires.
    Ban,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    score: i32,
    at: Instant,
}

/// Scores and bans of peers (any key type: `PeerId` in production, integers in tests).
#[derive(Debug)]
pub struct PeerScores<K> {
    config: ScoreConfig,
    scores: HashMap<K, Entry>,
    banned: HashMap<K, Instant>,
}

impl<K: Hash + Eq + Copy> PeerScores<K> {
    /// No peer scored yet.
    pub fn new(config: ScoreConfig) -> Self {
        PeerScores {
            config,
            scores: HashMap::new(),
            banned: HashMap::new(),
        }
    }

    fn recovered(&self, e: Entry, now: Instant) -> i32 {
        let minutes = now.saturating_duration_since(e.at).as_secs() / 60;
        let gain = (minutes as i64).saturating_mul(self.config.recovery_per_minute as i64);
        (e.score as i64 + gain).min(0).max(i32::MIN as i64) as i32
    }

    /// The peer's current score (0 for a peer never reported).
    pub fn score(&self, peer: &K, now: Instant) -> i32 {
        self.scores.get(peer).map_or(0, |e| self.recovered(*e, now))
    }

    /// Whether the peer is banned now.
    pub fn is_banned(&self, peer: &K, now: Instant) -> bool {
        self.banned.get(peer).is_some_and(|until| *until > now)
    }

    /// Records a misbehaviour.
    pub fn report(&mut self, peer: K, m: Misbehaviour, now: Instant) -> ScoreVerdict {
        let score = self.score(&peer, now).saturating_sub(m.penalty());
        // Keep the partial minute so recovery is not reset by every report.
        self.scores.insert(peer, Entry { score, at: now });
        if score <= self.config.ban_threshold {
            self.banned.insert(peer, now + self.config.ban_duration);
            ScoreVerdict::Ban
        } else {
            ScoreVerdict::Keep(score)
        }
    }

    /// Peers whose ban is over, removed from the ban list; they start again from half
    /// the threshold, so a second offence bans them sooner.
    pub fn expired(&mut self, now: Instant) -> Vec<K> {
        let over: Vec<K> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(k, _)| *k)
            .collect();
        for k in &over {
            self.banned.remove(k);
            self.scores.insert(
                *k,
                Entry {
                    score: self.config.ban_threshold / 2,
                    at: now,
                },
            );
        }
        over
    }

    /// Every scored peer with its current score (recovered ones show 0 until pruned).
    pub fn current(&self, now: Instant) -> Vec<(K, i32)> {
        self.scores
            .iter()
            .map(|(k, e)| (*k, self.recovered(*e, now)))
            .collect()
    }

    /// Forgets recovered peers (score back at zero, not banned), bounding memory.
    pub fn prune(&mut self, now: Instant) {
        let keep: Vec<(K, Entry)> = self
            .scores
            .iter()
            .filter(|(k, e)| self.recovered(**e, now) < 0 || self.banned.contains_key(*k))
            .map(|(k, e)| (*k, *e))
            .collect();
        self.scores = keep.into_iter().collect();
    }
}

/// Counts each peer's requests in one-second windows.
#[derive(Debug)]
pub struct RateLimit<K> {
    per_second: u32,
    windows: HashMap<K, (Instant, u32)>,
}

impl<K: Hash + Eq + Copy> RateLimit<K> {
    /// At most `per_second` requests per peer and second.
    pub fn new(per_second: u32) -> Self {
        RateLimit {
            per_second,
            windows: HashMap::new(),
        }
    }

    /// Counts one request: 0 when it is within the limit, else how many this window is
    /// over (so the first excess of a window can be scored once, not every request).
    pub fn over(&mut self, peer: K, now: Instant) -> u32 {
        let w = self.windows.entry(peer).or_insert((now, 0));
        if now.saturating_duration_since(w.0) >= Duration::from_secs(1) {
            *w = (now, 0);
        }
        w.1 = w.1.saturating_add(1);
        w.1.saturating_sub(self.per_second)
    }

    /// Forgets windows that are over, bounding memory.
    pub fn prune(&mut self, now: Instant) {
        self.windows
            .retain(|_, w| now.saturating_duration_since(w.0) < Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores() -> PeerScores<u8> {
        PeerScores::new(ScoreConfig::default())
    }

    #[test]
    fn repeated_misbehaviour_bans_one_offence_does_not() {
        let t = Instant::now();
        let mut s = scores();
        assert_eq!(
            s.report(1, Misbehaviour::Garbage, t),
            ScoreVerdict::Keep(-40)
        );
        assert_eq!(
            s.report(1, Misbehaviour::Garbage, t),
            ScoreVerdict::Keep(-80)
        );
        assert!(!s.is_banned(&1, t));
        assert_eq!(
            s.report(1, Misbehaviour::Unanswered, t),
            ScoreVerdict::Keep(-90)
        );
        assert_eq!(
            s.report(1, Misbehaviour::BadSignature, t),
            ScoreVerdict::Ban
        );
        assert!(s.is_banned(&1, t));
        assert_eq!(s.score(&2, t), 0);
        assert!(!s.is_banned(&2, t));
    }

    #[test]
    fn requests_over_the_rate_are_refused_per_peer_and_window() {
        let t = Instant::now();
        let mut r = RateLimit::new(3);
        assert!((0..3).all(|_| r.over(1u8, t) == 0));
        assert_eq!(r.over(1, t + Duration::from_millis(999)), 1);
        assert_eq!(r.over(1, t + Duration::from_millis(999)), 2);
        assert_eq!(r.over(2, t), 0, "another peer has its own budget");
        assert_eq!(r.over(1, t + Duration::from_secs(1)), 0, "a new window");
        r.prune(t + Duration::from_secs(5));
        assert!(r.windows.is_empty());
    }

    #[test]
    fn scores_recover_and_bans_expire() {
        let t = Instant::now();
        let mut s = scores();
        s.report(1, Misbehaviour::InvalidBlock, t);
        assert_eq!(s.score(&1, t + Duration::from_secs(59)), -50);
        assert_eq!(s.score(&1, t + Duration::from_secs(120)), -30);
        assert_eq!(s.score(&1, t + Duration::from_secs(3600)), 0);
        assert_eq!(s.current(t + Duration::from_secs(3600)), vec![(1, 0)]);
        s.prune(t + Duration::from_secs(3600));
        assert!(s.scores.is_empty());

        s.report(2, Misbehaviour::InvalidBlock, t);
        assert_eq!(
            s.report(2, Misbehaviour::InvalidBlock, t),
            ScoreVerdict::Ban
        );
        assert!(s.expired(t + Duration::from_secs(599)).is_empty());
        assert_eq!(s.expired(t + Duration::from_secs(600)), vec![2]);
        assert!(!s.is_banned(&2, t + Duration::from_secs(600)));
        assert_eq!(s.score(&2, t + Duration::from_secs(600)), -50);
        // A second offence after the ban bans at once.
        assert_eq!(
            s.report(2, Misbehaviour::InvalidBlock, t + Duration::from_secs(601)),
            ScoreVerdict::Ban
        );
    }
}
