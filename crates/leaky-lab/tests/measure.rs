//! Measuring the units as the classifier trains: fractions computed by hand on networks whose
//! biases force every unit dead (or alive), the series kept across a resume, and files written
//! before the measurements still read.

mod common;

use std::fs;
use std::path::Path;

use candle_nn::VarMap;
use leaky_lab::models::cnn::{Cnn, CnnConfig};
use leaky_lab::training::train_cnn::{
    CnnProgress, CnnResume, CnnSettings, EpochRecord, METRICS_FILE, MODEL_FILE, read_run, train_cnn,
};
use leaky_lab::units::measure::{Measure, Measurement, Measurer};

struct Quiet;

impl CnnProgress for Quiet {
    fn epoch_started(&mut self, _: usize, _: usize, _: usize) {}
    fn batch_done(&mut self, _: f32, _: usize) {}
    fn epoch_done(&mut self, _: &EpochRecord) {}
}

/// 320 training digits in batches of 32: 10 steps per epoch, measured every 5.
fn settings(activation: &str, epochs: usize, bias: Option<f32>) -> CnnSettings {
    CnnSettings {
        activation: activation.parse().unwrap(),
        epochs,
        batch: 32,
        bias_init: bias,
        measure: Measure::Every(5),
        ..CnnSettings::default()
    }
}

fn train(settings: &CnnSettings, out: &Path, resume: Option<CnnResume>) -> Measurement {
    let data = common::small_split(320, 50);
    train_cnn(settings, &data, &common::folder(out), resume, &mut Quiet)
        .unwrap()
        .measurement
}

/// With every activated layer's bias at -100, every pre-activation is below 0 on every digit:
/// conv1's is 100 minus at most 9·|w|·|x| < 9·(1/3)·2.9 (its weights are at most 1/3, the
/// standardised pixels at most 2.9), and the layers above add their bias to the activations of
/// the layer below (0 for ReLU; small for LeakyReLU). So every unit is dead at every step; with
/// ReLU none gets a gradient (f'(z) = 0 for z ≤ 0) and none ever comes back; with LeakyReLU
/// every unit still gets α times the gradient.
#[test]
fn biases_forced_below_zero_kill_every_unit_at_every_step() {
    let units = [32, 64, 128];
    for (activation, zero_gradient) in [("relu", 1.0), ("leaky_relu", 0.0)] {
        let dir = tempfile::tempdir().unwrap();
        let m = train(&settings(activation, 2, Some(-100.0)), dir.path(), None);
        assert_eq!(m.measure_every, Some(5));
        assert_eq!(m.measure_digits, 50);
        let steps: Vec<usize> = m.steps.iter().map(|s| s.step).collect();
        assert_eq!(steps, [0, 5, 10, 15, 20], "{activation}");
        for step in &m.steps {
            assert_eq!(step.layers.len(), 3);
            for (layer, &n) in step.layers.iter().zip(&units) {
                let what = format!("{activation} {} at step {}", layer.layer, step.step);
                assert_eq!(layer.units, n, "{what}");
                assert_eq!(layer.dead, 1.0, "{what}");
                assert_eq!(layer.nearly_dead, 1.0, "{what}");
                assert_eq!(layer.zero_gradient, zero_gradient, "{what}");
                assert_eq!(
                    layer.dead_units,
                    (0..n as u32).collect::<Vec<_>>(),
                    "{what}"
                );
            }
        }
        // With ReLU the logits are the output layer's bias, the same for every digit, so the
        // accuracy is the share of one class among the 50 digits.
        if activation == "relu" {
            let labels = common::small_split(0, 50).test.labels().to_vec();
            let shares: Vec<f64> = (0..10u8)
                .map(|d| labels.iter().filter(|&&l| l == d).count() as f64 / 50.0)
                .collect();
            for step in &m.steps {
                assert!(shares.contains(&step.accuracy), "{}", step.accuracy);
            }
        }
        for (revival, &n) in m.revival.iter().zip(&units) {
            assert_eq!((revival.start_step, revival.end_step), (0, 20));
            assert_eq!(revival.dead_at_start, n);
            assert_eq!(revival.revived_from_start, 0);
            assert_eq!((revival.worst_step, revival.dead_at_worst), (0, n));
            assert_eq!(revival.dead_at_end, n);
            assert_eq!(revival.dead_for_good, n);
        }
    }
}

/// With conv1's bias at +100 its pre-activations are above 91 everywhere: no unit is dead,
/// nearly dead or without gradient.
#[test]
fn biases_forced_above_zero_keep_the_first_layer_alive() {
    let varmap = VarMap::new();
    let model = Cnn::seeded(CnnConfig::new("relu".parse().unwrap()), &varmap, 1).unwrap();
    model.set_activated_biases(100.0).unwrap();
    let data = common::small_split(0, 20);
    let measurer = Measurer::new(1, 1, &data.test).unwrap().unwrap();
    let mut m = Measurement::default();
    measurer.record(&model, 0, &mut m).unwrap();
    let conv1 = &m.steps[0].layers[0];
    assert_eq!((conv1.layer.as_str(), conv1.units), ("conv1", 32));
    assert_eq!(
        (conv1.dead, conv1.nearly_dead, conv1.zero_gradient),
        (0.0, 0.0, 0.0)
    );
    assert!(conv1.dead_units.is_empty());
    assert!(m.measure_seconds > 0.0);
    assert!(
        Measurer::new(1, 1, &common::small_split(0, 0).test)
            .unwrap()
            .is_none()
    );
}

/// The measurements are written to metrics.json and the checkpoint; a resumed run goes on with
/// the series and ends with the same one as a run that was not interrupted.
#[test]
fn the_series_round_trips_and_goes_on_after_a_resume() {
    let straight = tempfile::tempdir().unwrap();
    let whole = train(&settings("leaky_relu", 2, None), straight.path(), None);
    let data = common::small_split(320, 50);
    let read = read_run(
        straight.path(),
        &settings("leaky_relu", 2, None),
        &data.source,
    )
    .unwrap();
    assert_eq!(read.measurement, whole);
    assert_eq!(read.epochs.len(), 2);

    let split = tempfile::tempdir().unwrap();
    let first = train(&settings("leaky_relu", 1, None), split.path(), None);
    assert_eq!(first.steps.last().unwrap().step, 10);
    let resume = CnnResume::load(split.path()).unwrap();
    let resumed = train(&settings("leaky_relu", 2, None), split.path(), Some(resume));
    let steps = |m: &Measurement| m.steps.iter().map(|s| s.step).collect::<Vec<_>>();
    assert_eq!(steps(&resumed), [0, 5, 10, 15, 20]);
    assert_eq!(resumed.steps, whole.steps);
    assert_eq!(resumed.revival, whole.revival);
    assert!(resumed.measure_seconds > first.measure_seconds);
}

#[test]
fn a_run_that_does_not_measure_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let off = CnnSettings {
        measure: Measure::Off,
        ..settings("relu", 1, None)
    };
    assert_eq!(train(&off, dir.path(), None), Measurement::default());
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join(METRICS_FILE)).unwrap()).unwrap();
    assert_eq!(json["steps"], serde_json::json!([]));
    assert_eq!(json["measure_every"], serde_json::Value::Null);
}

#[test]
fn an_interval_longer_than_the_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let long = CnnSettings {
        measure: Measure::Every(11),
        ..settings("relu", 1, None)
    };
    let data = common::small_split(320, 50);
    let err = train_cnn(&long, &data, &common::folder(dir.path()), None, &mut Quiet)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("from 1 to the run's 10 training steps"),
        "{err}"
    );
}

/// metrics.json and checkpoints written before the measurements: the metrics read with no
/// series, and the checkpoint resumes, its series starting where the resumed part starts.
#[test]
fn files_from_before_the_measurements_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let one = settings("leaky_relu", 1, None);
    train(&one, dir.path(), None);
    let data = common::small_split(320, 50);

    let metrics_path = dir.path().join(METRICS_FILE);
    let mut json: serde_json::Value =
        serde_json::from_slice(&fs::read(&metrics_path).unwrap()).unwrap();
    let fields = json.as_object_mut().unwrap();
    for field in [
        "measure_every",
        "measure_digits",
        "measure_seconds",
        "steps",
        "revival",
    ] {
        assert!(fields.remove(field).is_some(), "{field}");
    }
    fs::write(&metrics_path, serde_json::to_vec(&json).unwrap()).unwrap();
    let read = read_run(dir.path(), &one, &data.source).unwrap();
    assert_eq!(read.epochs.len(), 1);
    assert_eq!(read.measurement, Measurement::default());

    let path = dir.path().join(MODEL_FILE);
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = header.metadata().clone().unwrap();
    metadata.remove("leaky-lab.checksum").unwrap();
    metadata.remove("measurement").unwrap();
    let old = safetensors::serialize(file.tensors(), Some(metadata)).unwrap();
    fs::write(&path, old).unwrap();
    let resume = CnnResume::load(dir.path()).unwrap();
    let m = train(&settings("leaky_relu", 2, None), dir.path(), Some(resume));
    let steps: Vec<usize> = m.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [10, 15, 20]);
    assert_eq!(m.revival[0].start_step, 10);
}

/// `progress.json` is rewritten at each measurement: at the end it holds every measurement of
/// `metrics.json`, the run's last step, and one loss point per measurement after step 0 (the
/// mean of the 5 batches before it); a resumed run keeps the points of its first part.
#[test]
fn the_progress_file_follows_the_measurements_and_goes_on_after_a_resume() {
    use leaky_lab::files::progress::Progress;
    let dir = tempfile::tempdir().unwrap();
    let first = train(&settings("leaky_relu", 1, None), dir.path(), None);
    let progress = Progress::read(dir.path()).unwrap();
    assert_eq!((progress.epoch, progress.epochs), (1, 1));
    assert_eq!((progress.step, progress.total_steps), (10, 10));
    assert!(progress.finished());
    assert_eq!(progress.measured, first.steps);
    let points: Vec<(usize, usize)> = progress
        .losses
        .iter()
        .map(|l| (l.step, l.batches))
        .collect();
    assert_eq!(points, [(5, 5), (10, 5)]);
    assert!(
        progress
            .losses
            .iter()
            .all(|l| l.loss.is_finite() && l.loss > 0.0)
    );

    let resume = CnnResume::load(dir.path()).unwrap();
    let both = train(&settings("leaky_relu", 2, None), dir.path(), Some(resume));
    let resumed = Progress::read(dir.path()).unwrap();
    assert_eq!(
        (resumed.epoch, resumed.step, resumed.total_steps),
        (2, 20, 20)
    );
    assert_eq!(resumed.measured, both.steps);
    assert_eq!(resumed.losses[..2], progress.losses[..]);
    let steps: Vec<usize> = resumed.losses.iter().map(|l| l.step).collect();
    assert_eq!(steps, [5, 10, 15, 20]);
}
