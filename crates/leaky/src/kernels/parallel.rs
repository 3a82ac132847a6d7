//! Splitting one slice operation between threads.
//!
//! With the `rayon` feature, the caller runs the first piece and the others are spawned into the
//! *current* rayon pool (`rayon::in_place_scope`): a call from inside a rayon task shares that
//! pool's threads and never adds any. Without it, the pieces
//! run on `std::thread::scope` threads spawned for the call, and a call made on such a thread runs
//! serially, so nested calls never multiply the threads.

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

/// Runs `f` on `data`, cut into `threads` pieces of nearly equal length run in parallel when
/// `data` holds at least `min_len` elements, else in one piece on this thread.
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
    let piece = len.div_ceil(threads).next_multiple_of(PIECE_ALIGN);
    let parts = len.div_ceil(piece);
    if parts <= 1 {
        f(data);
        return;
    }
    split(data, parts, piece, f);
}

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

#[cfg(feature = "rayon")]
fn split<D: Split>(data: D, parts: usize, piece: usize, f: &(impl Fn(D) + Sync)) {
    // The calling thread runs the first piece itself (also when it is not one of the pool's
    // threads, where `join` would park it until the pool is done) and the others go to the
    // current pool.
    rayon::in_place_scope(|scope| {
        let (first, mut rest) = data.split_at(piece);
        for _ in 1..parts {
            let take = piece.min(rest.len());
            let (mine, tail) = rest.split_at(take);
            rest = tail;
            scope.spawn(move |_| f(mine));
        }
        f(first);
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

#[cfg(not(feature = "rayon"))]
fn split<D: Split>(data: D, parts: usize, piece: usize, f: &(impl Fn(D) + Sync)) {
    std::thread::scope(|scope| {
        let (first, mut rest) = data.split_at(piece);
        for _ in 1..parts {
            let mid = piece.min(rest.len());
            let (mine, tail) = rest.split_at(mid);
            rest = tail;
            scope.spawn(move || {
                IN_WORKER.set(true);
                f(mine);
            });
        }
        // The first piece runs on this thread, while the others run on theirs.
        f(first);
    });
}
