//! Convolutions as matrix products: `im2col` and its adjoint `col2im` as candle ops, so that a
//! convolution, a transposed convolution and both their gradients all run through candle's
//! matrix multiply. Candle's CPU transposed convolution (which its convolution also uses for the
//! gradient of its input) is a direct loop that parallelises over output channels only, and with
//! one output channel runs on one thread; these layers replace it.
//!
//! For a geometry with C channels, an H×W image, a K×K kernel, stride S and padding P, the
//! output is Ho×Wo with `Ho = (H + 2P - K) / S + 1`, and
//!
//! ```text
//! im2col(x)[(b,oy,ox), (c,ky,kx)] = x[b, c, oy·S + ky - P, ox·S + kx - P]   (0 outside the image)
//! col2im(m)[b, c, y, x]           = Σ m[(b,oy,ox), (c,ky,kx)] over oy·S + ky - P = y, ox·S + kx - P = x
//! ```
//!
//! `col2im` is the adjoint (transpose) of `im2col`, so each is the other's gradient. Then
//! `conv2d(x, w) = im2col(x) · wᵀ` with `w` as `(C_out, C·K·K)`, and the transposed convolution
//! of `x` `(n, C_in, h, w)` with `w` `(C_in, C_out, K, K)` is `col2im(x as (n·h·w, C_in) · w)` in
//! the geometry of its output, whose `Ho×Wo` is `h×w`. Weights keep candle's layouts, so
//! checkpoints are interchangeable with `candle_nn::Conv2d` and `candle_nn::ConvTranspose2d`.

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Layout, Module, Result, Shape, Tensor, WithDType, bail,
};

/// The shape of a square-kernel convolution over `(n, channels, height, width)` images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Images in the batch.
    pub batch: usize,
    /// Channels of the image.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Kernel side K.
    pub kernel: usize,
    /// Stride S.
    pub stride: usize,
    /// Zero padding P on every side.
    pub padding: usize,
}

impl Geometry {
    /// The output height `(H + 2P - K) / S + 1`.
    pub fn out_height(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// The output width `(W + 2P - K) / S + 1`.
    pub fn out_width(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// The shape of the columns: `(n·Ho·Wo, C·K·K)`.
    fn columns(&self) -> (usize, usize) {
        (
            self.batch * self.out_height() * self.out_width(),
            self.channels * self.kernel * self.kernel,
        )
    }

    fn image_len(&self) -> usize {
        self.batch * self.channels * self.height * self.width
    }

    /// Calls `f(column_index, image_index)` for every column entry that falls inside the image,
    /// in the order of the columns.
    fn for_each_pair(&self, mut f: impl FnMut(usize, usize)) {
        let (ho, wo, k) = (self.out_height(), self.out_width(), self.kernel);
        let mut col = 0;
        for b in 0..self.batch {
            for oy in 0..ho {
                for ox in 0..wo {
                    for c in 0..self.channels {
                        let plane = (b * self.channels + c) * self.height;
                        for ky in 0..k {
                            let y = (oy * self.stride + ky).wrapping_sub(self.padding);
                            for kx in 0..k {
                                let x = (ox * self.stride + kx).wrapping_sub(self.padding);
                                if y < self.height && x < self.width {
                                    f(col, (plane + y) * self.width + x);
                                }
                                col += 1;
                            }
                        }
                    }
                }
            }
        }
    }

    fn check(&self, op: &str, layout: &Layout, len: usize) -> Result<()> {
        if !layout.is_contiguous() || layout.shape().elem_count() != len {
            bail!(
                "{op}: expected a contiguous tensor of {len} elements, got {:?}",
                layout.shape()
            );
        }
        if self.height + 2 * self.padding < self.kernel
            || self.width + 2 * self.padding < self.kernel
            || self.stride == 0
        {
            bail!("{op}: the kernel does not fit the padded image: {self:?}");
        }
        Ok(())
    }
}

/// The `im2col` op: images `(n, C, H, W)` to columns `(n·Ho·Wo, C·K·K)`.
struct Im2col(Geometry);

/// The `col2im` op: columns `(n·Ho·Wo, C·K·K)` to images `(n, C, H, W)`, overlaps summed.
struct Col2im(Geometry);

fn gather<T: WithDType>(g: &Geometry, image: &[T]) -> Vec<T> {
    let (rows, cols) = g.columns();
    let mut out = vec![T::zero(); rows * cols];
    g.for_each_pair(|col, pixel| out[col] = image[pixel]);
    out
}

fn scatter<T: WithDType>(g: &Geometry, columns: &[T]) -> Vec<T> {
    let mut out = vec![T::zero(); g.image_len()];
    g.for_each_pair(|col, pixel| out[pixel] += columns[col]);
    out
}

impl CustomOp1 for Im2col {
    fn name(&self) -> &'static str {
        "im2col"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = &self.0;
        g.check(self.name(), layout, g.image_len())?;
        let start = layout.start_offset();
        let end = start + g.image_len();
        let out = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(gather(g, &x[start..end])),
            CpuStorage::F64(x) => CpuStorage::F64(gather(g, &x[start..end])),
            other => bail!("im2col: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, g.columns().into()))
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        col2im(grad_y, self.0).map(Some)
    }
}

impl CustomOp1 for Col2im {
    fn name(&self) -> &'static str {
        "col2im"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = &self.0;
        let (rows, cols) = g.columns();
        g.check(self.name(), layout, rows * cols)?;
        let start = layout.start_offset();
        let end = start + rows * cols;
        let out = match storage {
            CpuStorage::F32(m) => CpuStorage::F32(scatter(g, &m[start..end])),
            CpuStorage::F64(m) => CpuStorage::F64(scatter(g, &m[start..end])),
            other => bail!("col2im: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, (g.batch, g.channels, g.height, g.width).into()))
    }

    fn bwd(&self, _m: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        im2col(grad_y, self.0).map(Some)
    }
}

/// `im2col` of images `(n, C, H, W)` (see the module documentation), with gradient.
pub fn im2col(images: &Tensor, geometry: Geometry) -> Result<Tensor> {
    images.contiguous()?.apply_op1(Im2col(geometry))
}

/// `col2im` of columns `(n·Ho·Wo, C·K·K)` into images `(n, C, H, W)`, with gradient.
pub fn col2im(columns: &Tensor, geometry: Geometry) -> Result<Tensor> {
    columns.contiguous()?.apply_op1(Col2im(geometry))
}

fn add_bias(y: Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    match bias {
        Some(bias) => y.broadcast_add(&bias.reshape((1, bias.elem_count(), 1, 1))?),
        None => Ok(y),
    }
}

/// The rows of a convolution's product, `(n·H·W, C)` (one row per output pixel), as images
/// `(n, C, H, W)`; as a [`CustomOp2`] it also adds a bias per channel. One pass each way, where
/// a permutation and a broadcast addition take two forward and three backward.
#[derive(Clone, Copy, Debug)]
struct Images {
    batch: usize,
    height: usize,
    width: usize,
}

/// The inverse of [`Images`]: images `(n, C, H, W)` as rows `(n·H·W, C)`.
struct Rows(Images);

impl Images {
    /// `(pixels per image, channels)` of a contiguous tensor of `len` elements.
    fn sizes(&self, op: &str, layout: &Layout) -> Result<(usize, usize)> {
        let pixels = self.height * self.width;
        let (len, per_channel) = (layout.shape().elem_count(), self.batch * pixels);
        if !layout.is_contiguous() || per_channel == 0 || !len.is_multiple_of(per_channel) {
            bail!(
                "{op}: expected a contiguous tensor for {self:?}, got {:?}",
                layout.shape()
            );
        }
        Ok((pixels, len / per_channel))
    }

    /// `out[(b, c, p)] = rows[(b, p, c)] + bias[c]`, or the reverse transposition when `back`.
    fn transpose<T: WithDType>(&self, x: &[T], channels: usize, bias: &[T], back: bool) -> Vec<T> {
        let pixels = self.height * self.width;
        let mut out = vec![T::zero(); x.len()];
        for b in 0..self.batch {
            for c in 0..channels {
                let add = bias.get(c).copied().unwrap_or(T::zero());
                for p in 0..pixels {
                    let row = (b * pixels + p) * channels + c;
                    let image = (b * channels + c) * pixels + p;
                    match back {
                        false => out[image] = x[row] + add,
                        true => out[row] = x[image],
                    }
                }
            }
        }
        out
    }

    fn run(
        &self,
        op: &str,
        x: &CpuStorage,
        layout: &Layout,
        bias: Option<(&CpuStorage, &Layout)>,
        back: bool,
    ) -> Result<(CpuStorage, Shape)> {
        let (pixels, channels) = self.sizes(op, layout)?;
        if let Some((_, bias_layout)) = bias
            && (!bias_layout.is_contiguous() || bias_layout.shape().elem_count() != channels)
        {
            bail!(
                "{op}: expected a bias of {channels} elements, got {:?}",
                bias_layout.shape()
            );
        }
        let (start, len) = (layout.start_offset(), layout.shape().elem_count());
        let out = match (x, bias) {
            (CpuStorage::F32(x), None) => {
                CpuStorage::F32(self.transpose(&x[start..start + len], channels, &[], back))
            }
            (CpuStorage::F64(x), None) => {
                CpuStorage::F64(self.transpose(&x[start..start + len], channels, &[], back))
            }
            (CpuStorage::F32(x), Some((CpuStorage::F32(b), bl))) => {
                let b = &b[bl.start_offset()..bl.start_offset() + channels];
                CpuStorage::F32(self.transpose(&x[start..start + len], channels, b, back))
            }
            (CpuStorage::F64(x), Some((CpuStorage::F64(b), bl))) => {
                let b = &b[bl.start_offset()..bl.start_offset() + channels];
                CpuStorage::F64(self.transpose(&x[start..start + len], channels, b, back))
            }
            (x, _) => bail!("{op}: unsupported dtype {:?} or mixed dtypes", x.dtype()),
        };
        let shape = match back {
            false => (self.batch, channels, self.height, self.width).into(),
            true => (self.batch * pixels, channels).into(),
        };
        Ok((out, shape))
    }
}

impl CustomOp1 for Images {
    fn name(&self) -> &'static str {
        "rows-to-images"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        self.run(CustomOp1::name(self), storage, layout, None, false)
    }

    fn bwd(&self, _rows: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        grad_y.contiguous()?.apply_op1(Rows(*self)).map(Some)
    }
}

impl CustomOp2 for Images {
    fn name(&self) -> &'static str {
        "rows-to-images-plus-bias"
    }

    fn cpu_fwd(
        &self,
        rows: &CpuStorage,
        rows_layout: &Layout,
        bias: &CpuStorage,
        bias_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.run(
            CustomOp2::name(self),
            rows,
            rows_layout,
            Some((bias, bias_layout)),
            false,
        )
    }

    fn bwd(
        &self,
        _rows: &Tensor,
        _bias: &Tensor,
        _y: &Tensor,
        grad_y: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad_y = grad_y.contiguous()?;
        let (batch, channels, _, _) = grad_y.dims4()?;
        let grad_bias = grad_y.reshape((batch, channels, ()))?.sum(2)?.sum(0)?;
        Ok((Some(grad_y.apply_op1(Rows(*self))?), Some(grad_bias)))
    }
}

impl CustomOp1 for Rows {
    fn name(&self) -> &'static str {
        "images-to-rows"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        self.0.run(self.name(), storage, layout, None, true)
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        grad_y.contiguous()?.apply_op1(self.0).map(Some)
    }
}

/// A convolution with a square kernel, computed as `im2col(x) · wᵀ`: the layers, weights and
/// initialisation of a `candle_nn::Conv2d` (groups and dilation 1), a faster CPU path.
pub struct Conv2d(candle_nn::Conv2d);

impl Conv2d {
    /// Wraps a candle convolution; refuses groups, dilation or a non-square kernel.
    pub fn new(inner: candle_nn::Conv2d) -> Result<Self> {
        let cfg = inner.config();
        let (_, _, kh, kw) = inner.weight().dims4()?;
        if cfg.groups != 1 || cfg.dilation != 1 || kh != kw {
            bail!(
                "conv::Conv2d supports square kernels without groups or dilation, got {cfg:?}, {kh}x{kw}"
            );
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
        let (batch, channels, height, width) = x.dims4()?;
        let weight = self.0.weight();
        let (c_out, _, kernel, _) = weight.dims4()?;
        let cfg = self.0.config();
        let g = Geometry {
            batch,
            channels,
            height,
            width,
            kernel,
            stride: cfg.stride,
            padding: cfg.padding,
        };
        let w = weight.reshape((c_out, channels * kernel * kernel))?;
        let rows = im2col(x, g)?.matmul(&w.t()?)?;
        let images = Images {
            batch,
            height: g.out_height(),
            width: g.out_width(),
        };
        match self.0.bias() {
            Some(bias) => rows.apply_op2(&bias.contiguous()?, images),
            None => rows.apply_op1(images),
        }
    }
}

/// A transposed convolution with a square kernel, computed as `col2im(x · w)`: the layers,
/// weights and initialisation of a `candle_nn::ConvTranspose2d` (dilation 1, no output padding),
/// a faster CPU path.
pub struct ConvTranspose2d(candle_nn::ConvTranspose2d);

impl ConvTranspose2d {
    /// Wraps a candle transposed convolution; refuses dilation, output padding or a non-square
    /// kernel.
    pub fn new(inner: candle_nn::ConvTranspose2d) -> Result<Self> {
        let cfg = inner.config();
        let (_, _, kh, kw) = inner.weight().dims4()?;
        if cfg.dilation != 1 || cfg.output_padding != 0 || kh != kw {
            bail!(
                "conv::ConvTranspose2d supports square kernels without dilation or output padding, got {cfg:?}, {kh}x{kw}"
            );
        }
        Ok(ConvTranspose2d(inner))
    }
}

impl Module for ConvTranspose2d {
    /// `(n, C_in, h, w)` → `(n, C_out, H, W)` with `H = (h - 1)·S - 2P + K`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (batch, c_in, h, w) = x.dims4()?;
        let weight = self.0.weight();
        let (_, channels, kernel, _) = weight.dims4()?;
        let cfg = self.0.config();
        let (stride, padding) = (cfg.stride, cfg.padding);
        if (h.max(w) - 1) * stride + kernel < 2 * padding + 1 {
            bail!("conv::ConvTranspose2d: a {h}x{w} input gives an empty output");
        }
        let g = Geometry {
            batch,
            channels,
            height: (h - 1) * stride + kernel - 2 * padding,
            width: (w - 1) * stride + kernel - 2 * padding,
            kernel,
            stride,
            padding,
        };
        let rows = x.permute((0, 2, 3, 1))?.reshape((batch * h * w, c_in))?;
        let cols = rows.matmul(&weight.reshape((c_in, channels * kernel * kernel))?)?;
        add_bias(col2im(&cols, g)?, self.0.bias())
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device, Var};
    use candle_nn::{Conv2dConfig, ConvTranspose2dConfig};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn random(shape: (usize, usize, usize, usize), seed: u64) -> Var {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = shape.0 * shape.1 * shape.2 * shape.3;
        let values: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu).unwrap()).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
        assert_eq!(a.dims(), b.dims());
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_scalar()
            .unwrap()
    }

    /// Forward and all three gradients agree with candle's own convolution (f64), for strides,
    /// paddings and a non-square image, with a loss that weights every output differently.
    #[test]
    fn conv2d_matches_candle_forward_and_backward() {
        for (stride, padding, kernel) in [(1, 1, 3), (2, 1, 4), (2, 0, 3), (1, 0, 1)] {
            let x = random((3, 2, 9, 7), 1);
            let w = random((4, 2, kernel, kernel), 2);
            let b = Var::from_tensor(&Tensor::new(&[0.5, -1.0, 0.25, 2.0], &Device::Cpu).unwrap())
                .unwrap();
            let cfg = Conv2dConfig {
                padding,
                stride,
                ..Default::default()
            };
            let theirs =
                candle_nn::Conv2d::new(w.as_tensor().clone(), Some(b.as_tensor().clone()), cfg);
            let ours = Conv2d::new(theirs.clone()).unwrap();
            let want = theirs.forward(x.as_tensor()).unwrap();
            let got = ours.forward(x.as_tensor()).unwrap();
            assert!(
                max_diff(&got, &want) < 1e-12,
                "forward, stride {stride} padding {padding}"
            );
            let weights = random(want.dims4().unwrap(), 3);
            let grads_want = (&want * weights.as_tensor())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let grads_got = (&got * weights.as_tensor())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for var in [&x, &w, &b] {
                let (g, e) = (grads_got.get(var).unwrap(), grads_want.get(var).unwrap());
                assert!(
                    max_diff(g, e) < 1e-12,
                    "gradient, stride {stride} padding {padding}"
                );
            }
            // Without a bias: the output is the same less the bias, and x and w get gradients.
            let unbiased = Conv2d::new(candle_nn::Conv2d::new(w.as_tensor().clone(), None, cfg))
                .unwrap()
                .forward(x.as_tensor())
                .unwrap();
            let bias = b.as_tensor().reshape((1, 4, 1, 1)).unwrap();
            let rebiased = unbiased.broadcast_add(&bias).unwrap();
            assert!(
                max_diff(&rebiased, &want) < 1e-12,
                "no bias, stride {stride}"
            );
            let grads = (&unbiased * weights.as_tensor())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for var in [&x, &w] {
                let (g, e) = (grads.get(var).unwrap(), grads_want.get(var).unwrap());
                assert!(max_diff(g, e) < 1e-12, "no bias, gradient, stride {stride}");
            }
        }
    }

    /// The same for the transposed convolution, including the generator's 4x4, stride 2,
    /// padding 1 upsampling and a single output channel.
    #[test]
    fn conv_transpose2d_matches_candle_forward_and_backward() {
        for (stride, padding, kernel, c_out) in
            [(2, 1, 4, 3), (2, 1, 4, 1), (1, 1, 3, 2), (3, 0, 2, 2)]
        {
            let x = random((2, 3, 5, 6), 4);
            let w = random((3, c_out, kernel, kernel), 5);
            let b = random((1, 1, 1, c_out), 6);
            let b = Var::from_tensor(&b.as_tensor().flatten_all().unwrap()).unwrap();
            let cfg = ConvTranspose2dConfig {
                padding,
                stride,
                output_padding: 0,
                dilation: 1,
            };
            let theirs = candle_nn::ConvTranspose2d::new(
                w.as_tensor().clone(),
                Some(b.as_tensor().clone()),
                cfg,
            );
            let ours = ConvTranspose2d::new(theirs.clone()).unwrap();
            let want = theirs.forward(x.as_tensor()).unwrap();
            let got = ours.forward(x.as_tensor()).unwrap();
            assert!(
                max_diff(&got, &want) < 1e-12,
                "forward, stride {stride} padding {padding}"
            );
            let weights = random(want.dims4().unwrap(), 7);
            let grads_want = (&want * weights.as_tensor())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let grads_got = (&got * weights.as_tensor())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for var in [&x, &w, &b] {
                let (g, e) = (grads_got.get(var).unwrap(), grads_want.get(var).unwrap());
                assert!(
                    max_diff(g, e) < 1e-12,
                    "gradient, stride {stride} padding {padding}"
                );
            }
        }
    }

    /// `col2im` is the adjoint of `im2col`: <im2col(x), m> = <x, col2im(m)> for random x, m.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        let g = Geometry {
            batch: 2,
            channels: 3,
            height: 6,
            width: 5,
            kernel: 3,
            stride: 2,
            padding: 1,
        };
        let x = random((2, 3, 6, 5), 8);
        let (rows, cols) = g.columns();
        let m = random((1, 1, rows, cols), 9)
            .as_tensor()
            .reshape((rows, cols))
            .unwrap();
        let dot = |a: &Tensor, b: &Tensor| -> f64 {
            (a * b).unwrap().sum_all().unwrap().to_scalar().unwrap()
        };
        let left = dot(&im2col(x.as_tensor(), g).unwrap(), &m);
        let right = dot(x.as_tensor(), &col2im(&m, g).unwrap());
        assert!(
            (left - right).abs() < 1e-10 * left.abs().max(1.0),
            "{left} vs {right}"
        );
    }

    #[test]
    fn unsupported_configurations_are_refused() {
        let w = random((2, 2, 3, 3), 10).as_tensor().clone();
        let cfg = Conv2dConfig {
            dilation: 2,
            ..Default::default()
        };
        assert!(Conv2d::new(candle_nn::Conv2d::new(w.clone(), None, cfg)).is_err());
        let cfg = ConvTranspose2dConfig {
            padding: 0,
            output_padding: 1,
            stride: 2,
            dilation: 1,
        };
        assert!(ConvTranspose2d::new(candle_nn::ConvTranspose2d::new(w, None, cfg)).is_err());
    }
}
