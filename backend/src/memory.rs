//! Memory after load: which allocator the binary uses, and whether it gives freed memory
//! back to the operating system when the server becomes idle.
//!
//! Two choices, both measured in the book's "Hostile clients and failures" chapter:
//!
//! * **The system allocator (glibc) with `--release-memory-when-idle`** (the default
//!   build): phase 1 counts open sockets and, after the last one closes (or the count
//!   falls to half its peak), this module's [`release`] calls glibc's `malloc_trim(0)`,
//!   which hands every wholly free page of every arena back to the kernel.
//! * **jemalloc** (`cargo build --release -p liveboard --features jemalloc`): its
//!   background threads return freed pages on their own after a decay time, so there is
//!   nothing to trim: the flag is off by default, and refused if turned on.

use std::time::Duration;

use phase_1_foundations::memory_release::MemoryRelease;

/// jemalloc as the global allocator, with background threads purging freed pages.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// ANCHOR: memory_config
/// Giving memory back after load.
#[derive(Debug, Clone, clap::Args)]
pub struct MemoryConfig {
    /// After load (the last connection closed, or half of the peak did), return freed
    /// memory to the operating system (glibc's `malloc_trim`); `false` keeps it for the
    /// next burst.
    #[arg(
        long,
        env = "LIVEBOARD_RELEASE_MEMORY_WHEN_IDLE",
        default_value_t = DEFAULT_RELEASE_WHEN_IDLE,
        action = clap::ArgAction::Set,
    )]
    pub release_memory_when_idle: bool,

    /// At most one release per this many milliseconds; also how often the count of open
    /// connections is looked at.
    #[arg(
        long,
        env = "LIVEBOARD_RELEASE_MEMORY_INTERVAL_MS",
        default_value_t = DEFAULT_RELEASE_INTERVAL_MS
    )]
    pub release_memory_interval_ms: u64,
}
// ANCHOR_END: memory_config

/// On by default with glibc (see the chapter for the measurements behind it); off with
/// jemalloc, which returns memory by itself.
pub const DEFAULT_RELEASE_WHEN_IDLE: bool = cfg!(not(feature = "jemalloc"));
/// 10 s: a trim takes well under a millisecond per megabyte returned, so one every 10 s
/// costs nothing measurable, and a server that just went idle gives its memory back
/// within seconds.
pub const DEFAULT_RELEASE_INTERVAL_MS: u64 = 10_000;

/// Why the memory settings cannot be honoured by this build.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MemoryConfigError {
    /// The release is glibc's `malloc_trim`, and this build allocates elsewhere.
    #[error(
        "--release-memory-when-idle needs glibc's allocator; this build {0}. \
         Pass --release-memory-when-idle false"
    )]
    NoTrim(&'static str),
    /// An interval of 0 would trim in a loop.
    #[error("--release-memory-interval-ms must be at least 1")]
    ZeroInterval,
}

impl MemoryConfig {
    /// What phase 1's server should run after load, if anything.
    pub fn release(&self) -> Result<Option<MemoryRelease>, MemoryConfigError> {
        if !self.release_memory_when_idle {
            return Ok(None);
        }
        if self.release_memory_interval_ms == 0 {
            return Err(MemoryConfigError::ZeroInterval);
        }
        let release = trim_function().map_err(MemoryConfigError::NoTrim)?;
        Ok(Some(MemoryRelease {
            release,
            interval: Duration::from_millis(self.release_memory_interval_ms),
        }))
    }
}

#[cfg(feature = "jemalloc")]
fn trim_function() -> Result<fn(), &'static str> {
    Err("uses jemalloc, which returns freed pages by itself (background threads)")
}

#[cfg(all(not(feature = "jemalloc"), target_os = "linux", target_env = "gnu"))]
fn trim_function() -> Result<fn(), &'static str> {
    Ok(release)
}

#[cfg(all(
    not(feature = "jemalloc"),
    not(all(target_os = "linux", target_env = "gnu"))
))]
fn trim_function() -> Result<fn(), &'static str> {
    Err("is not linked against glibc")
}

// ANCHOR: malloc_trim
/// Returns every wholly free page of every glibc arena to the kernel.
///
/// glibc gives memory back by itself only from the top of the main heap; `malloc_trim`
/// also walks the other arenas (tokio's worker threads allocate from their own) and
/// `madvise(MADV_DONTNEED)`s each free page in the middle of a heap. The argument is the
/// padding to keep at the top of the main heap: none.
#[cfg(all(not(feature = "jemalloc"), target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release() {
    // SAFETY: malloc_trim takes a size and has no preconditions; it locks each arena
    // itself, so it is safe to call while other threads allocate.
    unsafe {
        libc::malloc_trim(0);
    }
}
// ANCHOR_END: malloc_trim

#[cfg(test)]
mod tests {
    use super::*;

    fn config(on: bool, interval_ms: u64) -> MemoryConfig {
        MemoryConfig {
            release_memory_when_idle: on,
            release_memory_interval_ms: interval_ms,
        }
    }

    #[test]
    fn off_means_no_release() {
        assert!(config(false, 10_000).release().unwrap().is_none());
    }

    #[test]
    fn a_zero_interval_is_refused_with_the_flag_named() {
        let err = config(true, 0).release().unwrap_err();
        assert_eq!(err, MemoryConfigError::ZeroInterval);
        assert!(err.to_string().contains("--release-memory-interval-ms"));
    }

    #[cfg(all(not(feature = "jemalloc"), target_os = "linux", target_env = "gnu"))]
    #[test]
    fn on_glibc_the_release_is_malloc_trim_at_the_given_interval() {
        let release = config(true, 2_500).release().unwrap().expect("a release");
        assert_eq!(release.interval, Duration::from_millis(2_500));
        assert_eq!(release.release as usize, super::release as fn() as usize);
        // Trimming is safe at any time, with other threads allocating.
        let held = vec![1u8; 1 << 20];
        (release.release)();
        assert_eq!(held.iter().map(|&b| b as usize).sum::<usize>(), 1 << 20);
    }

    #[cfg(feature = "jemalloc")]
    #[test]
    fn with_jemalloc_the_flag_is_refused_with_the_way_out() {
        let err = config(true, 10_000).release().unwrap_err();
        assert!(err.to_string().contains("--release-memory-when-idle false"));
    }
}
