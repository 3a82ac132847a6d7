//! The classifier score of a generator: how many of its digits a trained classifier recognises
//! with high confidence. A rough stand-in for the Inception Score on MNIST.

use candle_core::{D, Device, Tensor};
use serde::Serialize;

use crate::cnn::Cnn;
use crate::dataset::Scale;
use crate::error::LabError;
use crate::gan::Generator;
use crate::idx::{PIXELS, SIDE};

/// The confidence a digit needs to count as recognised.
pub const CONFIDENCE: f32 = 0.9;

/// How a classifier judged a generator's digits.
#[derive(Clone, Debug, Serialize)]
pub struct ClassifierScore {
    /// How many digits were generated.
    pub samples: usize,
    /// The confidence a digit needed to count as recognised.
    pub threshold: f32,
    /// The fraction of digits whose most probable class has at least `threshold` probability.
    pub confident_fraction: f64,
    /// The mean probability of the most probable class.
    pub mean_confidence: f64,
    /// How many digits were recognised as each class 0 to 9 (all equal means no mode collapse).
    pub confident_per_class: [usize; 10],
}

/// Scores `samples` digits drawn from `generator` with noise from `seed` with `classifier`.
pub fn classifier_score(
    generator: &Generator,
    classifier: &Cnn,
    samples: usize,
    seed: u64,
) -> Result<ClassifierScore, LabError> {
    let pixels = generator.sample(samples, seed)?;
    let (confidences, classes) = classify_pixels(classifier, &pixels)?;
    let mut per_class = [0; 10];
    let mut confident = 0;
    for (&p, &class) in confidences.iter().zip(&classes) {
        if p >= CONFIDENCE {
            confident += 1;
            per_class[class as usize] += 1;
        }
    }
    let mean = confidences.iter().map(|&p| f64::from(p)).sum::<f64>() / samples as f64;
    Ok(ClassifierScore {
        samples,
        threshold: CONFIDENCE,
        confident_fraction: confident as f64 / samples as f64,
        mean_confidence: mean,
        confident_per_class: per_class,
    })
}

/// Digits per forward pass, to bound memory.
const CHUNK: usize = 250;

/// The most probable class of each digit (784 pixels each) and its probability.
pub fn classify_pixels(classifier: &Cnn, pixels: &[u8]) -> Result<(Vec<f32>, Vec<u32>), LabError> {
    let (mut best, mut classes) = (Vec::new(), Vec::new());
    for chunk in pixels.chunks(CHUNK * PIXELS) {
        let values: Vec<f32> = chunk.iter().map(|&p| Scale::Standard.apply(p)).collect();
        let n = chunk.len() / PIXELS;
        let images = Tensor::from_vec(values, (n, 1, SIDE, SIDE), &Device::Cpu)?;
        let probabilities = classifier.probabilities(&images)?;
        best.extend(probabilities.max(D::Minus1)?.to_vec1::<f32>()?);
        classes.extend(probabilities.argmax(D::Minus1)?.to_vec1::<u32>()?);
    }
    Ok((best, classes))
}
