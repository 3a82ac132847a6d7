//! The slice kernels under [`Activation`](crate::Activation)'s slice operations: SIMD tiers chosen
//! at run time, and threads for large slices.
//!
//! # Tiers
//!
//! | tier | where | lanes (f32/f64) |
//! |---|---|---|
//! | [`Tier::Avx512`] | x86-64 with AVX-512F | 16 / 8 |
//! | [`Tier::Avx2`] | x86-64 with AVX2, FMA and F16C | 8 / 4 |
//! | [`Tier::Portable`] | everywhere: arrays the compiler vectorises for the target's baseline (SSE2, NEON) | 8 / 4 |
//! | [`Tier::Scalar`] | everywhere: the loops over the [scalar definitions](crate::scalar), the oracle | 1 |
//!
//! By default the best tier the processor has is used. `LEAKY_TIER=scalar|portable|avx2|avx512|auto`
//! in the environment, [`set_tier`] (for the process) or [`with_tier`] (for a closure on this
//! thread) force one, so that tests and benchmarks can run every tier on one machine; asking for
//! a tier the processor lacks is an [`Error::TierUnavailable`], never undefined behaviour.
//!
//! Every kernel tier gives *the same bits* as the scalar definitions for LeakyReLU and ReLU (forward
//! and backward), and for the backward from the output of sigmoid and tanh. Sigmoid and tanh in
//! `f32` use vector math within 2 ULP of the correctly rounded result (their derivatives within
//! 3 ULP); in `f64` they run the scalar definitions (libm), on threads. GELU (exact and tanh),
//! SiLU, ELU, SELU, CELU (α > 0), Softplus (2^-20 ≤ β ≤ 2^20), LogSigmoid, Mish, Softsign and Tanhshrink
//! have `f32` kernels within 4 ULP, forward and derivative; their `f64` versions run the scalar
//! definitions.
//!
//! # Threads
//!
//! Slices longer than a threshold per operation (tens of thousands of elements for LeakyReLU, a
//! few thousand for sigmoid) are cut into one piece per thread. The thread count is, in order:
//! [`with_threads`] on this thread, [`set_threads`], `LEAKY_THREADS=N` (1 turns threads off), else
//! the current rayon pool's size (feature `rayon`) or the number of processors. With the `rayon`
//! feature the pieces run in the current pool (so a call from a rayon task adds no threads);
//! without it, on scoped threads, and calls made on those threads run serially.
//!
//! ```
//! use leaky::{Activation, kernels::{self, Tier}};
//!
//! let x = vec![-1.0_f32; 1000];
//! let mut y = vec![0.0; 1000];
//! for tier in Tier::available() {
//!     kernels::with_tier(tier, || Activation::DEFAULT.forward_slice(&x, &mut y))??;
//!     assert!(y.iter().all(|&v| v == -0.01));
//! }
//! # Ok::<(), leaky::Error>(())
//! ```

mod any_float;
mod loops;
mod parallel;

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::Error;
use crate::isa::{Isa, Vectorize, with_token};
use crate::math::VectorMath;
use crate::storage::Half;

pub use crate::isa::Tier;
pub(crate) use any_float::{Element, ExactMap, ExactZip, Map, Zip};
pub(crate) use parallel::Split;

impl Tier {
    /// The tier a slice operation called now, on this thread, would use.
    pub fn current() -> Result<Tier, Error> {
        if let Some(tier) = TIER_HERE.get() {
            return Ok(tier);
        }
        match FORCED_TIER.load(Ordering::Relaxed) {
            0 => {}
            i => return Ok(Tier::ALL[usize::from(i) - 1]),
        }
        match env_tier() {
            Ok(Some(tier)) => Ok(*tier),
            Ok(None) => Ok(Tier::best()),
            Err(err) => Err(err.clone()),
        }
    }
}

/// Forces `tier` for every slice operation in the process (`None`: back to `LEAKY_TIER`, else
/// the best tier). An [`Error::TierUnavailable`] if the processor lacks it.
pub fn set_tier(tier: Option<Tier>) -> Result<(), Error> {
    let code = match tier {
        Some(t) => t.check_available()? as u8 + 1,
        None => 0,
    };
    FORCED_TIER.store(code, Ordering::Relaxed);
    Ok(())
}

/// Runs `f` with `tier` forced for the slice operations it calls on this thread (and the threads
/// they start). An [`Error::TierUnavailable`], without running `f`, if the processor lacks it.
pub fn with_tier<R>(tier: Tier, f: impl FnOnce() -> R) -> Result<R, Error> {
    tier.check_available()?;
    let _restore = Restore(&TIER_HERE, TIER_HERE.replace(Some(tier)));
    Ok(f())
}

/// Sets the number of threads every slice operation in the process may use (`Some(1)`: none
/// besides the caller's; `None`: back to `LEAKY_THREADS`, else the default). `Some(0)` is an
/// [`Error::InvalidSetting`].
pub fn set_threads(threads: Option<usize>) -> Result<(), Error> {
    let n = match threads {
        Some(0) => {
            return Err(Error::InvalidSetting {
                setting: "threads",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        Some(n) => n,
        None => 0,
    };
    FORCED_THREADS.store(n, Ordering::Relaxed);
    Ok(())
}

/// Runs `f` with at most `threads` threads (at least 1) for the slice operations it calls on this
/// thread.
pub fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(&THREADS_HERE, THREADS_HERE.replace(Some(threads.max(1))));
    f()
}

/// The number of threads a slice operation called now, on this thread, may use.
pub fn threads() -> Result<usize, Error> {
    if let Some(n) = THREADS_HERE.get() {
        return Ok(n);
    }
    match FORCED_THREADS.load(Ordering::Relaxed) {
        0 => {}
        n => return Ok(n),
    }
    match env_threads() {
        Ok(Some(n)) => Ok(*n),
        Ok(None) => Ok(parallel::default_threads()),
        Err(err) => Err(err.clone()),
    }
}

/// Copies `src` into `dst` on the threads the slice operations would use for a copy-like kernel
/// (`copy_from_slice` per piece): the memory-bandwidth baseline that `leaky bench` compares with.
pub fn copy<T: crate::Float>(src: &[T], dst: &mut [T]) -> Result<(), Error> {
    if src.len() != dst.len() {
        return Err(Error::LengthMismatch {
            what: "dst",
            expected: src.len(),
            found: dst.len(),
        });
    }
    Plan::current()?.split((src, dst), thresholds::CHEAP, |(s, d)| d.copy_from_slice(s));
    Ok(())
}

/// 0: nothing forced; else the index in [`Tier::ALL`] plus one.
static FORCED_TIER: AtomicU8 = AtomicU8::new(0);
/// 0: nothing forced.
static FORCED_THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static TIER_HERE: Cell<Option<Tier>> = const { Cell::new(None) };
    static THREADS_HERE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Puts a thread-local setting back when dropped (also when the closure panics).
struct Restore<T: Copy + 'static>(&'static std::thread::LocalKey<Cell<T>>, T);

impl<T: Copy + 'static> Drop for Restore<T> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

/// `LEAKY_TIER`, read once: `None` when unset, empty or `auto`.
fn env_tier() -> &'static Result<Option<Tier>, Error> {
    static TIER: OnceLock<Result<Option<Tier>, Error>> = OnceLock::new();
    TIER.get_or_init(|| {
        let Ok(value) = std::env::var("LEAKY_TIER") else {
            return Ok(None);
        };
        if value.trim().is_empty() || value.trim().eq_ignore_ascii_case("auto") {
            return Ok(None);
        }
        let tier: Tier = value.parse().map_err(|_| Error::InvalidSetting {
            setting: "LEAKY_TIER",
            value: value.clone(),
            expected: "one of scalar, portable, avx2, avx512, auto",
        })?;
        tier.check_available().map(Some)
    })
}

/// `LEAKY_THREADS`, read once: `None` when unset or empty.
fn env_threads() -> &'static Result<Option<usize>, Error> {
    static THREADS: OnceLock<Result<Option<usize>, Error>> = OnceLock::new();
    THREADS.get_or_init(|| {
        let Ok(value) = std::env::var("LEAKY_THREADS") else {
            return Ok(None);
        };
        if value.trim().is_empty() {
            return Ok(None);
        }
        match value.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Error::InvalidSetting {
                setting: "LEAKY_THREADS",
                value,
                expected: "a whole number of threads, at least 1 (1 turns threads off)",
            }),
        }
    })
}

/// How a slice operation runs: which token (none for the scalar tier) and how many threads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    isa: Option<Isa>,
    threads: usize,
}

impl Plan {
    /// The plan for a call made now on this thread; an error if the settings are invalid.
    pub(crate) fn current() -> Result<Plan, Error> {
        Ok(Plan {
            isa: Isa::of(Tier::current()?)?,
            threads: threads()?,
        })
    }

    /// Whether the kernels run (else the caller runs the scalar loops, through [`Plan::split`]).
    pub(crate) fn vectorized(&self) -> bool {
        self.isa.is_some()
    }

    /// The same tier on the calling thread alone: for a piece of an operation already split.
    pub(crate) fn serial(self) -> Plan {
        Plan { threads: 1, ..self }
    }

    /// `dst = src` widened to `f32`, by the tier's conversion (the portable tier's for the
    /// scalar tier).
    pub(crate) fn widen<H: Half>(&self, src: &[H], dst: &mut [f32]) {
        with_token!(self.isa.unwrap_or(Isa::PORTABLE), |s| H::widen(s, src, dst))
    }

    /// `dst = src` rounded to `H`, by the tier's conversion (the portable tier's for the scalar
    /// tier).
    pub(crate) fn narrow<H: Half>(&self, src: &[f32], dst: &mut [H]) {
        with_token!(self.isa.unwrap_or(Isa::PORTABLE), |s| H::narrow(
            s, src, dst
        ))
    }

    /// Runs `f` over `data` on the plan's threads when `data` holds at least `min_len` elements.
    pub(crate) fn split<D: Split>(&self, data: D, min_len: usize, f: impl Fn(D) + Sync) {
        parallel::run(data, self.threads, min_len, &f);
    }

    /// `y = op(x)` by the kernel. Call only when [`Plan::vectorized`].
    pub(crate) fn map<T: crate::Float>(&self, op: Map<T>, x: &[T], y: &mut [T]) {
        let isa = self.isa.expect("a vectorized plan");
        let stream = streams_all(&[size_of_val(x), size_of_val(y)]);
        self.split((x, y), op.min_parallel_len(), |(x, y)| {
            with_token!(isa, |s| T::map(s, op, x, y, stream))
        });
    }

    /// `x = op(x)` by the kernel. Call only when [`Plan::vectorized`].
    pub(crate) fn map_in_place<T: crate::Float>(&self, op: Map<T>, x: &mut [T]) {
        let isa = self.isa.expect("a vectorized plan");
        self.split(x, op.min_parallel_len(), |x| {
            with_token!(isa, |s| T::map_in_place(s, op, x))
        });
    }

    /// `out = op(a, g)` by the kernel. Call only when [`Plan::vectorized`].
    pub(crate) fn zip<T: crate::Float>(&self, op: Zip<T>, a: &[T], g: &[T], out: &mut [T]) {
        let isa = self.isa.expect("a vectorized plan");
        let stream = streams_all(&[size_of_val(a), size_of_val(g), size_of_val(out)]);
        self.split((a, g, out), op.min_parallel_len(), |(a, g, out)| {
            with_token!(isa, |s| T::zip(s, op, a, g, out, stream))
        });
    }

    /// `y = m(x)` by an `f32` vector-math kernel. Call only when [`Plan::vectorized`].
    pub(crate) fn map_math<M: VectorMath>(&self, m: M, x: &[f32], y: &mut [f32]) {
        let isa = self.isa.expect("a vectorized plan");
        let stream = streams_all(&[size_of_val(x), size_of_val(y)]);
        self.split((x, y), thresholds::VECTOR_MATH, |(x, y)| {
            with_token!(isa, |s| s.vectorize(
                #[inline(always)]
                move |s| loops::map(
                    s,
                    x,
                    y,
                    stream,
                    #[inline(always)]
                    |v| m.forward(s, v)
                )
            ))
        });
    }

    /// `x = m(x)` by an `f32` vector-math kernel. Call only when [`Plan::vectorized`].
    pub(crate) fn map_math_in_place<M: VectorMath>(&self, m: M, x: &mut [f32]) {
        let isa = self.isa.expect("a vectorized plan");
        self.split(x, thresholds::VECTOR_MATH, |x| {
            with_token!(isa, |s| s.vectorize(
                #[inline(always)]
                move |s| loops::map_in_place(
                    s,
                    x,
                    #[inline(always)]
                    |v| m.forward(s, v)
                )
            ))
        });
    }

    /// `out = m'(x)·g`, the backward from the input by an `f32` vector-math kernel. Call only
    /// when [`Plan::vectorized`].
    pub(crate) fn backward_math<M: VectorMath>(&self, m: M, x: &[f32], g: &[f32], out: &mut [f32]) {
        let isa = self.isa.expect("a vectorized plan");
        let stream = streams_all(&[size_of_val(x), size_of_val(g), size_of_val(out)]);
        self.split((x, g, out), thresholds::VECTOR_MATH, |(x, g, out)| {
            with_token!(isa, |s| s.vectorize(
                #[inline(always)]
                move |s| loops::zip(
                    s,
                    x,
                    g,
                    out,
                    stream,
                    #[inline(always)]
                    |x, g| m.backward(s, x, g)
                )
            ))
        });
    }
}

/// Whether the output is written with non-temporal stores: when the buffers of the operation
/// (given in bytes) together exceed the last-level cache, caching the output would only evict the
/// inputs (and costs a read of each line before it is written).
fn streams_all(bytes: &[usize]) -> bool {
    bytes.iter().sum::<usize>() > thresholds::STREAM_BYTES
}

/// Below these lengths one thread does the whole slice: splitting costs more than it saves.
/// Measured with `leaky bench` on 2 cores (see `docs/kernels.md`).
pub(crate) mod thresholds {
    /// Loads, a compare, a blend, stores: memory-bound.
    pub(crate) const CHEAP: usize = 64 * 1024;
    /// The `f32` vector math (tens of operations per element).
    pub(crate) const VECTOR_MATH: usize = 16 * 1024;
    /// A libm call per element (the scalar definitions of the smooth functions).
    pub(crate) const LIBM: usize = 4 * 1024;
    /// Operations touching more than this many bytes in all stream their output past the caches
    /// (non-temporal stores): the size of a Zen 4 L3 (per CCD).
    pub(crate) const STREAM_BYTES: usize = 32 << 20;
}
