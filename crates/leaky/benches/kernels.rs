//! Development benchmarks (divan): every kernel tier on the slice operations, at an in-cache and
//! an out-of-cache size. `cargo bench -p leaky` (add `-- sigmoid` to filter). For the figures
//! quoted in the docs, use `leaky bench` and `scripts/compare.py`, which compare with a memory
//! copy and with PyTorch and numpy in one run.

use divan::{Bencher, black_box, counter::ItemsCount};
use leaky::Activation;
use leaky::half::{bf16, f16};
use leaky::kernels::{self, Tier};

fn main() {
    divan::main();
}

const SIZES: [usize; 2] = [256 << 10, 4 << 20];

fn input(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919) % 1601) as f32 / 100.0 - 8.0)
        .collect()
}

fn tiers() -> Vec<Tier> {
    Tier::available()
}

fn run(bencher: Bencher, tier: Tier, act: Activation, n: usize, backward: bool) {
    let x = input(n);
    let g = input(n);
    let mut y = vec![0.0f32; n];
    bencher.counter(ItemsCount::new(n)).bench_local(|| {
        kernels::with_tier(tier, || {
            if backward {
                act.backward(black_box(&x), black_box(&g), black_box(&mut y))
            } else {
                act.forward_slice(black_box(&x), black_box(&mut y))
            }
        })
        .unwrap()
        .unwrap()
    });
}

#[divan::bench(args = tiers(), consts = SIZES)]
fn leaky_relu_forward<const N: usize>(bencher: Bencher, tier: Tier) {
    run(bencher, tier, Activation::DEFAULT, N, false);
}

#[divan::bench(args = tiers(), consts = SIZES)]
fn leaky_relu_backward<const N: usize>(bencher: Bencher, tier: Tier) {
    run(bencher, tier, Activation::DEFAULT, N, true);
}

#[divan::bench(args = tiers(), consts = SIZES)]
fn sigmoid_forward<const N: usize>(bencher: Bencher, tier: Tier) {
    run(bencher, tier, Activation::Sigmoid, N, false);
}

#[divan::bench(args = tiers(), consts = SIZES)]
fn tanh_forward<const N: usize>(bencher: Bencher, tier: Tier) {
    run(bencher, tier, Activation::Tanh, N, false);
}

#[divan::bench(args = tiers(), consts = SIZES)]
fn sigmoid_backward<const N: usize>(bencher: Bencher, tier: Tier) {
    run(bencher, tier, Activation::Sigmoid, N, true);
}

#[divan::bench(consts = SIZES)]
fn memory_copy<const N: usize>(bencher: Bencher) {
    let x = input(N);
    let mut y = vec![0.0f32; N];
    bencher
        .counter(ItemsCount::new(N))
        .bench_local(|| kernels::copy(black_box(&x), black_box(&mut y)).unwrap());
}

/// An element type the benchmarks can fill from `f32`.
trait FromF32: leaky::SliceElement {
    fn from_f32(v: f32) -> Self;
}

impl FromF32 for f32 {
    fn from_f32(v: f32) -> Self {
        v
    }
}

impl FromF32 for f16 {
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
}

impl FromF32 for bf16 {
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
}

/// The 16-bit storage types beside `f32`, forward on the best tier: the conversions' cost.
#[divan::bench(types = [f32, f16, bf16], args = ["leaky_relu", "sigmoid", "gelu"], consts = SIZES)]
fn storage_forward<T: FromF32, const N: usize>(bencher: Bencher, spec: &str) {
    let act: Activation = spec.parse().unwrap();
    let x: Vec<T> = input(N).into_iter().map(T::from_f32).collect();
    let mut y = vec![T::default(); N];
    bencher
        .counter(ItemsCount::new(N))
        .bench_local(|| act.forward_slice(black_box(&x), black_box(&mut y)).unwrap());
}
