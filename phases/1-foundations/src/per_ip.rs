//! How many connections each client address holds, and a cap on it.
//!
//! The global cap (`--max-connections`) protects the process; it does not protect users
//! from each other. One host that opens connections and sends nothing (a slowloris) takes
//! every slot, and everyone else is refused. Counting connections per IP address and
//! refusing a host past its share (`--max-connections-per-ip`) leaves the other slots to
//! everyone else.
//!
//! The count is per *address*, so clients behind one NAT share it, and behind a reverse
//! proxy every client has the proxy's address: there the cap is off (`0`) and the proxy
//! limits clients instead. (The address a trusted proxy forwards,
//! [`crate::client_addr`], is known only once a request's headers are read — too late
//! for a cap decided at `accept()`.)

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
};

/// Open connections per client address, capped at `max` each (`0`: no cap).
#[derive(Debug, Clone)]
pub struct PerIpCounts {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's claim on its address's share; dropping it gives the share back.
#[derive(Debug)]
pub struct IpSlot {
    counts: Option<PerIpCounts>,
    ip: IpAddr,
}

impl PerIpCounts {
    /// Counts with a cap of `max` connections per address; `0` turns the cap off.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    // ANCHOR: try_claim
    /// Claims a slot for `ip`, or `None` when it already holds `max` connections.
    pub fn try_claim(&self, ip: IpAddr) -> Option<IpSlot> {
        // EXERCISE(ch5-per-ip-cap): claim a share of an address's connections, or refuse
        if self.max == 0 {
            return Some(IpSlot { counts: None, ip });
        }
        // Nothing below can panic while the lock is held; if it somehow did, the counts
        // are still integers worth keeping.
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot {
            counts: Some(self.clone()),
            ip,
        })
        // EXERCISE_END(ch5-per-ip-cap)
    }
    // ANCHOR_END: try_claim

    /// How many connections `ip` holds now.
    pub fn open(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let Some(counts) = &self.counts else {
            return;
        };
        let mut open = counts.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            // Forget addresses with nothing open, so the map holds only live clients.
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn an_address_past_its_share_is_refused_and_others_are_not() {
        let counts = PerIpCounts::new(2);
        let first = counts.try_claim(A).unwrap();
        let _second = counts.try_claim(A).unwrap();
        assert!(counts.try_claim(A).is_none());
        assert!(counts.try_claim(B).is_some());
        drop(first);
        assert_eq!(counts.open(A), 1);
        assert!(counts.try_claim(A).is_some());
    }

    #[test]
    fn a_closed_address_is_forgotten_and_zero_means_no_cap() {
        let counts = PerIpCounts::new(1);
        drop(counts.try_claim(A).unwrap());
        assert!(counts.open.lock().unwrap().is_empty());
        let uncapped = PerIpCounts::new(0);
        let slots: Vec<_> = (0..1_000).filter_map(|_| uncapped.try_claim(A)).collect();
        assert_eq!(slots.len(), 1_000);
    }
}
