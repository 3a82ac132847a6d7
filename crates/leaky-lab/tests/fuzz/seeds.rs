//! The seed corpus, written by the ignored test `write_the_seed_corpus` from the crate's own
//! writers (except the activation specs, which are listed by hand): small valid files of each
//! format, so that mutations start from inputs that reach every check.

use std::fs;
use std::path::Path;

use candle_nn::VarMap;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use leaky::Activation;
use leaky_candle::adam::{Adam, AdamParams};
use leaky_lab::data::idx::{self, Images};
use leaky_lab::experiments::compare::{
    self, CompareProgress, CompareSettings, InProcess, Outcome, PlannedRun,
};
use leaky_lab::experiments::shard::Shard;
use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use leaky_lab::files::run_folder::{RunFolder, Start};
use leaky_lab::models::cnn::{Cnn, CnnConfig};
use leaky_lab::training::train_cnn::{CnnProgress, CnnSettings, EpochRecord};
use leaky_lab::training::train_gan::{self, GanProgress, GanSettings};

use crate::common;
use crate::engine::corpus_dir;
use crate::structure::gzip;

/// The activation specs: every name, parameters, aliases and spellings.
const SPECS: &str = "leaky_relu
leaky_relu:alpha=0.2
LeakyReLU:negative_slope=0.01
relu
sigmoid
tanh
prelu:weight=0.25
rrelu:lower=0.1,upper=0.3
elu:alpha=1.5
selu
celu:alpha=2
gelu:approximate=tanh
gelu:approximate=none
silu
mish
softplus:beta=2,threshold=10
softsign
hardtanh:min=-2,max=2
hardtanh:min_val=-1,max_val=1
relu6
hardsigmoid
hardswish
logsigmoid
tanhshrink
softshrink:lambda=0.5
hardshrink:lambd=1
threshold:threshold=0,value=3e38
ReLU6";

/// The run of the sweep whose `metrics.json` is a seed: its settings and data, which the
/// fuzzed reader checks the file against.
pub fn sweep_run() -> (CnnSettings, String) {
    let settings = CnnSettings {
        activation: Activation::Relu,
        epochs: 1,
        batch: 16,
        seed: 1,
        ..CnnSettings::default()
    };
    (settings, common::small_split(16, 8).source)
}

struct Quiet;

impl CnnProgress for Quiet {
    fn epoch_started(&mut self, _: usize, _: usize, _: usize) {}
    fn batch_done(&mut self, _: f32, _: usize) {}
    fn epoch_done(&mut self, _: &EpochRecord) {}
}

impl CompareProgress for Quiet {
    fn run_started(&mut self, _: &PlannedRun, _: usize, _: usize) {}
    fn run_done(&mut self, _: &PlannedRun, _: &Outcome) {}
}

impl GanProgress for Quiet {
    fn step_done(&mut self, _: usize, _: f32, _: f32) {}
    fn saved(&mut self, _: usize, _: &Path) {}
}

#[test]
#[ignore = "writes the committed seed corpus"]
fn write_the_seed_corpus() {
    let root = corpus_dir();
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let dir = |name: &str| {
        let dir = root.join(name);
        fs::create_dir_all(&dir).unwrap();
        dir
    };
    fs::write(root.join("activation_spec.txt"), SPECS).unwrap();

    let data = common::small_split(16, 8);
    let images = Images {
        count: 2,
        pixels: (0..2).flat_map(|i| data.train.image(i).to_vec()).collect(),
    };
    let raw = idx::encode_images(&images);
    fs::write(dir("idx_images").join("raw.idx"), &raw).unwrap();
    fs::write(dir("idx_images").join("gzip.idx.gz"), gzip(&raw)).unwrap();
    let raw = idx::encode_labels(&data.train.labels()[..10]);
    fs::write(dir("idx_labels").join("raw.idx"), &raw).unwrap();
    fs::write(dir("idx_labels").join("gzip.idx.gz"), gzip(&raw)).unwrap();

    let png = dir("png_digit");
    let digit = data.train.image(0);
    write_png(
        &png.join("digit-28x28-grey.png"),
        digit,
        28,
        28,
        ExtendedColorType::L8,
    );
    let rgb: Vec<u8> = (0..30 * 20 * 3).map(|i| (i * 7 % 256) as u8).collect();
    write_png(
        &png.join("rgb-30x20.png"),
        &rgb,
        30,
        20,
        ExtendedColorType::Rgb8,
    );
    let grey16: Vec<u8> = (0..5 * 5 * 2).map(|i| (i * 31 % 256) as u8).collect();
    write_png(
        &png.join("grey16-5x5.png"),
        &grey16,
        5,
        5,
        ExtendedColorType::L16,
    );
    let rgba: Vec<u8> = (0..3 * 3 * 4).map(|i| (255 - i * 5) as u8).collect();
    write_png(
        &png.join("rgba-3x3.png"),
        &rgba,
        3,
        3,
        ExtendedColorType::Rgba8,
    );

    let checkpoints = dir("checkpoint");
    write_small_cnn(&checkpoints.join("cnn.safetensors"));
    write_unchecked(
        &checkpoints.join("cnn.safetensors"),
        &checkpoints.join("cnn-unchecked.safetensors"),
    );
    let gan = tempfile::tempdir().unwrap();
    let settings = GanSettings {
        steps: 2,
        batch: 8,
        channels: 2,
        latent: 2,
        sample_every: 2,
        ..GanSettings::default()
    };
    let folder = RunFolder::claim(gan.path(), Start::Fresh, |_| None).unwrap();
    train_gan::train_gan(&settings, &data, &folder, None, &mut Quiet).unwrap();
    for file in [train_gan::GENERATOR_FILE, train_gan::DISCRIMINATOR_FILE] {
        fs::copy(gan.path().join(file), checkpoints.join(file)).unwrap();
    }

    let sweep = tempfile::tempdir().unwrap();
    let (run, _) = sweep_run();
    let settings = CompareSettings {
        activations: vec![
            run.activation,
            "threshold:threshold=0,value=3e38".parse().unwrap(),
        ],
        seeds: vec![1],
        base: run,
    };
    let json = dir("compare_json");
    for (shard, name) in [
        (Shard::WHOLE, "whole.json"),
        (Shard { index: 2, count: 2 }, "shard.json"),
    ] {
        let out = sweep.path().join(name);
        let folder = RunFolder::claim(&out, Start::Fresh, |_| None).unwrap();
        let mut trainer = InProcess {
            progress: &mut Quiet,
        };
        compare::compare(
            &settings,
            false,
            shard,
            &data,
            &folder,
            Start::Fresh,
            &mut trainer,
        )
        .unwrap();
        fs::copy(out.join(compare::JSON_FILE), json.join(name)).unwrap();
    }
    let metrics = dir("metrics_json");
    let run_metrics = sweep.path().join("whole.json/runs/relu-seed1/metrics.json");
    fs::copy(run_metrics, metrics.join("cnn.json")).unwrap();
    fs::copy(
        gan.path().join(train_gan::METRICS_FILE),
        metrics.join("gan.json"),
    )
    .unwrap();
}

fn write_png(path: &Path, pixels: &[u8], width: u32, height: u32, colour: ExtendedColorType) {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(pixels, width, height, colour)
        .unwrap();
    fs::write(path, bytes).unwrap();
}

/// A classifier of 2 and 2 channels and 4 hidden units, with its Adam state and the metadata
/// of a run after one epoch (the same entries as a training run's checkpoint).
fn write_small_cnn(path: &Path) {
    let varmap = VarMap::new();
    let config = CnnConfig {
        channels1: 2,
        channels2: 2,
        hidden: 4,
        ..CnnConfig::new(Activation::Prelu { weight: 0.25 })
    };
    let model = Cnn::seeded(config, &varmap, 1).unwrap();
    let adam = Adam::new(&varmap, AdamParams::with_lr(1e-3));
    let mut checkpoint = Checkpoint::new(Kind::Cnn, path);
    model.config().store(&mut checkpoint);
    let history = r#"[{"epoch":1,"train_loss":2.1,"train_accuracy":0.25,"test_loss":2.0,"test_accuracy":0.3,"seconds":0.5,"dead":[]}]"#;
    for (key, value) in [
        ("epochs_done", "1"),
        ("batch", "16"),
        ("lr", "0.001"),
        ("lr_decay", "0.5"),
        ("max_shift", "1"),
        ("seed", "1"),
        ("bias_init", "-2"),
        ("data", "embedded, first 16 / 8"),
        ("adam_steps", "1"),
        ("history", history),
    ] {
        checkpoint.set(key, value);
    }
    checkpoint.add_vars("", &varmap);
    checkpoint.add_tensors(adam.state().unwrap());
    checkpoint.save().unwrap();
}

/// `from` without its checksum, as checkpoints were written before they had one.
fn write_unchecked(from: &Path, to: &Path) {
    let bytes = fs::read(from).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = header.metadata().clone().unwrap();
    metadata.remove("leaky-lab.checksum").unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    fs::write(
        to,
        safetensors::serialize(file.tensors(), Some(metadata)).unwrap(),
    )
    .unwrap();
}
