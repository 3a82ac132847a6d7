//! Splitting one slice operation between threads.
//!
//! With the `rayon` feature, the caller and helper tasks spawned into the *current* rayon pool
//! (`rayon::in_place_scope`) share the pieces: a call from inside a rayon task shares that pool's
//! threads and never adds any. Without it, the helpers are `std::thread::scope` threads spawned
//! for the call, and a call made on such a thread runs serially, so nested calls never multiply
//! the threads.

use std::sync::Mutex;

/// Pieces start at multiples of this many elements (256 bytes in `f32`), so that no two threads
/// write to one cache line.
const PIECE_ALIGN: usize = 64;

/// Data that can be cut in two at an element index: slices and tuples of slices of one length.
pub(crate) trait Split: Send + Sized {
    /// The number of elements.
    fn len(&self) -> usize;
    /// `[0, mid)` and `[mid, len)`.
    fn split_at(self, mid: usize) -> (Self, Self);
}

impl<T: Sync> Split for &[T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        <[T]>::split_at(self, mid)
    }
}

impl<T: Send> Split for &mut [T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
}

impl<A: Split, B: Split> Split for (A, B) {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a0, a1) = self.0.split_at(mid);
        let (b0, b1) = self.1.split_at(mid);
        ((a0, b0), (a1, b1))
    }
}

impl<A: Split, B: Split, C: Split> Split for (A, B, C) {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a0, a1) = self.0.split_at(mid);
        let (b0, b1) = self.1.split_at(mid);
        let (c0, c1) = self.2.split_at(mid);
        ((a0, b0, c0), (a1, b1, c1))
    }
}

/// The number of threads a call uses when nothing sets it: the current rayon pool's size (with
/// the `rayon` feature), or the processor count.
pub(crate) fn default_threads() -> usize {
    #[cfg(feature = "rayon")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "rayon"))]
    {
        static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *CPUS.get_or_init(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }
}

/// Runs `f` on `data`, cut into pieces shared out between `threads` threads when `data` holds at
/// least `min_len` elements (times [`MIN_LEN_FACTOR`]), else in one piece on this thread.
///
/// There are [`PIECES_PER_THREAD`] pieces per thread. Each thread starts on its own block (the
/// same on every call, for the caches) and then takes over what is left of the others': a thread
/// that the system delays (other programs on the cores) leaves its share to the others instead of
/// holding up the whole call. The calling thread always works too.
pub(crate) fn run<D: Split>(data: D, threads: usize, min_len: usize, f: &(impl Fn(D) + Sync)) {
    let len = data.len();
    let threads = if len >= min_len.saturating_mul(MIN_LEN_FACTOR) {
        threads.max(1)
    } else {
        1
    };
    if threads == 1 || nested() {
        f(data);
        return;
    }
    let piece = len
        .div_ceil(threads * PIECES_PER_THREAD)
        .next_multiple_of(PIECE_ALIGN);
    let mut pieces = Vec::with_capacity(len.div_ceil(piece));
    let mut rest = data;
    while rest.len() > piece {
        let (head, tail) = rest.split_at(piece);
        pieces.push(Mutex::new(Some(head)));
        rest = tail;
    }
    pieces.push(Mutex::new(Some(rest)));
    let helpers = (threads - 1).min(pieces.len() - 1);
    let participants = helpers + 1;
    let claim = |i: usize| {
        let piece = pieces[i].lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(piece) = piece {
            f(piece);
        }
    };
    let block =
        |k: usize| (k * pieces.len() / participants)..((k + 1) * pieces.len() / participants);
    // Participant `j` (the caller is 0) first works through its own block of pieces, the same
    // block on every call, so that a thread finds its part of the data still in its cache; then
    // it takes what is left of the others' blocks, from their ends.
    let work = |j: usize| {
        block(j).for_each(claim);
        for k in (1..participants).map(|d| (j + d) % participants) {
            block(k).rev().for_each(claim);
        }
    };
    spawn_helpers(helpers, &work);
}

/// Pieces per thread: enough to even out a delayed thread, few enough to keep each piece long.
const PIECES_PER_THREAD: usize = 4;

/// Rayon wakes its pool's threads in microseconds: the thresholds apply as tuned.
#[cfg(feature = "rayon")]
const MIN_LEN_FACTOR: usize = 1;
/// Spawning and joining scoped threads costs tens of microseconds per call: only slices this many
/// times longer are worth splitting.
#[cfg(not(feature = "rayon"))]
const MIN_LEN_FACTOR: usize = 4;

#[cfg(feature = "rayon")]
fn nested() -> bool {
    false
}

/// Runs `work(0)` on this thread and `work(1..=helpers)` as tasks of the current rayon pool, and
/// returns when all have returned.
#[cfg(feature = "rayon")]
fn spawn_helpers(helpers: usize, work: &(impl Fn(usize) + Sync)) {
    // `in_place_scope` keeps the caller working (`join` from outside a pool would park it).
    rayon::in_place_scope(|scope| {
        for id in 1..=helpers {
            scope.spawn(move |_| work(id));
        }
        work(0);
    });
}

#[cfg(not(feature = "rayon"))]
thread_local! {
    /// Set on the threads this module spawns.
    static IN_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(not(feature = "rayon"))]
fn nested() -> bool {
    IN_WORKER.get()
}

/// Runs `work(0)` on this thread and `work(1..=helpers)` on scoped threads, and returns when all
/// have returned.
#[cfg(not(feature = "rayon"))]
fn spawn_helpers(helpers: usize, work: &(impl Fn(usize) + Sync)) {
    std::thread::scope(|scope| {
        for id in 1..=helpers {
            scope.spawn(move || {
                IN_WORKER.set(true);
                work(id);
            });
        }
        work(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_is_visited_once_by_few_threads() {
        let mut data = vec![0u32; 100_003];
        let seen = Mutex::new(std::collections::HashSet::new());
        run(&mut data[..], 3, 1000, &|piece: &mut [u32]| {
            seen.lock().unwrap().insert(std::thread::current().id());
            for v in piece {
                *v += 1;
            }
        });
        assert!(data.iter().all(|&v| v == 1));
        let threads = seen.lock().unwrap().len();
        assert!((1..=3).contains(&threads), "{threads} threads");
    }

    #[test]
    fn short_slices_stay_on_the_calling_thread() {
        let mut data = vec![0u32; 500];
        let me = std::thread::current().id();
        run(&mut data[..], 4, 1000, &|piece: &mut [u32]| {
            assert_eq!(std::thread::current().id(), me);
            piece.fill(7);
        });
        assert!(data.iter().all(|&v| v == 7));
    }

    #[cfg(not(feature = "rayon"))]
    #[test]
    fn nested_calls_on_helper_threads_run_serially() {
        let mut data = vec![0u32; 1 << 20];
        run(&mut data[..], 2, 1, &|piece: &mut [u32]| {
            let me = std::thread::current().id();
            let on_helper = IN_WORKER.get();
            run(piece, 2, 1, &|inner: &mut [u32]| {
                if on_helper {
                    assert_eq!(std::thread::current().id(), me);
                }
                inner.fill(1);
            });
        });
        assert!(data.iter().all(|&v| v == 1));
    }
}
