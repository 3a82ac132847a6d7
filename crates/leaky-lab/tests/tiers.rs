//! The reproducibility promise across instruction sets, tested by forcing the core's kernel
//! tiers one by one rather than by the luck of the machine (its own test binary, since the
//! forced tier is process-wide): a piecewise-linear activation trains to the same bits on every
//! tier; a smooth one, whose kernels differ from the definitions by a few ULP, to the same
//! figures within a stated tolerance.

mod common;

use leaky::kernels::{Tier, set_tier};
use leaky_lab::training::train_cnn::{CnnProgress, CnnSettings, EpochRecord, train_cnn};

struct Quiet;

impl CnnProgress for Quiet {
    fn epoch_started(&mut self, _: usize, _: usize, _: usize) {}
    fn batch_done(&mut self, _: f32, _: usize) {}
    fn epoch_done(&mut self, _: &EpochRecord) {}
}

/// `(train loss, train accuracy, held-out loss, held-out accuracy)` of a short run on `tier`.
fn figures(activation: &str, tier: Tier) -> (f64, f64, f64, f64) {
    set_tier(Some(tier)).unwrap();
    let data = common::small_split(96, 40);
    let settings = CnnSettings {
        activation: activation.parse().unwrap(),
        epochs: 1,
        batch: 32,
        ..CnnSettings::default()
    };
    let out = tempfile::tempdir().unwrap();
    let metrics = train_cnn(
        &settings,
        &data,
        &common::folder(out.path()),
        None,
        &mut Quiet,
    )
    .unwrap();
    set_tier(None).unwrap();
    let r = &metrics.epochs[0];
    (r.train_loss, r.train_accuracy, r.test_loss, r.test_accuracy)
}

#[test]
fn training_agrees_across_forced_kernel_tiers() {
    let tiers = Tier::available();
    assert!(tiers.contains(&Tier::Scalar) && tiers.contains(&Tier::Portable));
    let exact = figures("leaky_relu", Tier::Scalar);
    let smooth = figures("sigmoid", Tier::Scalar);
    for &tier in &tiers[1..] {
        assert_eq!(figures("leaky_relu", tier), exact, "leaky_relu on {tier:?}");
        // A few ULP per activation, through 3 batches: the losses agree to 1e-5 relative.
        let (a, b) = (figures("sigmoid", tier), smooth);
        for (x, y) in [(a.0, b.0), (a.2, b.2)] {
            assert!(
                (x - y).abs() <= 1e-5 * y.abs(),
                "sigmoid on {tier:?}: {a:?} vs {b:?}"
            );
        }
    }
}
