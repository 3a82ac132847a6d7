//! Fast CPU 2-D convolution and transposed convolution: [`conv2d`] and [`conv_transpose2d`]
//! (functions with autograd) and the layers [`Conv2d`] and [`ConvTranspose2d`], which wrap
//! candle-nn's layers (the same weights, names, layouts and initialisation, so checkpoints
//! interchange) and compute faster on the CPU.
//!
//! Each image of a batch is one matrix product in the images' own `(C, H, W)` layout (see
//! `unfold`): with `W` as `(C_out, C·K·K)`,
//!
//! ```text
//! conv2d:           y_b = W · unfold(x_b) + bias             (C_out, Ho·Wo)
//! conv_transpose2d: y_b = fold(Wᵀ · x_b) + bias              W as (C_in, C_out·K·K)
//! ```
//!
//! Forward, a convolution's bias is one more column of the weights, against a row of ones in
//! the columns (`[W | b] · [unfold(x_b); 1]`, no pass of its own), and the output is written
//! once, never zeroed first; a transposed convolution's output starts as the bias;
//! backward, one op computes the gradients of the input, the weights and the bias together.
//! Images are shared between threads (rayon's pool); each thread runs its products on one
//! thread, and the weights' and bias's gradients are summed image by image in batch order, so
//! the result is the same bits whatever the number of threads. A large image is done a band of
//! output rows at a time, so that its columns stay in cache (and a 320x320 image's need not be
//! held at once); the columns live in each thread's scratch memory, kept from call to call. A
//! plane's bias gradient is summed in 16 interleaved partial sums, a vector at a time. An input that needs no gradient
//! (a batch of images) gets none computed.
//!
//! On a CPU with AVX-512F, a 3x3 convolution with stride 1 and padding 1 in `f32` (the CNN's and
//! candle issue 3119's) skips the unfolding and the product: its forward pass, its input's
//! gradient and its weights' gradient are computed directly from shifted copies of the image
//! (see `direct`), where the channels allow (the forward pass's output channels a multiple of
//! 8, the input's a multiple of 8 for its gradient, the output's of 16 for the weights'). The
//! results differ from the unfolded product's in the last bits (the order of the sums), as
//! `gemm`'s own kernels do from one CPU to another: the same CPU features, the same bits.
//!
//! `f32` and `f64` on the CPU run these ops; other dtypes and devices run candle's own
//! convolution, with the same results up to rounding.

use std::borrow::Cow;
use std::mem::MaybeUninit;

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, DType, Device, Error, Layout, Module, Result, Shape, Storage, Tensor, bail,
};
use candle_nn::{Conv2dConfig, ConvTranspose2dConfig, VarBuilder};
use rayon::prelude::*;

use leaky::Activation;

use crate::activate::activate;
use crate::cpu::{
    self, Gradients, Layer, Operand, Saved, TensorGradients, as_tensors, as_uninit, assume_written,
    on_cpu, slice, sum_in_order, sum_interleaved,
};
use crate::direct::{Direct, WeightGradient};
use crate::matmul::{Matrix, Real, matmul, matmul_strided, matmul_uninit, transpose};
use crate::pool::{max_pool2, pool_planes, unpool_planes};
use crate::scratch::with_scratch;
use crate::unfold::{Geometry, fold_add_rows, unfold_rows};

/// About how many elements of unfolded columns an image's band of output rows holds (256 KiB
/// of `f32`): small images are one band, large ones are done a band at a time in cache.
const BAND_ELEMENTS: usize = 64 * 1024;

/// Which way an op maps images: a convolution, or its transpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    /// `x (n, C, H, W)` → `y (n, C_out, Ho, Wo)`, weights `(C_out, C, K, K)`.
    Forward,
    /// `x (n, C_in, h, w)` → `y (n, C, H, W)` with `(h, w) = (Ho, Wo)`, weights `(C_in, C, K, K)`.
    Transposed,
}

/// A convolution over a batch: the geometry of the full-size side (the input of a
/// convolution, the output of a transposed one) and the channels of the other side.
#[derive(Clone, Copy, Debug)]
struct Conv {
    direction: Direction,
    batch: usize,
    geometry: Geometry,
    /// Channels of the small side: `C_out` of a convolution, `C_in` of a transposed one.
    others: usize,
}

/// A forward pass's results: the output (`z`, `f(z)`, or `max_pool2(f(z))`), and what the
/// backward pass of an activated one needs: `z`, and with pooling each window's winner.
struct Output<S> {
    y: S,
    pre_activation: Option<S>,
    winners: Option<Vec<u8>>,
}

/// The direct passes (see `direct`) a convolution's backward pass uses where they apply: for the
/// input's gradient and for the weights'.
#[derive(Clone, Copy)]
struct DirectBackward<'a> {
    input: Option<&'a Direct>,
    weights: Option<&'a WeightGradient>,
}

/// What an activated op's forward pass kept for its backward pass: the activation, the
/// pre-activation `z` (`Z` a storage or a slice), and with pooling each window's winner.
#[derive(Clone, Copy)]
struct Kept<'a, Z> {
    activation: &'a Activation,
    pre_activation: Z,
    winners: Option<&'a [u8]>,
}

impl Conv {
    /// Elements per image of the full-size side, `C·H·W`.
    fn large(&self) -> usize {
        self.geometry.image_len()
    }

    /// Elements per image of the small side, `others·Ho·Wo`.
    fn small(&self) -> usize {
        self.others * self.geometry.out_pixels()
    }

    /// `(input, output)` elements per image.
    fn sides(&self) -> (usize, usize) {
        match self.direction {
            Direction::Forward => (self.large(), self.small()),
            Direction::Transposed => (self.small(), self.large()),
        }
    }

    /// The output's shape.
    fn out_shape(&self) -> Shape {
        let g = &self.geometry;
        match self.direction {
            Direction::Forward => (self.batch, self.others, g.out_height(), g.out_width()).into(),
            Direction::Transposed => (self.batch, g.channels, g.height, g.width).into(),
        }
    }

    /// The `(height, width)` of an output plane.
    fn out_plane(&self) -> (usize, usize) {
        let g = &self.geometry;
        match self.direction {
            Direction::Forward => (g.out_height(), g.out_width()),
            Direction::Transposed => (g.height, g.width),
        }
    }

    /// Elements per image of the output after 2x2 max pooling.
    fn pooled(&self) -> usize {
        let (h, w) = self.out_plane();
        self.out_channels() * (h / 2) * (w / 2)
    }

    /// The output's shape after 2x2 max pooling, or with `pool` false as it is.
    fn shape(&self, pool: bool) -> Shape {
        let (h, w) = self.out_plane();
        match pool {
            true => (self.batch, self.out_channels(), h / 2, w / 2).into(),
            false => self.out_shape(),
        }
    }

    /// The channels that get a bias: the output's.
    fn out_channels(&self) -> usize {
        match self.direction {
            Direction::Forward => self.others,
            Direction::Transposed => self.geometry.channels,
        }
    }

    /// The weights as the matrix `(others, C·K·K)`.
    fn weights<'a, T>(&self, w: &'a [T]) -> Matrix<'a, T> {
        Matrix::new(w, self.others, self.geometry.taps())
    }

    /// `z = conv(x, w) + bias`, and with an activation `f` also `y = f(z)`, applied image by
    /// image while the image is in cache; with `pool` too (and an activation), `y` is
    /// `max_pool2(f(z))`, pooled image by image, and the full-size `f(z)` is never stored.
    fn forward<T: Real>(
        &self,
        x: &[T],
        w: &[T],
        bias: Option<&[T]>,
        activation: Option<&Activation>,
        pool: bool,
    ) -> Result<Output<Vec<T>>> {
        let (per_in, per_out) = self.sides();
        let len = self.batch * per_out;
        let direct = match self.direction {
            Direction::Forward => Direct::new(&self.geometry, self.others, w, bias),
            Direction::Transposed => None,
        };
        // A convolution's bias is one more tap, whose column is all ones: `[W | b] · [cols; 1]`.
        let weights = match (self.direction, bias, &direct) {
            (Direction::Forward, Some(bias), None) => {
                Cow::Owned(with_bias_column(w, bias, self.others))
            }
            _ => Cow::Borrowed(w),
        };
        let image = |z, x| match (self.direction, &direct) {
            (_, Some(direct)) => direct.image(x, z),
            (Direction::Forward, None) => self.image_forward(x, &weights, bias.is_some(), z),
            (Direction::Transposed, None) => self.image_forward_transposed(x, w, bias, z),
        };
        // Every element is written by `image` before it is read: no zeroing first.
        let mut z: Vec<T> = Vec::with_capacity(len);
        let images = z.spare_capacity_mut()[..len]
            .par_chunks_mut(per_out)
            .zip(x.par_chunks(per_in));
        let (y, winners) = match activation {
            None => {
                images.for_each(|(z, x)| {
                    image(z, x);
                });
                (None, None)
            }
            Some(activation) if pool => {
                let (plane, per_pooled) = (self.out_plane(), self.pooled());
                let pooled_len = self.batch * per_pooled;
                // Each image's outputs and winners are written by `pool_planes`: no zeroing.
                let (mut y, mut won) = (
                    Vec::with_capacity(pooled_len),
                    Vec::with_capacity(pooled_len),
                );
                images
                    .zip(y.spare_capacity_mut()[..pooled_len].par_chunks_mut(per_pooled))
                    .zip(won.spare_capacity_mut()[..pooled_len].par_chunks_mut(per_pooled))
                    .try_for_each(|(((z, x), y), won)| {
                        with_scratch(per_out, |activated: &mut [T]| {
                            activation.forward_slice(image(z, x), activated)?;
                            pool_planes(activated, plane, y, won);
                            Ok::<(), leaky::Error>(())
                        })
                    })
                    .map_err(Error::wrap)?;
                // SAFETY: the loop above wrote every image's `per_pooled` outputs and winners,
                // `pooled_len` of each in all, and returned early on an error.
                unsafe {
                    y.set_len(pooled_len);
                    won.set_len(pooled_len);
                }
                (Some(y), Some(won))
            }
            Some(activation) => {
                let mut y = vec![T::zero(); len];
                images
                    .zip(y.par_chunks_mut(per_out))
                    .try_for_each(|((z, x), y)| activation.forward_slice(image(z, x), y))
                    .map_err(Error::wrap)?;
                (Some(y), None)
            }
        };
        // SAFETY: the loops above wrote every image's elements, `len` in all (`image` writes
        // each of its `per_out`), and returned early on an error.
        unsafe { z.set_len(len) };
        Ok(match y {
            None => Output {
                y: z,
                pre_activation: None,
                winners,
            },
            Some(y) => Output {
                y,
                pre_activation: Some(z),
                winners,
            },
        })
    }

    /// One image's `z = conv(x, w)` (with `biased`, `w` holds the bias as one more column and
    /// the columns get a row of ones), a band of output rows at a time. Writes every element.
    fn image_forward<'z, T: Real>(
        &self,
        x: &[T],
        w: &[T],
        biased: bool,
        z: &'z mut [MaybeUninit<T>],
    ) -> &'z mut [T] {
        let g = &self.geometry;
        let (wo, pixels) = (g.out_width(), g.out_pixels());
        let taps = g.taps() + usize::from(biased);
        let w = Matrix::new(w, self.others, taps);
        let rows = g.band_rows(BAND_ELEMENTS);
        with_scratch(taps * rows * wo, |scratch: &mut [T]| {
            for band in g.bands(rows) {
                let at = band.start * wo..band.end * wo;
                let cols = &mut scratch[..taps * at.len()];
                let (unfolded, ones) = cols.split_at_mut(g.taps() * at.len());
                unfold_rows(g, x, band, unfolded);
                ones.fill(T::one());
                let cols = Matrix::new(cols, taps, at.len());
                matmul_uninit(&mut z[at.start..], pixels, w, cols);
            }
        });
        // SAFETY: the bands cover the rows `0..Ho`, so the products wrote every column of every
        // one of the `others` rows of `pixels` elements: all of `z`.
        unsafe { assume_written(z) }
    }

    /// One transposed convolution image's `z = fold(wᵀ · x) + bias`, a band of rows at a time.
    /// Writes every element.
    fn image_forward_transposed<'z, T: Real>(
        &self,
        x: &[T],
        w: &[T],
        bias: Option<&[T]>,
        z: &'z mut [MaybeUninit<T>],
    ) -> &'z mut [T] {
        let plane = z.len() / self.out_channels();
        for (i, plane) in z.chunks_mut(plane).enumerate() {
            plane.fill(MaybeUninit::new(bias.map_or(T::zero(), |b| b[i])));
        }
        // SAFETY: every element was just written.
        let z = unsafe { assume_written(z) };
        let g = &self.geometry;
        let (taps, wo, pixels) = (g.taps(), g.out_width(), g.out_pixels());
        let w = self.weights(w);
        let rows = g.band_rows(BAND_ELEMENTS);
        with_scratch(taps * rows * wo, |scratch: &mut [T]| {
            for band in g.bands(rows) {
                let at = band.start * wo..band.end * wo;
                let cols = &mut scratch[..taps * at.len()];
                let x = Matrix::new(x, self.others, pixels).columns(at);
                matmul(cols, w.t(), x, false);
                fold_add_rows(g, cols, band, z);
            }
        });
        z
    }

    /// The gradients of the input (when `input` asks for it), the weights and the bias, from
    /// the input `x`, the weights `w` and the output's gradient `grad_y`. With an activation,
    /// `grad_y` is the gradient of `f(z)` (of `max_pool2(f(z))` with the pooling's winners) and
    /// each image's `grad_z = f'(z)·grad_y` (after sending each window's gradient to its
    /// winner) is computed in a scratch buffer and used in its place.
    fn backward<T: Real>(
        &self,
        x: &[T],
        w: &[T],
        grad_y: &[T],
        input: bool,
        activated: Option<Kept<&[T]>>,
    ) -> Result<Gradients<T>> {
        let (per_in, per_out) = self.sides();
        let channels = self.out_channels();
        let plane = self.out_plane();
        let per_grad_y = match activated.and_then(|kept| kept.winners) {
            Some(_) => self.pooled(),
            None => per_out,
        };
        let per_weights = self.others * self.geometry.taps();
        // Each image's partial gradients: the weights' (transposed, `(taps, others)`), then the
        // bias's.
        let per_partial = per_weights + channels;
        let mut partials = vec![T::zero(); self.batch * per_partial];
        // A 3x3 "same" convolution's input gradient is a convolution itself, computed directly
        // where the CPU can (see `direct`); otherwise folded from a product.
        let (input_direct, weights_direct) = match self.direction {
            Direction::Forward => (
                input
                    .then(|| Direct::for_input_gradient(&self.geometry, self.others, w))
                    .flatten(),
                WeightGradient::new::<T>(&self.geometry, self.others),
            ),
            Direction::Transposed => (None, None),
        };
        let direct = DirectBackward {
            input: input_direct.as_ref(),
            weights: weights_direct.as_ref(),
        };
        let mut grad_x = vec![T::zero(); if input { x.len() } else { 0 }];
        let mut grad_x_images: Vec<Option<&mut [T]>> = if input {
            grad_x.chunks_mut(per_in).map(Some).collect()
        } else {
            (0..self.batch).map(|_| None).collect()
        };
        partials
            .par_chunks_mut(per_partial)
            .zip(grad_x_images.par_iter_mut())
            .enumerate()
            .try_for_each(|(i, (partial, grad_x))| {
                let x = &x[i * per_in..(i + 1) * per_in];
                let grad_y = &grad_y[i * per_grad_y..(i + 1) * per_grad_y];
                let (partial_w, partial_b) = partial.split_at_mut(per_weights);
                let Some(kept) = activated else {
                    let grad_x = grad_x.as_deref_mut();
                    self.image_backward(x, w, grad_y, partial_w, partial_b, grad_x, direct);
                    return Ok(());
                };
                let z = &kept.pre_activation[i * per_out..(i + 1) * per_out];
                let scratch = per_out * if kept.winners.is_some() { 2 } else { 1 };
                with_scratch(scratch, |scratch: &mut [T]| {
                    let (grad_z, unpooled) = scratch.split_at_mut(per_out);
                    let grad_f = match kept.winners {
                        Some(won) => {
                            let won = &won[i * per_grad_y..(i + 1) * per_grad_y];
                            unpool_planes(plane, won, grad_y, unpooled);
                            &*unpooled
                        }
                        None => grad_y,
                    };
                    kept.activation.backward(z, grad_f, grad_z)?;
                    let grad_x = grad_x.as_deref_mut();
                    self.image_backward(x, w, grad_z, partial_w, partial_b, grad_x, direct);
                    Ok::<(), leaky::Error>(())
                })
            })
            .map_err(Error::wrap)?;
        drop(grad_x_images);
        let mut grad_w_t = sum_in_order(&partials, per_partial);
        let grad_bias = grad_w_t.split_off(per_weights);
        let grad_w = transpose(&grad_w_t, self.geometry.taps(), self.others);
        Ok((input.then_some(grad_x), grad_w, grad_bias))
    }

    /// One image's gradients from its output's gradient `grad_y` (of `z`): the weights'
    /// (transposed, `(taps, others)`) and the bias's written to `grad_w_t` and `grad_b`, the
    /// input's (when asked for) added to `grad_x`, which starts at zero; a band of output rows
    /// at a time, or each by its pass in `direct` where there is one.
    #[allow(clippy::too_many_arguments)]
    fn image_backward<T: Real>(
        &self,
        x: &[T],
        w: &[T],
        grad_y: &[T],
        grad_w_t: &mut [T],
        grad_b: &mut [T],
        grad_x: Option<&mut [T]>,
        direct: DirectBackward,
    ) {
        let (mut grad_x, direct_grad_x) = match direct.input {
            Some(pass) => (None, grad_x.map(|grad_x| (pass, grad_x))),
            None => (grad_x, None),
        };
        let weights_done = match direct.weights {
            Some(pass) => {
                pass.image(x, grad_y, grad_w_t);
                true
            }
            None => false,
        };
        let g = &self.geometry;
        let (taps, wo, pixels) = (g.taps(), g.out_width(), g.out_pixels());
        let plane = grad_y.len() / self.out_channels();
        for (b, plane) in grad_b.iter_mut().zip(grad_y.chunks(plane)) {
            *b = sum_interleaved(plane);
        }
        // The full-size side is unfolded; the small side is (others, Ho·Wo).
        let (large, small_side) = match self.direction {
            Direction::Forward => (x, grad_y),
            Direction::Transposed => (grad_y, x),
        };
        let small = Matrix::new(small_side, self.others, pixels);
        let w = self.weights(w);
        let rows = g.band_rows(BAND_ELEMENTS);
        let band_len = taps * rows * wo;
        if let Some((pass, grad_x)) = direct_grad_x {
            // SAFETY: `image` writes values, never uninitialised memory.
            pass.image(small_side, unsafe { as_uninit(grad_x) });
        }
        if weights_done && grad_x.is_none() {
            return;
        }
        with_scratch(2 * band_len, |scratch: &mut [T]| {
            let (cols, grad_cols) = scratch.split_at_mut(band_len);
            for (i, band) in g.bands(rows).enumerate() {
                let at = band.start * wo..band.end * wo;
                let cols = &mut cols[..taps * at.len()];
                if !weights_done {
                    unfold_rows(g, large, band.clone(), cols);
                    // Forward: grad_w = grad_y · colsᵀ. Transposed: grad_w = x · unfold(grad_y)ᵀ.
                    // Computed transposed, `cols · smallᵀ`, which the product reads as they
                    // lie, where `grad_w` itself would have it repack the columns for every
                    // image.
                    let cols = Matrix::new(&*cols, taps, at.len());
                    matmul(grad_w_t, cols, small.columns(at.clone()).t(), i > 0);
                }
                let Some(grad_x) = grad_x.as_deref_mut() else {
                    continue;
                };
                match self.direction {
                    Direction::Forward => {
                        // grad_x = fold(wᵀ · grad_y).
                        let grad_cols = &mut grad_cols[..taps * at.len()];
                        matmul(grad_cols, w.t(), small.columns(at), false);
                        fold_add_rows(g, grad_cols, band, grad_x);
                    }
                    // grad_x = w · unfold(grad_y), the columns unfolded above (a transposed
                    // convolution has no direct pass).
                    Direction::Transposed => {
                        let cols = Matrix::new(&*cols, taps, at.len());
                        matmul_strided(&mut grad_x[at.start..], pixels, w, cols, false);
                    }
                }
            }
        });
    }

    fn check_bias(&self, bias: &Layout) -> Result<()> {
        if bias.shape().elem_count() != self.out_channels() {
            bail!(
                "{}: a bias of shape {:?} for {} output channels",
                self.name(),
                bias.shape(),
                self.out_channels()
            );
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        match self.direction {
            Direction::Forward => "conv2d",
            Direction::Transposed => "conv-transpose2d",
        }
    }

    /// The forward pass on CPU storage, as [`Conv::forward`], and the output's shape.
    fn run(
        &self,
        x: Operand,
        w: Operand,
        bias: Option<Operand>,
        activation: Option<&Activation>,
        pool: bool,
    ) -> Result<(Output<CpuStorage>, Shape)> {
        if let Some((_, layout)) = bias {
            self.check_bias(layout)?;
        }
        let out = match (x.0, w.0) {
            (CpuStorage::F32(_), CpuStorage::F32(_)) => {
                let bias = bias.map(slice).transpose()?;
                let out = self.forward(slice(x)?, slice(w)?, bias, activation, pool)?;
                Output {
                    y: CpuStorage::F32(out.y),
                    pre_activation: out.pre_activation.map(CpuStorage::F32),
                    winners: out.winners,
                }
            }
            (CpuStorage::F64(_), CpuStorage::F64(_)) => {
                let bias = bias.map(slice).transpose()?;
                let out = self.forward(slice(x)?, slice(w)?, bias, activation, pool)?;
                Output {
                    y: CpuStorage::F64(out.y),
                    pre_activation: out.pre_activation.map(CpuStorage::F64),
                    winners: out.winners,
                }
            }
            (x, w) => bail!(
                "{}: unsupported or mixed dtypes {:?} and {:?}",
                self.name(),
                x.dtype(),
                w.dtype()
            ),
        };
        Ok((out, self.shape(pool && activation.is_some())))
    }

    /// The gradients as tensors, computed in one pass; `activated` is what an activated op's
    /// forward pass kept.
    fn gradients(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
        activated: Option<Kept<&CpuStorage>>,
    ) -> Result<TensorGradients> {
        on_cpu(self.name(), x, w, grad_y, |xs, ws, gs, input| {
            match x.dtype() {
                DType::F32 => {
                    let grads = self.backward_on::<f32>(xs, ws, gs, input, activated)?;
                    as_tensors(grads, x, w, bias)
                }
                DType::F64 => {
                    let grads = self.backward_on::<f64>(xs, ws, gs, input, activated)?;
                    as_tensors(grads, x, w, bias)
                }
                dtype => bail!("{}: unsupported dtype {dtype:?}", self.name()),
            }
        })
    }

    /// [`Conv::backward`] on CPU storage of element type `T`.
    fn backward_on<T: Real>(
        &self,
        x: Operand,
        w: Operand,
        grad_y: Operand,
        input: bool,
        activated: Option<Kept<&CpuStorage>>,
    ) -> Result<Gradients<T>> {
        let activated = activated
            .map(|kept| {
                Ok::<_, Error>(Kept {
                    pre_activation: kept.pre_activation.as_slice::<T>()?,
                    activation: kept.activation,
                    winners: kept.winners,
                })
            })
            .transpose()?;
        self.backward(slice(x)?, slice(w)?, slice(grad_y)?, input, activated)
    }
}

/// The weights `(others, taps)` with the bias as one more column: `(others, taps + 1)`.
fn with_bias_column<T: Copy>(w: &[T], bias: &[T], others: usize) -> Vec<T> {
    let taps = w.len() / others;
    let mut out = Vec::with_capacity(w.len() + others);
    for (row, &b) in w.chunks(taps).zip(bias) {
        out.extend_from_slice(row);
        out.push(b);
    }
    out
}

impl Layer for Conv {
    fn name(&self) -> &'static str {
        Conv::name(self)
    }

    fn forward(
        &self,
        x: Operand,
        w: Operand,
        bias: Option<Operand>,
    ) -> Result<(CpuStorage, Shape)> {
        let (out, shape) = self.run(x, w, bias, None, false)?;
        Ok((out.y, shape))
    }

    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
    ) -> Result<TensorGradients> {
        self.gradients(x, w, bias, grad_y, None)
    }
}

/// A convolution and its activation `y = f(conv(x, w) + bias)` as one op, and with pooling
/// `max_pool2(y)`: the forward pass keeps the pre-activation `z` (and the pooling's winners) for
/// the backward pass, which turns `grad_y` into `grad_z = f'(z)·grad_y` image by image (after
/// sending each window's gradient to its winner). One op instead of two or three spares the
/// graph the full-size tensors, and the backward pass the zeroed buffer and the addition that
/// candle spends on the gradient of each intermediate tensor; with pooling, each image's `f(z)`
/// and the gradient sent to its winners only ever live in a scratch buffer, in cache.
struct Activated {
    conv: Conv,
    activation: Activation,
    /// Whether the output is pooled.
    pool: bool,
    /// `z`, and with pooling the winners, written by the forward pass.
    kept: Saved<(CpuStorage, Option<Vec<u8>>)>,
}

impl Layer for Activated {
    fn name(&self) -> &'static str {
        self.conv.name()
    }

    fn forward(
        &self,
        x: Operand,
        w: Operand,
        bias: Option<Operand>,
    ) -> Result<(CpuStorage, Shape)> {
        let (out, shape) = self
            .conv
            .run(x, w, bias, Some(&self.activation), self.pool)?;
        if let Some(z) = out.pre_activation {
            self.kept.put((z, out.winners));
        }
        Ok((out.y, shape))
    }

    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
    ) -> Result<TensorGradients> {
        self.kept.with(self.conv.name(), |(z, winners)| {
            let kept = Kept {
                activation: &self.activation,
                pre_activation: z,
                winners: winners.as_deref(),
            };
            self.conv.gradients(x, w, bias, grad_y, Some(kept))
        })
    }
}

/// Applies the op to contiguous operands, or candle's own convolution off the CPU or in a dtype
/// other than `f32` and `f64`; with an activation, the fused op, or [`activate`] after (and
/// [`max_pool2`] when `pool` asks for it).
fn apply(
    op: Conv,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    activation: Option<&Activation>,
    pool: bool,
    candle: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    if let Some(act) = activation {
        act.validate().map_err(Error::wrap)?;
    }
    let fast = matches!(x.device(), Device::Cpu) && matches!(x.dtype(), DType::F32 | DType::F64);
    if !fast {
        let y = candle()?;
        let y = match bias {
            Some(b) => y.broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?)?,
            None => y,
        };
        let y = match activation {
            Some(act) => activate(&y, act)?,
            None => y,
        };
        return if pool { max_pool2(&y) } else { Ok(y) };
    }
    check_dtypes(op, x, w, bias)?;
    let (x, w) = (x.contiguous()?, w.contiguous()?);
    let bias = bias.map(Tensor::contiguous).transpose()?;
    match activation {
        None if pool => max_pool2(&cpu::apply(op, &x, &w, bias.as_ref())?),
        None => cpu::apply(op, &x, &w, bias.as_ref()),
        Some(&activation) => {
            let op = Activated {
                conv: op,
                activation,
                pool,
                kept: Saved::new(),
            };
            cpu::apply(op, &x, &w, bias.as_ref())
        }
    }
}

/// Refuses an input, weights and bias of different dtypes.
fn check_dtypes(op: Conv, x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<()> {
    if w.dtype() != x.dtype() || bias.is_some_and(|b| b.dtype() != x.dtype()) {
        bail!(
            "{}: mixed dtypes: input {:?}, weights {:?}",
            op.name(),
            x.dtype(),
            w.dtype()
        );
    }
    Ok(())
}

/// Checks a square kernel `(a, b, K, K)` and returns `(a, b, K)`.
fn kernel_dims(op: &str, w: &Tensor) -> Result<(usize, usize, usize)> {
    let (a, b, kh, kw) = w.dims4()?;
    if kh != kw {
        bail!("{op}: only square kernels are supported, got {kh}x{kw}");
    }
    Ok((a, b, kh))
}

/// A 2-D convolution of images `x (n, C, H, W)` with weights `w (C_out, C, K, K)` (square
/// kernel, no groups or dilation) and an optional bias `(C_out,)`: `(n, C_out, Ho, Wo)` with
/// `Ho = (H + 2P - K) / S + 1`. As `candle_core::Tensor::conv2d` plus the bias, with autograd.
///
/// Errors (a candle `Error` naming the op and the shapes): a channel count that differs from
/// the weights', a kernel larger than the padded image, a stride of 0, a bias of the wrong size,
/// mixed dtypes.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    convolve(x, w, bias, stride, padding, None, false)
}

/// `f(conv2d(x, w, bias))` for an activation `f`, as one op (see [`conv2d`] for the shapes):
/// the same values and gradients as [`crate::activate`] after [`conv2d`], bit for bit, with
/// one tensor fewer in the graph. Errors as [`conv2d`], and an invalid activation.
pub fn conv2d_activated(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    activation: &Activation,
) -> Result<Tensor> {
    convolve(x, w, bias, stride, padding, Some(activation), false)
}

/// `max_pool2(conv2d_activated(x, w, bias, ...))` as one op: the same values and gradients,
/// bit for bit, with the full-size activations never a tensor of the graph (the largest of a
/// CNN's, whose gradient candle would zero and add into). The output is
/// `(n, C_out, Ho / 2, Wo / 2)`. Errors as [`conv2d_activated`], and an output smaller than
/// the 2x2 window.
pub fn conv2d_activated_pooled(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    activation: &Activation,
) -> Result<Tensor> {
    convolve(x, w, bias, stride, padding, Some(activation), true)
}

/// `(max_pool2(f(z)), z)` for `z = conv2d(x, w, bias)` (see [`conv2d`] for the shapes),
/// computed in one pass as [`conv2d_activated_pooled`] computes them, and returned as tensors
/// without gradient: for running a network on data while recording each layer's
/// pre-activation (to count its dead units, say). The same values, bit for bit, as `z` from
/// [`conv2d`] and [`max_pool2`] of [`crate::activate`] of it. Errors as
/// [`conv2d_activated_pooled`].
pub fn conv2d_activated_pooled_recorded(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    activation: &Activation,
) -> Result<(Tensor, Tensor)> {
    activation.validate().map_err(Error::wrap)?;
    let op = forward_conv(x, w, stride, padding, true)?;
    let fast = matches!(x.device(), Device::Cpu) && matches!(x.dtype(), DType::F32 | DType::F64);
    if !fast {
        let z = conv2d(x, w, bias, stride, padding)?.detach();
        let y = max_pool2(&activate(&z, activation)?)?.detach();
        return Ok((y, z));
    }
    check_dtypes(op, x, w, bias)?;
    let (x, w) = (x.contiguous()?, w.contiguous()?);
    let bias = bias.map(Tensor::contiguous).transpose()?;
    let (xs, x_layout) = x.storage_and_layout();
    let (ws, w_layout) = w.storage_and_layout();
    let bias = bias.as_ref().map(Tensor::storage_and_layout);
    let (Storage::Cpu(xs), Storage::Cpu(ws)) = (&*xs, &*ws) else {
        bail!("conv2d: expected tensors on the CPU");
    };
    let bias = match &bias {
        Some((storage, layout)) => match &**storage {
            Storage::Cpu(storage) => Some((storage, *layout)),
            _ => bail!("conv2d: expected tensors on the CPU"),
        },
        None => None,
    };
    let (out, shape) = op.run((xs, x_layout), (ws, w_layout), bias, Some(activation), true)?;
    let Some(z) = out.pre_activation else {
        bail!("conv2d: the activated forward pass kept no pre-activation");
    };
    Ok((
        storage_tensor(out.y, shape)?,
        storage_tensor(z, op.out_shape())?,
    ))
}

/// A tensor on the CPU of `storage` (`f32` or `f64`) and `shape`.
fn storage_tensor(storage: CpuStorage, shape: Shape) -> Result<Tensor> {
    match storage {
        CpuStorage::F32(v) => Tensor::from_vec(v, shape, &Device::Cpu),
        CpuStorage::F64(v) => Tensor::from_vec(v, shape, &Device::Cpu),
        other => bail!("conv2d: unsupported dtype {:?}", other.dtype()),
    }
}

fn convolve(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    activation: Option<&Activation>,
    pool: bool,
) -> Result<Tensor> {
    let op = forward_conv(x, w, stride, padding, pool)?;
    apply(op, x, w, bias, activation, pool, || {
        x.conv2d(w, padding, stride, 1, 1)
    })
}

/// The convolution of `x` by `w` (checked to fit, and with `pool` to give at least a 2x2 output).
fn forward_conv(x: &Tensor, w: &Tensor, stride: usize, padding: usize, pool: bool) -> Result<Conv> {
    let (batch, channels, height, width) = x.dims4()?;
    let (c_out, c_w, kernel) = kernel_dims("conv2d", w)?;
    let geometry = Geometry {
        channels,
        height,
        width,
        kernel,
        stride,
        padding,
    };
    if c_w != channels {
        bail!(
            "conv2d: the input has {channels} channels, the weights {:?} expect {c_w}",
            w.shape()
        );
    }
    if !geometry.is_valid() {
        bail!(
            "conv2d: a {kernel}x{kernel} kernel with stride {stride} does not fit a {height}x{width} input padded by {padding}"
        );
    }
    if pool && (geometry.out_height() < 2 || geometry.out_width() < 2) {
        bail!(
            "conv2d: a {}x{} image is smaller than the 2x2 window",
            geometry.out_height(),
            geometry.out_width()
        );
    }
    Ok(Conv {
        direction: Direction::Forward,
        batch,
        geometry,
        others: c_out,
    })
}

/// The transposed 2-D convolution of `x (n, C_in, h, w)` with weights `w (C_in, C_out, K, K)`
/// (square kernel, no dilation or output padding) and an optional bias `(C_out,)`:
/// `(n, C_out, H, W)` with `H = (h - 1)·S - 2P + K`. As `Tensor::conv_transpose2d` plus the
/// bias, with autograd.
///
/// Errors as [`conv2d`], and an output that would be empty.
pub fn conv_transpose2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    convolve_transposed(x, w, bias, stride, padding, None)
}

/// `f(conv_transpose2d(x, w, bias))` for an activation `f`, as one op, as
/// [`conv2d_activated`] is to [`conv2d`].
pub fn conv_transpose2d_activated(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    activation: &Activation,
) -> Result<Tensor> {
    convolve_transposed(x, w, bias, stride, padding, Some(activation))
}

fn convolve_transposed(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    activation: Option<&Activation>,
) -> Result<Tensor> {
    let (batch, c_in, h, wd) = x.dims4()?;
    let (c_w, channels, kernel) = kernel_dims("conv-transpose2d", w)?;
    if c_w != c_in {
        bail!(
            "conv-transpose2d: the input has {c_in} channels, the weights {:?} expect {c_w}",
            w.shape()
        );
    }
    let side = |n: usize| ((n.max(1) - 1) * stride + kernel).checked_sub(2 * padding);
    let (Some(height), Some(width)) = (side(h), side(wd)) else {
        bail!("conv-transpose2d: a {h}x{wd} input gives an empty output (padding {padding})");
    };
    let geometry = Geometry {
        channels,
        height,
        width,
        kernel,
        stride,
        padding,
    };
    if stride == 0 || h == 0 || wd == 0 || height == 0 || width == 0 || !geometry.is_valid() {
        bail!(
            "conv-transpose2d: a {h}x{wd} input with a {kernel}x{kernel} kernel, stride {stride} and padding {padding} gives an empty output"
        );
    }
    let op = Conv {
        direction: Direction::Transposed,
        batch,
        geometry,
        others: c_in,
    };
    apply(op, x, w, bias, activation, false, || {
        x.conv_transpose2d(w, padding, 0, stride, 1)
    })
}

/// A 2-D convolution layer: candle-nn's [`candle_nn::Conv2d`] (its weights, names and
/// initialisation), computed with [`conv2d`].
#[derive(Clone, Debug)]
pub struct Conv2d(candle_nn::Conv2d);

impl Conv2d {
    /// Wraps a candle convolution; refuses groups, dilation or a non-square kernel.
    pub fn new(inner: candle_nn::Conv2d) -> Result<Self> {
        let cfg = inner.config();
        kernel_dims("Conv2d", inner.weight())?;
        if cfg.groups != 1 || cfg.dilation != 1 {
            bail!("Conv2d: groups and dilation other than 1 are not supported, got {cfg:?}");
        }
        Ok(Conv2d(inner))
    }

    /// The candle layer it wraps, with its weights.
    pub fn inner(&self) -> &candle_nn::Conv2d {
        &self.0
    }
}

impl Module for Conv2d {
    /// `(n, C_in, H, W)` → `(n, C_out, Ho, Wo)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let cfg = self.0.config();
        conv2d(x, self.0.weight(), self.0.bias(), cfg.stride, cfg.padding)
    }
}

impl Conv2d {
    /// `f(self.forward(x))` as one op: [`conv2d_activated`] with the layer's weights.
    pub fn forward_activated(&self, x: &Tensor, activation: &Activation) -> Result<Tensor> {
        let cfg = self.0.config();
        let (w, b) = (self.0.weight(), self.0.bias());
        conv2d_activated(x, w, b, cfg.stride, cfg.padding, activation)
    }

    /// `max_pool2(f(self.forward(x)))` as one op: [`conv2d_activated_pooled`] with the layer's
    /// weights.
    pub fn forward_activated_pooled(&self, x: &Tensor, activation: &Activation) -> Result<Tensor> {
        let cfg = self.0.config();
        let (w, b) = (self.0.weight(), self.0.bias());
        conv2d_activated_pooled(x, w, b, cfg.stride, cfg.padding, activation)
    }

    /// `(max_pool2(f(z)), z)` without gradient: [`conv2d_activated_pooled_recorded`] with the
    /// layer's weights.
    pub fn forward_activated_pooled_recorded(
        &self,
        x: &Tensor,
        activation: &Activation,
    ) -> Result<(Tensor, Tensor)> {
        let cfg = self.0.config();
        let (w, b) = (self.0.weight(), self.0.bias());
        conv2d_activated_pooled_recorded(x, w, b, cfg.stride, cfg.padding, activation)
    }
}

/// A transposed 2-D convolution layer: candle-nn's [`candle_nn::ConvTranspose2d`], computed
/// with [`conv_transpose2d`].
#[derive(Clone, Debug)]
pub struct ConvTranspose2d(candle_nn::ConvTranspose2d);

impl ConvTranspose2d {
    /// Wraps a candle transposed convolution; refuses dilation, output padding or a
    /// non-square kernel.
    pub fn new(inner: candle_nn::ConvTranspose2d) -> Result<Self> {
        let cfg = inner.config();
        kernel_dims("ConvTranspose2d", inner.weight())?;
        if cfg.dilation != 1 || cfg.output_padding != 0 {
            bail!("ConvTranspose2d: dilation and output padding are not supported, got {cfg:?}");
        }
        Ok(ConvTranspose2d(inner))
    }

    /// The candle layer it wraps, with its weights.
    pub fn inner(&self) -> &candle_nn::ConvTranspose2d {
        &self.0
    }
}

impl Module for ConvTranspose2d {
    /// `(n, C_in, h, w)` → `(n, C_out, H, W)` with `H = (h - 1)·S - 2P + K`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let cfg = self.0.config();
        conv_transpose2d(x, self.0.weight(), self.0.bias(), cfg.stride, cfg.padding)
    }
}

impl ConvTranspose2d {
    /// `f(self.forward(x))` as one op: [`conv_transpose2d_activated`] with the layer's weights.
    pub fn forward_activated(&self, x: &Tensor, activation: &Activation) -> Result<Tensor> {
        let cfg = self.0.config();
        let (w, b) = (self.0.weight(), self.0.bias());
        conv_transpose2d_activated(x, w, b, cfg.stride, cfg.padding, activation)
    }
}

/// A [`Conv2d`] with candle-nn's initialisation and variable names (`weight`, `bias`), as
/// `candle_nn::conv2d`.
pub fn conv2d_layer(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    cfg: Conv2dConfig,
    vb: VarBuilder,
) -> Result<Conv2d> {
    Conv2d::new(candle_nn::conv2d(
        in_channels,
        out_channels,
        kernel,
        cfg,
        vb,
    )?)
}

/// A [`ConvTranspose2d`] with candle-nn's initialisation and variable names, as
/// `candle_nn::conv_transpose2d`.
pub fn conv_transpose2d_layer(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    cfg: ConvTranspose2dConfig,
    vb: VarBuilder,
) -> Result<ConvTranspose2d> {
    ConvTranspose2d::new(candle_nn::conv_transpose2d(
        in_channels,
        out_channels,
        kernel,
        cfg,
        vb,
    )?)
}
