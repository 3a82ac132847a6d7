//! Scratch buffers kept by each thread from one call to the next, so that a layer op run every
//! training step neither allocates nor zeroes its working memory each time.
//!
//! A buffer's elements are whatever the last user left there: callers write before they read.
//! Buffers larger than [`KEPT_ELEMENTS`] go back to the allocator after use, so that one large
//! call does not hold memory for the life of the thread.

use std::cell::Cell;
use std::thread::LocalKey;

/// The largest buffer a thread keeps between calls: 4 MiB of `f32`.
const KEPT_ELEMENTS: usize = 1 << 20;

/// An element type with a scratch buffer per thread.
pub(crate) trait Scratch: Copy + Default + 'static {
    /// This thread's buffer of `Self`.
    fn buffer() -> &'static LocalKey<Cell<Vec<Self>>>;
}

thread_local! {
    static F32: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static F64: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

impl Scratch for f32 {
    fn buffer() -> &'static LocalKey<Cell<Vec<f32>>> {
        &F32
    }
}

impl Scratch for f64 {
    fn buffer() -> &'static LocalKey<Cell<Vec<f64>>> {
        &F64
    }
}

/// Calls `f` with `len` elements of this thread's scratch buffer (contents unspecified). A
/// nested call on the same thread gets a buffer of its own.
pub(crate) fn with_scratch<T: Scratch, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    let mut buffer = T::buffer().take();
    if buffer.len() < len {
        buffer.resize(len, T::default());
    }
    let result = f(&mut buffer[..len]);
    if buffer.len() <= KEPT_ELEMENTS {
        T::buffer().set(buffer);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_gets_its_buffer_back_and_nested_calls_get_their_own() {
        let first = with_scratch(8, |a: &mut [f32]| {
            a.fill(1.0);
            with_scratch(4, |b: &mut [f32]| {
                assert_eq!(b.len(), 4);
                b.fill(2.0);
            });
            a.as_ptr()
        });
        // The outer buffer went back last, and is the one handed out next.
        with_scratch(8, |a: &mut [f32]| {
            assert_eq!(a.as_ptr(), first);
            assert!(a.iter().all(|&v| v == 1.0), "kept, not zeroed");
        });
    }

    #[test]
    fn large_buffers_are_not_kept() {
        let large = with_scratch(KEPT_ELEMENTS + 1, |a: &mut [f64]| a.len());
        assert_eq!(large, KEPT_ELEMENTS + 1);
        <f64 as Scratch>::buffer().with(|cell| {
            let kept = cell.take();
            assert!(kept.len() <= KEPT_ELEMENTS);
            cell.set(kept);
        });
    }
}
