//! The GAN: shapes, a few training steps with their files, resuming, and the classifier score.

mod common;

use std::fs;
use std::path::Path;

use candle_nn::VarMap;
use leaky_lab::LabError;
use leaky_lab::checkpoint::{Checkpoint, Kind};
use leaky_lab::cnn::{Cnn, CnnConfig};
use leaky_lab::gan::{Discriminator, GanConfig, Generator};
use leaky_lab::score::classifier_score;
use leaky_lab::train_gan::{GENERATOR_FILE, GanProgress, GanResume, GanSettings, train_gan};

#[derive(Default)]
struct Recorder {
    steps: Vec<usize>,
    saved: Vec<usize>,
}

impl GanProgress for Recorder {
    fn step_done(&mut self, step: usize, d_loss: f32, g_loss: f32) {
        assert!(d_loss.is_finite() && g_loss.is_finite());
        self.steps.push(step);
    }
    fn saved(&mut self, step: usize, grid: &Path) {
        assert!(grid.is_file());
        self.saved.push(step);
    }
}

fn settings(steps: usize) -> GanSettings {
    GanSettings {
        steps,
        batch: 16,
        channels: 8,
        latent: 16,
        sample_every: 2,
        ..GanSettings::default()
    }
}

#[test]
fn the_networks_have_the_right_shapes() {
    let config = GanConfig {
        activation: "leaky_relu:alpha=0.2".parse().unwrap(),
        channels: 8,
        latent: 16,
    };
    let generator = Generator::seeded(config, &VarMap::new(), 1).unwrap();
    let discriminator = Discriminator::seeded(config, &VarMap::new(), 2).unwrap();
    let noise = generator.noise(5, 3).unwrap();
    assert_eq!(noise.dims(), [5, 16]);
    let images = generator.forward_t(&noise, true).unwrap();
    assert_eq!(images.dims(), [5, 1, 28, 28]);
    let values: Vec<f32> = images.flatten_all().unwrap().to_vec1().unwrap();
    assert!(
        values.iter().all(|v| (-1.0..=1.0).contains(v)),
        "tanh output"
    );
    assert_eq!(discriminator.forward_t(&images, true).unwrap().dims(), [5]);
    assert_eq!(generator.sample(3, 4).unwrap().len(), 3 * 784);
    assert_eq!(
        generator.sample(3, 4).unwrap(),
        generator.sample(3, 4).unwrap()
    );
}

#[test]
fn training_steps_write_grids_and_checkpoints_and_resume() {
    let data = common::small_split(64, 0);
    let out = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::default();
    let metrics = train_gan(&settings(3), &data, out.path(), None, &mut recorder).unwrap();
    assert_eq!(recorder.steps, [1, 2, 3]);
    assert_eq!(recorder.saved, [2, 3]);
    assert_eq!(metrics.losses.last().unwrap().step, 3);
    for name in [
        "samples-2.png",
        "samples-3.png",
        "samples.png",
        "generator.safetensors",
        "discriminator.safetensors",
        "metrics.json",
    ] {
        assert!(out.path().join(name).is_file(), "{name}");
    }
    let grid = fs::read(out.path().join("samples.png")).unwrap();
    assert_eq!(&grid[1..4], b"PNG");

    let resume = GanResume::load(out.path()).unwrap();
    assert_eq!(resume.settings, settings(3));
    let mut recorder = Recorder::default();
    train_gan(&settings(4), &data, out.path(), Some(resume), &mut recorder).unwrap();
    assert_eq!(recorder.steps, [4]);
    let generator = Generator::load(
        &Checkpoint::load(&out.path().join(GENERATOR_FILE), Kind::Generator).unwrap(),
    )
    .unwrap();
    assert_eq!(generator.config().latent, 16);

    let resume = GanResume::load(out.path()).unwrap();
    let other = GanSettings {
        d_activation: "relu".parse().unwrap(),
        ..settings(6)
    };
    let err = train_gan(
        &other,
        &data,
        out.path(),
        Some(resume),
        &mut Recorder::default(),
    );
    assert!(
        matches!(&err, Err(LabError::Settings(m)) if m.contains("--d-activation")),
        "{:?}",
        err.err()
    );
}

#[test]
fn a_batch_larger_than_the_data_is_refused() {
    let data = common::small_split(10, 0);
    let out = tempfile::tempdir().unwrap();
    let err = train_gan(
        &settings(1),
        &data,
        out.path(),
        None,
        &mut Recorder::default(),
    );
    assert!(matches!(err, Err(LabError::Settings(_))));
}

#[test]
fn the_classifier_score_counts_confident_digits() {
    let config = GanConfig {
        activation: "relu".parse().unwrap(),
        channels: 8,
        latent: 16,
    };
    let generator = Generator::seeded(config, &VarMap::new(), 1).unwrap();
    let classifier =
        Cnn::seeded(CnnConfig::new("relu".parse().unwrap()), &VarMap::new(), 1).unwrap();
    let score = classifier_score(&generator, &classifier, 300, 9).unwrap();
    assert_eq!(score.samples, 300);
    assert!((0.1..=1.0).contains(&score.mean_confidence), "{score:?}");
    let confident: usize = score.confident_per_class.iter().sum();
    assert_eq!(confident as f64 / 300.0, score.confident_fraction);
}
