//! What the kernel says about a process: CPU time from `/proc/PID/stat`, resident memory
//! from `/proc/PID/status`, and our own CPU time from `getrusage`.
//!
//! Why CPU time and not only throughput: a server can look fast because the load generator
//! is slow. CPU time per message is what the server *spent*, whatever the client did
//! — the figure to compare. `/proc/PID/stat` counts in clock ticks (usually 10 ms); over a 10 s run
//! that is a resolution of about 0.1 %.

use std::{io, time::Duration};

/// Parses `utime + stime` (fields 14 and 15 of `/proc/PID/stat`, in clock ticks).
///
/// The second field, the command name, is in parentheses and may itself contain spaces
/// or parentheses, so the fields are counted from the *last* `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is index 0, so field 14 (utime) is index 11.
    let mut fields = after_comm.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Parses `VmRSS` from `/proc/PID/status`, in KiB.
pub fn parse_status_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_ascii_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Parses one field (in kB) of `/proc/meminfo`, e.g. `Slab`.
pub fn parse_meminfo_kib(meminfo: &str, field: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_ascii_whitespace().next()?.parse().ok()
    })
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 on error.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// CPU time (user + system, all threads) the process `pid` has used so far.
pub fn process_cpu(pid: u32) -> io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_stat_cpu_ticks(&stat)
        .ok_or_else(|| io::Error::other(format!("cannot parse /proc/{pid}/stat")))?;
    Ok(Duration::from_micros(
        ticks * 1_000_000 / clock_ticks_per_second(),
    ))
}

/// Resident set size of the process `pid`, in KiB.
pub fn process_rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status_rss_kib(&status)
        .ok_or_else(|| io::Error::other(format!("no VmRSS in /proc/{pid}/status")))
}

/// The kernel's slab memory, in KiB (where socket structures live); machine-wide, so
/// noisy on a shared machine.
pub fn slab_kib() -> Option<u64> {
    parse_meminfo_kib(&std::fs::read_to_string("/proc/meminfo").ok()?, "Slab")
}

/// CPU time (user + system) this process has used so far, to microseconds.
pub fn self_cpu() -> Duration {
    // SAFETY: getrusage writes into the struct we pass; zeroed is a valid rusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_read_after_the_last_parenthesis() {
        // A command name with a space and a parenthesis, as a thread may be named.
        let stat = "4242 (tokio (rt) 1) S 1 4242 4242 0 -1 4194560 1200 0 0 0 \
                    150 25 0 0 20 0 2 0 123456 12345678 900 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(175));
    }

    #[test]
    fn a_truncated_stat_line_is_none_not_a_panic() {
        assert_eq!(parse_stat_cpu_ticks("1 (x) S 1 2"), None);
        assert_eq!(parse_stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn vmrss_is_read_in_kib() {
        let status = "Name:\tliveboard\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_status_rss_kib(status), Some(12345));
        assert_eq!(parse_status_rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn a_meminfo_field_is_matched_whole() {
        let meminfo = "SReclaimable:     100 kB\nSlab:             612 kB\n";
        assert_eq!(parse_meminfo_kib(meminfo, "Slab"), Some(612));
        assert_eq!(parse_meminfo_kib(meminfo, "Sla"), None);
    }

    #[test]
    fn our_own_cpu_time_and_rss_are_readable() {
        assert!(process_rss_kib(std::process::id()).unwrap() > 0);
        let _ = process_cpu(std::process::id()).unwrap();
        let _ = self_cpu();
    }
}
