//! Who connects where: the pure arithmetic of the `cluster` scenario, shared by the parent
//! and its workers so both agree without talking about it.
//!
//! Connection `i` (0 ≤ i < conns) subscribes to board `i % boards` on instance
//! `(i / boards) % instances`, from source address [`wide_source_addr`]`(i)`. So the
//! subscribers of every board are spread over every instance (board 3's are connections
//! 3, 3 + B, 3 + 2B, … on instances 0, 1, 2, …), and every instance holds about
//! conns / instances connections. Message `m` goes to board `m % boards` through the
//! publisher on instance `(m % boards + m / boards) % instances`: the messages of one
//! round go through consecutive instances, and a board's messages enter the cluster
//! through every instance in turn, so each one crosses the bus to reach most of
//! its subscribers.
//!
//! [`wide_source_addr`]: crate::client::wide_source_addr

use std::ops::Range;

/// Most connections we put on one instance or one worker: the 20,000 open files a process
/// may hold here, less room for the listener, the store and bus links, logs and stdio.
pub const PER_PROCESS: usize = 18_000;

/// The default number of instances for `conns`: enough to stay under [`PER_PROCESS`]
/// each, and at least two (one instance has no bus to cross).
pub fn instances_for(conns: usize) -> usize {
    conns.div_ceil(PER_PROCESS).max(2)
}

/// The board connection `i` subscribes to.
pub fn board_of(i: usize, boards: usize) -> usize {
    i % boards
}

/// The instance connection `i` connects to.
pub fn instance_of(i: usize, boards: usize, instances: usize) -> usize {
    (i / boards) % instances
}

/// The instance whose publisher sends message `m`.
pub fn publisher_of(m: u64, boards: usize, instances: usize) -> usize {
    let boards = boards as u64;
    ((m % boards + m / boards) % instances as u64) as usize
}

/// A board's name on the wire.
pub fn board_name(b: usize) -> String {
    format!("cluster-{b}")
}

/// Splits `0..conns` into as few contiguous ranges of at most `per_worker` as possible,
/// of nearly equal sizes.
pub fn worker_ranges(conns: usize, per_worker: usize) -> Vec<Range<usize>> {
    let workers = conns.div_ceil(per_worker.max(1)).max(1);
    let (each, extra) = (conns / workers, conns % workers);
    let mut start = 0;
    (0..workers)
        .map(|w| {
            let len = each + usize::from(w < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

/// Microseconds on the machine's monotonic clock (`CLOCK_MONOTONIC`): one clock for every
/// process on the machine, so a publish time taken by the parent and a receive time taken
/// by a worker subtract into a latency. (Rust's `Instant` reads the same clock but cannot
/// be sent to another process.)
pub fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

/// The chat line message `k` of a board carries: `bench#<k>#<sent µs>#`, which
/// [`crate::fanout::parse_marker`] finds inside the delivered envelope.
pub fn marker(k: u64, sent_us: u64) -> String {
    format!("bench#{k}#{sent_us}#")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::fanout::parse_marker;

    #[test]
    fn a_hundred_thousand_connections_need_six_instances_and_a_smoke_run_two() {
        assert_eq!(instances_for(100_000), 6);
        assert_eq!(instances_for(2_000), 2);
        assert_eq!(instances_for(36_001), 3);
    }

    #[test]
    fn every_board_has_subscribers_on_every_instance_and_instances_are_balanced() {
        let (conns, boards, instances) = (100_000, 20, 6);
        let mut per_instance = vec![0usize; instances];
        let mut seen: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); boards];
        for i in 0..conns {
            let k = instance_of(i, boards, instances);
            per_instance[k] += 1;
            seen[board_of(i, boards)].insert(k);
        }
        assert!(seen.iter().all(|s| s.len() == instances));
        let (lo, hi) = (per_instance.iter().min(), per_instance.iter().max());
        assert!(hi.unwrap() - lo.unwrap() <= boards, "{per_instance:?}");
        assert!(*hi.unwrap() <= PER_PROCESS);
    }

    #[test]
    fn each_boards_messages_enter_through_every_instance() {
        let (boards, instances) = (20, 6);
        for b in 0..boards as u64 {
            let through: BTreeSet<usize> = (0..6)
                .map(|round| publisher_of(b + round * boards as u64, boards, instances))
                .collect();
            assert_eq!(through.len(), instances, "board {b}");
        }
    }

    #[test]
    fn worker_ranges_cover_every_connection_once_under_the_cap() {
        let ranges = worker_ranges(100_000, 17_000);
        assert_eq!(ranges.len(), 6);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, 100_000);
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert!(ranges
            .iter()
            .all(|r| r.len() <= 17_000 && r.len() >= 16_666));
        assert_eq!(worker_ranges(5, 17_000), vec![(0..5)]);
    }

    #[test]
    fn the_marker_carries_the_number_and_the_send_time_through_the_envelope() {
        let line = marker(7, 123_456_789);
        let envelope = format!(
            r#"{{"type":"message","payload":{{"board":"cluster-3","position":"x-9","text":"{line}"}}}}"#
        );
        assert_eq!(parse_marker(envelope.as_bytes()), Some((7, 123_456_789)));
        let (a, b) = (mono_us(), mono_us());
        assert!(b >= a);
    }
}
