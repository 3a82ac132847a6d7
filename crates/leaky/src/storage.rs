//! The slice operations on the 16-bit storage types, [`half::f16`] and [`half::bf16`]: computed
//! in `f32` and rounded once.
//!
//! The plan's threads share a slice's pieces as for `f32`. Each piece goes [`BLOCK`] elements at a
//! time through buffers on the stack: the inputs are widened to `f32` (exactly), the `f32` slice
//! operation of the same tier runs on them (on this thread), and its results are narrowed back
//! (to nearest, ties to even; NaN to a quiet NaN). So every 16-bit result is the `f32`
//! operation's result on the same input, rounded once, whatever the tier, the length or the
//! threads. The conversions are the tier's ([`Convert`]): F16C and AVX-512F instructions for
//! `f16`, integer rounding for `bf16`.

use half::{bf16, f16};

use crate::isa::Convert;
use crate::kernels::{Plan, thresholds};
use crate::slice_ops::{
    SliceOps, backward_from_output_with, backward_with, check_from_output, check_len,
    forward_in_place_with,
};
use crate::{Activation, Error};

/// Elements per block: the three `f32` blocks of a backward (12 KiB) stay in the L1 cache
/// beside the 16-bit data they come from.
const BLOCK: usize = 1024;

/// One block of `f32`, aligned to a cache line as the kernels align their stores.
#[repr(C, align(64))]
struct Block([f32; BLOCK]);

impl Block {
    fn new() -> Block {
        Block([0.0; BLOCK])
    }
}

/// A 16-bit storage type: its conversions to and from `f32`, by a tier's [`Convert`].
pub(crate) trait Half: Copy + Send + Sync + 'static {
    /// `dst[i] = src[i]` as `f32` (exact); `dst` at least as long as `src`.
    fn widen<C: Convert>(c: C, src: &[Self], dst: &mut [f32]);
    /// `dst[i] = src[i]` rounded to `Self`; `dst` at least as long as `src`.
    fn narrow<C: Convert>(c: C, src: &[f32], dst: &mut [Self]);
}

impl Half for f16 {
    #[inline(always)]
    fn widen<C: Convert>(c: C, src: &[f16], dst: &mut [f32]) {
        c.widen_f16(src, dst);
    }
    #[inline(always)]
    fn narrow<C: Convert>(c: C, src: &[f32], dst: &mut [f16]) {
        c.narrow_f16(src, dst);
    }
}

impl Half for bf16 {
    #[inline(always)]
    fn widen<C: Convert>(c: C, src: &[bf16], dst: &mut [f32]) {
        c.widen_bf16(src, dst);
    }
    #[inline(always)]
    fn narrow<C: Convert>(c: C, src: &[f32], dst: &mut [bf16]) {
        c.narrow_bf16(src, dst);
    }
}

macro_rules! slice_ops_through_f32 {
    ($t:ty) => {
        impl SliceOps for $t {
            fn forward_slice(act: &Activation, x: &[$t], y: &mut [$t]) -> Result<(), Error> {
                forward_slice(act, x, y)
            }
            fn forward_in_place(act: &Activation, x: &mut [$t]) -> Result<(), Error> {
                forward_in_place(act, x)
            }
            fn backward(act: &Activation, x: &[$t], g: &[$t], out: &mut [$t]) -> Result<(), Error> {
                act.validate()?;
                check_len("grad_out", x.len(), g.len())?;
                check_len("grad_in", x.len(), out.len())?;
                zip(Plan::current()?, x, g, out, |plan, x, g, out| {
                    backward_with(plan, act, x, g, out)
                });
                Ok(())
            }
            fn backward_from_output(
                act: &Activation,
                y: &[$t],
                g: &[$t],
                out: &mut [$t],
            ) -> Result<(), Error> {
                act.validate()?;
                check_len("grad_out", y.len(), g.len())?;
                check_len("grad_in", y.len(), out.len())?;
                check_from_output(act)?;
                zip(Plan::current()?, y, g, out, |plan, y, g, out| {
                    backward_from_output_with(plan, act, y, g, out)
                });
                Ok(())
            }
        }
    };
}

slice_ops_through_f32!(f16);
slice_ops_through_f32!(bf16);

fn forward_slice<H: Half>(act: &Activation, x: &[H], y: &mut [H]) -> Result<(), Error> {
    act.validate()?;
    check_len("output", x.len(), y.len())?;
    let plan = Plan::current()?;
    plan.split((x, y), thresholds::VECTOR_MATH, |(x, y)| {
        let one = plan.serial();
        let mut wide = Block::new();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            let w = &mut wide.0[..x.len()];
            one.widen(x, w);
            forward_in_place_with(one, act, w);
            one.narrow(w, y);
        }
    });
    Ok(())
}

fn forward_in_place<H: Half>(act: &Activation, x: &mut [H]) -> Result<(), Error> {
    act.validate()?;
    let plan = Plan::current()?;
    plan.split(x, thresholds::VECTOR_MATH, |x| {
        let one = plan.serial();
        let mut wide = Block::new();
        for x in x.chunks_mut(BLOCK) {
            let w = &mut wide.0[..x.len()];
            one.widen(x, w);
            forward_in_place_with(one, act, w);
            one.narrow(w, x);
        }
    });
    Ok(())
}

/// `out = op(a, g)` through `f32` blocks, on the plan's threads; `op` runs an `f32` backward on
/// the plan it is given (one thread).
fn zip<H: Half>(
    plan: Plan,
    a: &[H],
    g: &[H],
    out: &mut [H],
    op: impl Fn(Plan, &[f32], &[f32], &mut [f32]) + Sync,
) {
    plan.split((a, g, out), thresholds::VECTOR_MATH, |(a, g, out)| {
        let one = plan.serial();
        let (mut wide_a, mut wide_g, mut wide_out) = (Block::new(), Block::new(), Block::new());
        let blocks = a.chunks(BLOCK).zip(g.chunks(BLOCK));
        for ((a, g), out) in blocks.zip(out.chunks_mut(BLOCK)) {
            let n = a.len();
            let (wa, wg, wo) = (&mut wide_a.0[..n], &mut wide_g.0[..n], &mut wide_out.0[..n]);
            one.widen(a, wa);
            one.widen(g, wg);
            op(one, wa, wg, wo);
            one.narrow(wo, out);
        }
    });
}
