//! Training the classifier on a few hundred digits, its checkpoints, and resuming.

mod common;

use std::fs;
use std::path::Path;

use candle_nn::VarMap;
use leaky_lab::LabError;
use leaky_lab::data::dataset::Scale;
use leaky_lab::files::checkpoint::{Checkpoint, CheckpointError, Kind};
use leaky_lab::models::cnn::{Cnn, CnnConfig};
use leaky_lab::training::train_cnn::{
    CnnProgress, CnnResume, CnnSettings, EpochRecord, MODEL_FILE, train_cnn,
};

/// Counts the calls, checks their order.
#[derive(Default)]
struct Recorder {
    batches: usize,
    epochs: Vec<usize>,
}

impl CnnProgress for Recorder {
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _batches: usize) {}
    fn batch_done(&mut self, loss: f32, _images: usize) {
        assert!(loss.is_finite());
        self.batches += 1;
    }
    fn epoch_done(&mut self, record: &EpochRecord) {
        self.epochs.push(record.epoch);
    }
}

fn settings(epochs: usize) -> CnnSettings {
    CnnSettings {
        epochs,
        batch: 32,
        ..CnnSettings::default()
    }
}

#[test]
fn training_reduces_the_loss_and_writes_its_files() {
    let data = common::small_split(320, 100);
    let out = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::default();
    let metrics = train_cnn(
        &settings(3),
        &data,
        &common::folder(out.path()),
        None,
        &mut recorder,
    )
    .unwrap();
    assert_eq!(recorder.epochs, [1, 2, 3]);
    assert_eq!(recorder.batches, 30);
    let losses: Vec<f64> = metrics.epochs.iter().map(|r| r.train_loss).collect();
    assert!(losses[2] < 0.8 * losses[0], "{losses:?}");
    assert!(
        metrics.epochs[2].test_accuracy > 0.5,
        "{:?}",
        metrics.epochs[2]
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["epochs"].as_array().unwrap().len(), 3);
    assert_eq!(json["activation"], "leaky_relu:alpha=0.01");
    let dead = json["epochs"][2]["dead"].as_array().unwrap();
    let layers: Vec<&str> = dead.iter().map(|d| d["layer"].as_str().unwrap()).collect();
    assert_eq!(layers, ["conv1", "conv2", "hidden"]);
    assert!(
        dead.iter()
            .all(|d| (0.0..=1.0).contains(&d["dead"].as_f64().unwrap()))
    );
    let mut names: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".lock",
            "metrics.json",
            "model.safetensors",
            "progress.json"
        ]
    );
}

#[test]
fn a_resumed_run_matches_an_uninterrupted_one() {
    let data = common::small_split(128, 50);
    let straight = tempfile::tempdir().unwrap();
    let full = train_cnn(
        &settings(2),
        &data,
        &common::folder(straight.path()),
        None,
        &mut Recorder::default(),
    )
    .unwrap();

    let split = tempfile::tempdir().unwrap();
    train_cnn(
        &settings(1),
        &data,
        &common::folder(split.path()),
        None,
        &mut Recorder::default(),
    )
    .unwrap();
    let resume = CnnResume::load(split.path()).unwrap();
    assert_eq!(resume.settings.epochs, 1);
    let mut recorder = Recorder::default();
    let resumed = train_cnn(
        &settings(2),
        &data,
        &common::folder(split.path()),
        Some(resume),
        &mut recorder,
    )
    .unwrap();
    assert_eq!(recorder.epochs, [2], "only the missing epoch is trained");
    let strip = |records: &[EpochRecord]| -> Vec<(f64, f64, f64)> {
        records
            .iter()
            .map(|r| (r.train_loss, r.train_accuracy, r.test_loss))
            .collect()
    };
    assert_eq!(strip(&resumed.epochs), strip(&full.epochs));
}

#[test]
fn resuming_with_other_settings_or_no_more_epochs_is_refused() {
    let data = common::small_split(64, 20);
    let out = tempfile::tempdir().unwrap();
    train_cnn(
        &settings(1),
        &data,
        &common::folder(out.path()),
        None,
        &mut Recorder::default(),
    )
    .unwrap();
    let other = CnnSettings {
        activation: "relu".parse().unwrap(),
        ..settings(2)
    };
    let resume = CnnResume::load(out.path()).unwrap();
    let err = train_cnn(
        &other,
        &data,
        &common::folder(out.path()),
        Some(resume),
        &mut Recorder::default(),
    );
    assert!(matches!(&err, Err(LabError::Settings(m)) if m.contains("activation")));
    let resume = CnnResume::load(out.path()).unwrap();
    let err = train_cnn(
        &settings(1),
        &data,
        &common::folder(out.path()),
        Some(resume),
        &mut Recorder::default(),
    );
    assert!(matches!(
        &err,
        Err(LabError::AlreadyTrained {
            done: 1,
            unit: "epochs"
        })
    ));
}

fn outputs(model: &Cnn) -> Vec<f32> {
    let data = common::small_split(0, 4);
    let images = data
        .test
        .images_tensor(&[0, 1, 2, 3], Scale::Standard)
        .unwrap();
    model
        .forward(&images)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn save_untrained(path: &Path, seed: u64) -> Cnn {
    let varmap = VarMap::new();
    let model = Cnn::seeded(CnnConfig::new("tanh".parse().unwrap()), &varmap, seed).unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, path);
    model.config().store(&mut checkpoint);
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();
    model
}

/// A small classifier's checkpoint at `path` (2 and 2 channels, 4 hidden units: a few KiB).
fn save_small(path: &Path) {
    let varmap = VarMap::new();
    let config = CnnConfig {
        channels1: 2,
        channels2: 2,
        hidden: 4,
        ..CnnConfig::new("relu".parse().unwrap())
    };
    let model = Cnn::seeded(config, &varmap, 1).unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, path);
    model.config().store(&mut checkpoint);
    checkpoint.set("history", "[]");
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();
}

/// Every single flipped bit, in the header or the tensors, is refused: as a corrupt checkpoint
/// when the file still parses, as an invalid one when it does not.
#[test]
fn every_flipped_bit_of_a_checkpoint_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    save_small(&path);
    let bytes = fs::read(&path).unwrap();
    Cnn::load(&Checkpoint::load(&path, Kind::Cnn).unwrap()).unwrap();
    let (mut corrupt, mut invalid) = (0, 0);
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        // A new file rather than a rewritten one, which ext4 flushes to disk on closing.
        fs::remove_file(&path).unwrap();
        fs::write(&path, &flipped).unwrap();
        match Checkpoint::load(&path, Kind::Cnn) {
            Err(CheckpointError::Corrupt { .. }) => corrupt += 1,
            Err(CheckpointError::Format { .. }) => invalid += 1,
            Err(err) => panic!("bit {bit}: {err}"),
            Ok(_) => panic!(
                "bit {bit} of {} flipped, and the checkpoint loads",
                bytes.len() * 8
            ),
        }
    }
    assert!(
        corrupt > 8 * (bytes.len() / 2),
        "{corrupt} corrupt, {invalid} invalid"
    );
    let err = {
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x40;
        fs::write(&path, &flipped).unwrap();
        Checkpoint::load(&path, Kind::Cnn).err().unwrap()
    };
    assert!(
        err.to_string().starts_with(&format!(
            "{}: corrupt checkpoint: its content has checksum crc32:",
            path.display()
        )),
        "{err}"
    );
}

/// A checkpoint written before checksums (the same file without the entry) loads, with a note
/// naming it; the same file with the entry's key damaged is refused.
#[test]
fn a_checkpoint_without_a_checksum_loads_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    save_small(&path);
    assert_eq!(Checkpoint::load(&path, Kind::Cnn).unwrap().note(), None);
    let bytes = fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = header.metadata().clone().unwrap();
    let checksum = metadata.remove("leaky-lab.checksum").unwrap();
    let old = safetensors::serialize(file.tensors(), Some(metadata.clone())).unwrap();
    fs::write(&path, old).unwrap();
    let checkpoint = Checkpoint::load(&path, Kind::Cnn).unwrap();
    Cnn::load(&checkpoint).unwrap();
    assert_eq!(
        checkpoint.note().unwrap(),
        format!(
            "{} has no checksum (it was written by an older leaky): its content is not checked",
            path.display()
        )
    );
    metadata.insert("leaky-lab.checksun".into(), checksum);
    fs::write(
        &path,
        safetensors::serialize(file.tensors(), Some(metadata)).unwrap(),
    )
    .unwrap();
    let err = Checkpoint::load(&path, Kind::Cnn).err().unwrap();
    assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");
}

#[test]
fn a_saved_model_loads_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let model = save_untrained(&path, 5);
    let loaded = Cnn::load(&Checkpoint::load(&path, Kind::Cnn).unwrap()).unwrap();
    assert_eq!(loaded.config(), model.config());
    assert_eq!(outputs(&loaded), outputs(&model));
}

#[test]
fn a_failed_save_leaves_the_previous_checkpoint_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MODEL_FILE);
    let model = save_untrained(&path, 5);
    let before = fs::read(&path).unwrap();
    // Block the temporary file's name with a directory, so that the next save fails.
    let blocker = dir
        .path()
        .join(format!(".{MODEL_FILE}.tmp-{}", std::process::id()));
    fs::create_dir(&blocker).unwrap();
    let varmap = VarMap::new();
    Cnn::seeded(CnnConfig::new("relu".parse().unwrap()), &varmap, 6).unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, &path);
    checkpoint.add_vars("", &varmap);
    assert!(matches!(checkpoint.save(), Err(LabError::Write { .. })));
    assert_eq!(fs::read(&path).unwrap(), before);
    let loaded = Cnn::load(&Checkpoint::load(&path, Kind::Cnn).unwrap()).unwrap();
    assert_eq!(outputs(&loaded), outputs(&model));
}

#[test]
fn bad_checkpoints_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.safetensors");
    assert!(matches!(
        Checkpoint::load(&missing, Kind::Cnn),
        Err(CheckpointError::Io { .. })
    ));

    let garbage = dir.path().join("garbage.safetensors");
    fs::write(&garbage, b"this is not a safetensors file at all").unwrap();
    let err = Checkpoint::load(&garbage, Kind::Cnn).err().unwrap();
    assert!(matches!(err, CheckpointError::Format { .. }), "{err}");

    let truncated = dir.path().join("truncated.safetensors");
    save_untrained(&truncated, 1);
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = Checkpoint::load(&truncated, Kind::Cnn).err().unwrap();
    assert!(matches!(err, CheckpointError::Format { .. }), "{err}");

    let foreign = dir.path().join("foreign.safetensors");
    let tensor =
        candle_core::Tensor::zeros(3, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    candle_core::safetensors::save(&[("w", tensor)].into_iter().collect(), &foreign).unwrap();
    let err = Checkpoint::load(&foreign, Kind::Cnn).err().unwrap();
    assert!(matches!(err, CheckpointError::NotLeaky { .. }), "{err}");

    let cnn = dir.path().join("cnn.safetensors");
    save_untrained(&cnn, 1);
    let err = Checkpoint::load(&cnn, Kind::Generator).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: this is a cnn checkpoint, a generator checkpoint is needed",
            cnn.display()
        )
    );

    // A checkpoint whose metadata lacks the model's shape.
    let bare = dir.path().join("bare.safetensors");
    Checkpoint::new(Kind::Cnn, &bare).save().unwrap();
    let err = Cnn::load(&Checkpoint::load(&bare, Kind::Cnn).unwrap())
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("the metadata entry activation is missing"),
        "{err}"
    );
}

#[test]
fn candle_ops_compute_the_same_model_and_are_refused_where_candle_has_none() {
    use leaky_lab::models::cnn::Ops;
    let data = common::small_split(40, 8);
    let images = data
        .test
        .images_tensor(&[0, 1, 2, 3], Scale::Standard)
        .unwrap();
    for spec in ["leaky_relu:alpha=0.1", "relu", "gelu", "silu", "elu"] {
        let config = CnnConfig::new(spec.parse().unwrap());
        let fused = Cnn::seeded(config, &VarMap::new(), 3).unwrap();
        let a: Vec<Vec<f32>> = fused.forward(&images).unwrap().to_vec2().unwrap();
        for ops in [Ops::CandleActivations, Ops::Candle] {
            let candle = Cnn::seeded(config, &VarMap::new(), 3)
                .unwrap()
                .with_ops(ops)
                .unwrap();
            let b: Vec<Vec<f32>> = candle.forward(&images).unwrap().to_vec2().unwrap();
            for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
                assert!(
                    (x - y).abs() <= 1e-4 * x.abs().max(1.0),
                    "{spec} {ops:?}: {x} vs {y}"
                );
            }
        }
    }
    for ops in [Ops::CandleActivations, Ops::Candle] {
        let mish = Cnn::seeded(CnnConfig::new("mish".parse().unwrap()), &VarMap::new(), 3).unwrap();
        assert!(matches!(
            mish.with_ops(ops),
            Err(LabError::Settings(m)) if m.contains("candle has no op of its own for mish")
        ));
    }
}

#[test]
fn measuring_gives_the_same_bits_as_recording() {
    let data = common::small_split(40, 8);
    let images = data
        .test
        .images_tensor(&[0, 1, 2, 3, 4], Scale::Standard)
        .unwrap();
    let bits = |t: &candle_core::Tensor| -> Vec<u32> {
        let values: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        values.iter().map(|v| v.to_bits()).collect()
    };
    // Fused ops (one pass per convolution block), and PReLU (the unfused path).
    for spec in ["relu", "gelu", "prelu"] {
        let model = Cnn::seeded(CnnConfig::new(spec.parse().unwrap()), &VarMap::new(), 6).unwrap();
        let (logits, pre) = model.forward_recorded(&images).unwrap();
        let (measured_logits, measured_pre) = model.forward_measured(&images).unwrap();
        assert_eq!(bits(&measured_logits), bits(&logits), "{spec}: logits");
        for (layer, (a, b)) in measured_pre.iter().zip(&pre).enumerate() {
            assert_eq!(a.dims(), b.dims(), "{spec}: layer {layer}");
            assert_eq!(bits(a), bits(b), "{spec}: layer {layer}");
        }
    }
}

/// The variables of a freshly seeded model, by name.
fn initial_weights(activation: &str, seed: u64) -> std::collections::HashMap<String, Vec<f32>> {
    let varmap = VarMap::new();
    Cnn::seeded(CnnConfig::new(activation.parse().unwrap()), &varmap, seed).unwrap();
    let vars = varmap.data().lock().unwrap();
    vars.iter()
        .map(|(name, var)| (name.clone(), var.flatten_all().unwrap().to_vec1().unwrap()))
        .collect()
}

#[test]
fn a_seed_gives_the_same_weights_whatever_the_activation_and_prelu_adds_its_slopes() {
    let relu = initial_weights("relu", 4);
    let prelu = initial_weights("prelu:weight=0.1", 4);
    assert_eq!(relu.len(), 8, "{:?}", relu.keys());
    for (name, values) in &relu {
        assert_eq!(&prelu[name], values, "{name}");
    }
    assert_ne!(relu, initial_weights("relu", 5));
    for (layer, units) in [("conv1", 32), ("conv2", 64), ("hidden", 128)] {
        assert_eq!(prelu[&format!("{layer}.prelu.weight")], vec![0.1; units]);
    }
    assert_eq!(prelu.len(), relu.len() + 3);
}

#[test]
fn prelu_slopes_are_trained_and_saved() {
    let data = common::small_split(64, 20);
    let out = tempfile::tempdir().unwrap();
    let run = CnnSettings {
        activation: "prelu".parse().unwrap(),
        ..settings(1)
    };
    train_cnn(
        &run,
        &data,
        &common::folder(out.path()),
        None,
        &mut Recorder::default(),
    )
    .unwrap();
    let checkpoint = Checkpoint::load(&out.path().join(MODEL_FILE), Kind::Cnn).unwrap();
    let slopes: Vec<f32> = checkpoint.tensors()["hidden.prelu.weight"]
        .to_vec1()
        .unwrap();
    assert_eq!(slopes.len(), 128);
    assert!(slopes.iter().any(|&s| s != 0.25), "the slopes moved");
    Cnn::load(&checkpoint).unwrap();
}

#[test]
fn initial_biases_are_set_recorded_and_checked_on_resume() {
    let data = common::small_split(32, 20);
    let out = tempfile::tempdir().unwrap();
    let run = CnnSettings {
        bias_init: Some(-1e4),
        ..settings(1)
    };
    let metrics = train_cnn(
        &run,
        &data,
        &common::folder(out.path()),
        None,
        &mut Recorder::default(),
    )
    .unwrap();
    assert_eq!(metrics.bias_init, Some(-1e4));
    // Biases of -10,000 leave every LeakyReLU unit of the hidden layer negative on every digit.
    let dead = &metrics.epochs[0].dead;
    assert_eq!((dead[2].layer.as_str(), dead[2].dead), ("hidden", 1.0));
    let resume = CnnResume::load(out.path()).unwrap();
    assert_eq!(resume.settings.bias_init, Some(-1e4));
    let err = train_cnn(
        &settings(2),
        &data,
        &common::folder(out.path()),
        Some(resume),
        &mut Recorder::default(),
    );
    assert!(matches!(&err, Err(LabError::Settings(m)) if m.contains("initial bias")));
}

/// Regression (a resumed run's first held-out loss differed in its last bit on an Intel CPU):
/// the epoch history goes through JSON in the checkpoint, and serde_json's default float
/// parser rounds some 17-digit numbers to the neighbouring double. 3.9646971225738525 is the
/// value that run met (a mean loss that is an `f32`); the others are awkward doubles.
#[test]
fn epoch_records_round_trip_through_json_bit_for_bit() {
    let awkward = [
        f64::from(3.964_697_f32),
        3.964_697_122_573_852_5,
        0.1 + 0.2,
        1.0 / 3.0,
        2.225_073_858_507_201e-308,
        9_007_199_254_740_993.0,
    ];
    for &value in &awkward {
        let record = EpochRecord {
            epoch: 1,
            train_loss: value,
            train_accuracy: value / 7.0,
            test_loss: value * 3.0,
            test_accuracy: 0.5,
            seconds: value,
            dead: Vec::new(),
        };
        let json = serde_json::to_string(&[&record]).unwrap();
        let back: Vec<EpochRecord> = serde_json::from_str(&json).unwrap();
        let bits = |r: &EpochRecord| {
            [r.train_loss, r.train_accuracy, r.test_loss, r.seconds].map(f64::to_bits)
        };
        assert_eq!(bits(&back[0]), bits(&record), "{value:e} through {json}");
    }
}
