//! `leaky_candle::conv2d` against candle's own `Tensor::conv2d` (plus the bias), on the same
//! tensors in the same run, in f32: forward alone, and forward + backward (x and w variables,
//! y → sum → backward). Shapes: candle issue 3119's (batch 2, 3 → 16 channels, 320x320, 3x3,
//! stride 1, padding 1) and the two convolutions of leaky's CNN at batch 16.
//! `scripts/conv_torch.py` times PyTorch's `F.conv2d` on the same shapes.
//!
//! The backward pass's sum and additions are candle's element-wise ops, whose pool of threads
//! spins after each op (see the crate's documentation): `CANDLE_NUM_THREADS=1 cargo bench ...`
//! measures with them on the calling thread, as the `leaky` command runs them.

use std::hint::black_box;

use candle_core::{DType, Device, Result, Tensor, Var};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// `(name, batch, in channels, out channels, side)`, all 3x3, stride 1, padding 1.
const SHAPES: [(&str, usize, usize, usize, usize); 3] = [
    ("issue3119", 2, 3, 16, 320),
    ("cnn-conv1", 16, 1, 32, 28),
    ("cnn-conv2", 16, 32, 64, 14),
];

fn ours(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    leaky_candle::conv2d(x, w, Some(b), 1, 1)
}

fn candles(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.conv2d(w, 1, 1, 1, 1)?
        .broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?)
}

fn bench(c: &mut Criterion) {
    let cpu = &Device::Cpu;
    for (name, n, c_in, c_out, side) in SHAPES {
        let x = Var::from_tensor(&Tensor::randn(0f32, 1., (n, c_in, side, side), cpu).unwrap())
            .unwrap();
        let w =
            Var::from_tensor(&Tensor::randn(0f32, 0.1, (c_out, c_in, 3, 3), cpu).unwrap()).unwrap();
        let b = Var::from_tensor(&Tensor::zeros(c_out, DType::F32, cpu).unwrap()).unwrap();
        let mut group = c.benchmark_group(format!("conv2d/{name}"));
        group.sample_size(20);
        type Conv = fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>;
        for (who, f) in [("leaky", ours as Conv), ("candle", candles as Conv)] {
            group.bench_function(BenchmarkId::new("forward", who), |bench| {
                bench.iter(|| black_box(f(&x, &w, &b).unwrap()))
            });
            group.bench_function(BenchmarkId::new("forward+backward", who), |bench| {
                bench.iter(|| {
                    let y = f(&x, &w, &b).unwrap();
                    black_box(y.sum_all().unwrap().backward().unwrap())
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
