//! The fused ops against candle's own, on the same tensors in the same run: forward alone, and
//! forward + backward (x → activate → sum → backward), in f32 at 256Ki and 4Mi elements.
//! candle's counterparts: `candle_nn::ops::leaky_relu` (max + min composed), `Tensor::relu`,
//! `candle_nn::ops::sigmoid`, `Tensor::tanh`.

use std::hint::black_box;

use candle_core::{Device, Result, Tensor, Var};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use leaky::Activation;
use leaky_candle::activate;

const SIZES: [(usize, &str); 2] = [(256 * 1024, "256Ki"), (4 * 1024 * 1024, "4Mi")];
const ALPHA: f64 = 0.01;

type Apply = fn(&Tensor) -> Result<Tensor>;

/// Each activation with candle's own version of it.
const CASES: [(Activation, Apply); 4] = [
    (Activation::LeakyRelu { alpha: ALPHA }, |x| {
        candle_nn::ops::leaky_relu(x, ALPHA)
    }),
    (Activation::Relu, Tensor::relu),
    (Activation::Sigmoid, candle_nn::ops::sigmoid),
    (Activation::Tanh, Tensor::tanh),
];

/// One timing: `f` on `x`, with or without the backward pass.
fn time(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    x: &Var,
    with_backward: bool,
    f: impl Fn(&Tensor) -> Result<Tensor>,
) {
    let run = || -> Result<()> {
        let y = f(x.as_tensor())?;
        if with_backward {
            black_box(y.sum_all()?.backward()?);
        } else {
            black_box(y);
        }
        Ok(())
    };
    group.bench_function(id, |b| b.iter(|| run().expect("the op runs")));
}

fn bench(c: &mut Criterion) {
    for (act, candle_op) in CASES {
        for (pass, with_backward) in [("fwd", false), ("fwd_bwd", true)] {
            let mut group = c.benchmark_group(format!("{}_{pass}", act.name()));
            for (n, size) in SIZES {
                let x = Tensor::randn(0f32, 1.0, n, &Device::Cpu)
                    .and_then(|t| Var::from_tensor(&t))
                    .expect("a random f32 tensor");
                group.throughput(Throughput::Elements(n as u64));
                let fused = |x: &Tensor| activate(x, &act);
                time(
                    &mut group,
                    BenchmarkId::new("fused", size),
                    &x,
                    with_backward,
                    fused,
                );
                time(
                    &mut group,
                    BenchmarkId::new("candle", size),
                    &x,
                    with_backward,
                    candle_op,
                );
            }
            group.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
