//! How the process's memory allocator treats freed blocks.
//!
//! Training allocates and frees tensors of the same few sizes at every step. glibc's `malloc`
//! serves blocks over its mmap threshold (128 KiB at first, raised as such blocks are freed, up
//! to 32 MiB) with fresh mappings, and returns a free heap top over its trim threshold to the
//! system, so the next step gets pages that the kernel must map and zero-fill one by one: about
//! 236,000 page faults per CNN epoch.
//! Keeping the blocks in the heap makes the next step reuse them (about 36,000 page faults), at
//! the cost of holding up to [`TRIM_THRESHOLD`] of free memory beyond the peak.
//!
//! Only the main heap keeps them: a thread other than the main one (the network commands run on
//! a thread of rayon's pool) gets a heap of its own by default, which returns its free pages
//! whatever the thresholds (about 197,000 page faults per epoch). One heap for all threads
//! ([`ARENAS`]) keeps the reuse; the allocator's lock is taken a few times per layer op, not per
//! element.
//!
//! Only the network commands set these: the others, the web server with its many threads
//! among them, keep glibc's defaults, which hand freed memory back to the system.

/// Blocks up to this size come from the heap, not from their own mapping: glibc's largest
/// allowed threshold (32 MiB on 64-bit systems), above any tensor of the networks here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// The number of heaps ("arenas") that threads allocate from: all of them from the main one.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 1;
/// Free memory at the top of the heap is returned to the system only beyond this size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 128 << 20;

/// Keeps freed blocks for reuse instead of returning them to the system, and has every thread
/// allocate from the main heap (glibc only; elsewhere nothing changes). Called before the
/// process starts any thread. An explicit `GLIBC_TUNABLES` in the environment wins: the
/// allocator is then left as it made it. A refusal costs only speed (the test below guards the
/// values).
pub(crate) fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        set_parameters();
    }
}

/// Sets both thresholds and the number of heaps; returns whether glibc took them all.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_parameters() -> bool {
    // SAFETY: `mallopt` only changes the allocator's parameters under its own lock, so it is
    // safe at any time; glibc checks the values and refuses those out of range. The number of
    // heaps counts for the threads started after it.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
            && libc::mallopt(libc::M_ARENA_MAX, ARENAS) == 1
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// glibc takes the settings (it refuses an mmap threshold over its maximum, which is how
    /// a wrong constant would show).
    #[test]
    fn the_allocator_takes_the_settings() {
        assert!(set_parameters());
    }
}
