//! Scratch buffers kept by each thread from one call to the next, so that a layer op run every
//! training step neither allocates nor zeroes its working memory each time.
//!
//! A buffer's elements are whatever the last user left there: callers write before they read.
//! Each thread keeps a stack of buffers, one per level of nesting (an op's scratch and, inside
//! it, a matrix product's), so that nested calls do not allocate and zero a buffer each time.
//! Buffers larger than [`KEPT_ELEMENTS`] go back to the allocator after use, so that one large
//! call does not hold memory for the life of the thread.

use std::cell::Cell;
use std::thread::LocalKey;

/// The largest buffer a thread keeps between calls: 4 MiB of `f32`.
const KEPT_ELEMENTS: usize = 1 << 20;

/// An element type with a scratch buffer per thread.
pub(crate) trait Scratch: Copy + Default + 'static {
    /// This thread's buffers of `Self`, the next one to hand out last.
    fn buffers() -> &'static LocalKey<Cell<Vec<Vec<Self>>>>;
}

thread_local! {
    static F32: Cell<Vec<Vec<f32>>> = const { Cell::new(Vec::new()) };
    static F64: Cell<Vec<Vec<f64>>> = const { Cell::new(Vec::new()) };
}

impl Scratch for f32 {
    fn buffers() -> &'static LocalKey<Cell<Vec<Vec<f32>>>> {
        &F32
    }
}

impl Scratch for f64 {
    fn buffers() -> &'static LocalKey<Cell<Vec<Vec<f64>>>> {
        &F64
    }
}

/// Calls `f` with `len` elements of this thread's scratch buffer (contents unspecified). A
/// nested call on the same thread gets a buffer of its own.
pub(crate) fn with_scratch<T: Scratch, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    let mut buffer = T::buffers().with(|cell| {
        let mut stack = cell.take();
        let buffer = stack.pop().unwrap_or_default();
        cell.set(stack);
        buffer
    });
    if buffer.len() < len {
        buffer.resize(len, T::default());
    }
    let result = f(&mut buffer[..len]);
    if buffer.len() <= KEPT_ELEMENTS {
        T::buffers().with(|cell| {
            let mut stack = cell.take();
            stack.push(buffer);
            cell.set(stack);
        });
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_gets_its_buffers_back_and_nested_calls_get_their_own() {
        let (outer, inner) = with_scratch(8, |a: &mut [f32]| {
            a.fill(1.0);
            let inner = with_scratch(4, |b: &mut [f32]| {
                assert_eq!(b.len(), 4);
                b.fill(2.0);
                b.as_ptr()
            });
            assert!(
                a.iter().all(|&v| v == 1.0),
                "the nested call had a buffer of its own"
            );
            (a.as_ptr(), inner)
        });
        assert_ne!(outer, inner);
        // Both buffers were kept, not zeroed: the same nesting gets the same two again.
        with_scratch(8, |a: &mut [f32]| {
            assert_eq!(a.as_ptr(), outer);
            assert!(a.iter().all(|&v| v == 1.0), "kept, not zeroed");
            with_scratch(4, |b: &mut [f32]| {
                assert_eq!(b.as_ptr(), inner);
                assert!(b.iter().all(|&v| v == 2.0), "kept, not zeroed");
            });
        });
    }

    #[test]
    fn large_buffers_are_not_kept() {
        let large = with_scratch(KEPT_ELEMENTS + 1, |a: &mut [f64]| a.len());
        assert_eq!(large, KEPT_ELEMENTS + 1);
        <f64 as Scratch>::buffers().with(|cell| {
            let kept = cell.take();
            assert!(kept.iter().all(|buffer| buffer.len() <= KEPT_ELEMENTS));
            cell.set(kept);
        });
    }
}
