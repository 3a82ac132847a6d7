//! The GAN: shapes, a few training steps with their files, resuming, and the classifier score.

mod common;

use std::fs;
use std::path::Path;

use candle_nn::VarMap;
use leaky_lab::LabError;
use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use leaky_lab::models::cnn::{Cnn, CnnConfig};
use leaky_lab::models::gan::{Discriminator, GanConfig, Generator};
use leaky_lab::training::score::classifier_score;
use leaky_lab::training::train_gan::{
    GENERATOR_FILE, GanProgress, GanResume, GanSettings, train_gan,
};

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

fn config(conditional: bool) -> GanConfig {
    GanConfig {
        activation: "leaky_relu:alpha=0.2".parse().unwrap(),
        channels: 8,
        latent: 16,
        conditional,
    }
}

#[test]
fn the_networks_have_the_right_shapes() {
    for conditional in [false, true] {
        let config = config(conditional);
        let generator = Generator::seeded(config, &VarMap::new(), 1).unwrap();
        let discriminator = Discriminator::seeded(config, &VarMap::new(), 2).unwrap();
        let noise = generator.noise(5, 3).unwrap();
        assert_eq!(noise.dims(), [5, 16]);
        let digits = config.digits(5, None).unwrap();
        assert_eq!(digits.is_some(), conditional);
        let images = generator.forward_t(&noise, digits.as_ref(), true).unwrap();
        assert_eq!(images.dims(), [5, 1, 28, 28]);
        let values: Vec<f32> = images.flatten_all().unwrap().to_vec1().unwrap();
        assert!(
            values.iter().all(|v| (-1.0..=1.0).contains(v)),
            "tanh output"
        );
        let logits = discriminator.forward_t(&images, digits.as_ref(), true);
        assert_eq!(logits.unwrap().dims(), [5]);
        assert_eq!(generator.sample(3, 4, None).unwrap().len(), 3 * 784);
        assert_eq!(
            generator.sample(3, 4, None).unwrap(),
            generator.sample(3, 4, None).unwrap()
        );
    }
}

#[test]
fn a_conditional_gan_draws_and_judges_the_digit_it_is_told() {
    let config = config(true);
    let generator = Generator::seeded(config, &VarMap::new(), 1).unwrap();
    let discriminator = Discriminator::seeded(config, &VarMap::new(), 2).unwrap();
    let cycle: Vec<u32> = config.digits(12, None).unwrap().unwrap().to_vec1().unwrap();
    assert_eq!(cycle, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    let sevens: Vec<u32> = config
        .digits(3, Some(7))
        .unwrap()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(sevens, [7, 7, 7]);
    // The same noise, another digit: another image, and another verdict on the same image.
    let (three, seven) = (
        generator.sample(2, 5, Some(3)),
        generator.sample(2, 5, Some(7)),
    );
    assert_ne!(three.unwrap(), seven.unwrap());
    let images = generator
        .forward_t(
            &generator.noise(2, 5).unwrap(),
            config.digits(2, Some(3)).unwrap().as_ref(),
            false,
        )
        .unwrap();
    let judge = |digit| -> Vec<f32> {
        let digits = config.digits(2, Some(digit)).unwrap();
        discriminator
            .forward_t(&images, digits.as_ref(), false)
            .unwrap()
            .to_vec1()
            .unwrap()
    };
    assert_ne!(judge(3), judge(7));
    // Digits must be given exactly when the networks are conditional, and be 0 to 9.
    assert!(config.digits(2, Some(10)).is_err());
    assert!(
        generator
            .forward_t(&generator.noise(2, 5).unwrap(), None, false)
            .is_err()
    );
    assert!(discriminator.forward_t(&images, None, false).is_err());
    let plain = Generator::seeded(self::config(false), &VarMap::new(), 1).unwrap();
    let err = plain.sample(2, 5, Some(3)).unwrap_err().to_string();
    assert!(err.contains("without digits"), "{err}");
    let digits = config.digits(2, None).unwrap();
    assert!(
        plain
            .forward_t(&plain.noise(2, 5).unwrap(), digits.as_ref(), false)
            .is_err()
    );
}

#[test]
fn a_checkpoint_from_before_conditional_gans_loads_as_unconditional() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(GENERATOR_FILE);
    let varmap = VarMap::new();
    Generator::seeded(config(false), &varmap, 1).unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Generator, &path);
    checkpoint.set("activation", "leaky_relu:alpha=0.2");
    checkpoint.set("channels", 8);
    checkpoint.set("latent", 16);
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();
    let generator = Generator::load(&Checkpoint::load(&path, Kind::Generator).unwrap()).unwrap();
    assert!(!generator.config().conditional);
    assert_eq!(generator.sample(2, 1, None).unwrap().len(), 2 * 784);
}

#[test]
fn training_steps_write_grids_and_checkpoints_and_resume() {
    let data = common::small_split(64, 0);
    let out = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::default();
    let metrics = train_gan(
        &settings(3),
        &data,
        &common::folder(out.path()),
        None,
        &mut recorder,
    )
    .unwrap();
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
    train_gan(
        &settings(4),
        &data,
        &common::folder(out.path()),
        Some(resume),
        &mut recorder,
    )
    .unwrap();
    assert_eq!(recorder.steps, [4]);
    let generator = Generator::load(
        &Checkpoint::load(&out.path().join(GENERATOR_FILE), Kind::Generator).unwrap(),
    )
    .unwrap();
    assert_eq!(generator.config().latent, 16);

    for (other, message) in [
        (
            GanSettings {
                d_activation: "relu".parse().unwrap(),
                ..settings(6)
            },
            "the discriminator's activation is relu, but the checkpoints were trained with \
             leaky_relu:alpha=0.2",
        ),
        (
            GanSettings {
                conditional: false,
                ..settings(6)
            },
            "the GAN's kind is unconditional, but the checkpoints were trained with conditional",
        ),
    ] {
        let resume = GanResume::load(out.path()).unwrap();
        let err = train_gan(
            &other,
            &data,
            &common::folder(out.path()),
            Some(resume),
            &mut Recorder::default(),
        );
        assert!(
            matches!(&err, Err(LabError::Settings(m)) if m.contains(message)),
            "{:?}",
            err.err()
        );
    }
}

#[test]
fn an_unconditional_gan_trains_and_resumes_as_one() {
    let data = common::small_split(64, 0);
    let out = tempfile::tempdir().unwrap();
    let plain = |steps| GanSettings {
        conditional: false,
        ..settings(steps)
    };
    train_gan(
        &plain(2),
        &data,
        &common::folder(out.path()),
        None,
        &mut Recorder::default(),
    )
    .unwrap();
    let resume = GanResume::load(out.path()).unwrap();
    assert!(!resume.settings.conditional);
    let mut recorder = Recorder::default();
    train_gan(
        &plain(3),
        &data,
        &common::folder(out.path()),
        Some(resume),
        &mut recorder,
    )
    .unwrap();
    assert_eq!(recorder.steps, [3]);
}

#[test]
fn a_batch_larger_than_the_data_is_refused() {
    let data = common::small_split(10, 0);
    let out = tempfile::tempdir().unwrap();
    let err = train_gan(
        &settings(1),
        &data,
        &common::folder(out.path()),
        None,
        &mut Recorder::default(),
    );
    assert!(matches!(err, Err(LabError::Settings(_))));
}

#[test]
fn the_classifier_score_counts_confident_digits() {
    let classifier =
        Cnn::seeded(CnnConfig::new("relu".parse().unwrap()), &VarMap::new(), 1).unwrap();
    for conditional in [false, true] {
        let generator = Generator::seeded(config(conditional), &VarMap::new(), 1).unwrap();
        let score = classifier_score(&generator, &classifier, 300, 9).unwrap();
        assert_eq!(score.samples, 300);
        assert!((0.1..=1.0).contains(&score.mean_confidence), "{score:?}");
        let confident: usize = score.confident_per_class.iter().sum();
        assert_eq!(confident as f64 / 300.0, score.confident_fraction);
        match score.intended_fraction {
            Some(f) => assert!(conditional && f <= score.confident_fraction, "{score:?}"),
            None => assert!(!conditional),
        }
    }
}
