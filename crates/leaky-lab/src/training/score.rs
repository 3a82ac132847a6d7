//! The classifier score of a generator: how many of its digits a trained classifier recognises
//! with high confidence, and, since a classifier can be confident about noise (an untrained
//! generator's noise is "8" at ≥ 0.9 for most draws), how varied its verdicts are: the
//! Inception Score computed with the classifier, `exp(mean over x of KL(p(y|x) ‖ p(y)))` with
//! `p(y)` the mean of the `p(y|x)`; 1 when every digit gets the same verdict, 10 at most (sure
//! verdicts spread evenly over the ten digits). Score real digits the same way for a ceiling.

use candle_core::{D, Device, Tensor};
use serde::Serialize;

use crate::data::dataset::Scale;
use crate::data::idx::{PIXELS, SIDE};
use crate::error::LabError;
use crate::models::cnn::Cnn;
use crate::models::gan::{Generator, asked_digits};

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
    /// When each digit was meant to be a given one (a conditional generator's, or real digits
    /// with their labels): the fraction recognised, with at least `threshold` probability, as
    /// that digit.
    pub intended_fraction: Option<f64>,
    /// The Inception Score with the classifier (see the module documentation), from 1 to 10.
    pub inception_score: f64,
}

/// Scores `samples` digits drawn from `generator` with noise from `seed` with `classifier`; a
/// conditional generator draws 0 to 9 in turn, and is also scored on drawing the digit asked.
pub fn classifier_score(
    generator: &Generator,
    classifier: &Cnn,
    samples: usize,
    seed: u64,
) -> Result<ClassifierScore, LabError> {
    let pixels = generator.sample(samples, seed, None)?;
    let intended = generator
        .config()
        .conditional
        .then(|| asked_digits(samples, None));
    score_pixels(classifier, &pixels, intended.as_deref())
}

/// Scores digits (784 pixels 0..=255 each, at least one) with `classifier`; `intended`, if
/// given, holds the digit each was meant to be.
pub fn score_pixels(
    classifier: &Cnn,
    pixels: &[u8],
    intended: Option<&[u8]>,
) -> Result<ClassifierScore, LabError> {
    score_probabilities(&probabilities_of_pixels(classifier, pixels)?, intended)
}

/// Scores a classifier's verdicts on digits (a row of class probabilities per digit); `intended`,
/// if given, holds the digit each was meant to be.
pub fn score_probabilities(
    probabilities: &[[f32; 10]],
    intended: Option<&[u8]>,
) -> Result<ClassifierScore, LabError> {
    let samples = probabilities.len();
    if samples == 0 {
        return Err(LabError::Settings("there are no digits to score".into()));
    }
    if let Some(intended) = intended
        && intended.len() != samples
    {
        return Err(LabError::Settings(format!(
            "{} intended digits for {samples} images",
            intended.len()
        )));
    }
    let mut per_class = [0; 10];
    let (mut confident, mut sum, mut as_intended) = (0, 0.0, 0);
    for (i, p) in probabilities.iter().enumerate() {
        let (class, &best) = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("ten classes");
        sum += f64::from(best);
        if best >= CONFIDENCE {
            confident += 1;
            per_class[class] += 1;
            if intended.is_some_and(|digits| usize::from(digits[i]) == class) {
                as_intended += 1;
            }
        }
    }
    Ok(ClassifierScore {
        samples,
        threshold: CONFIDENCE,
        confident_fraction: confident as f64 / samples as f64,
        mean_confidence: sum / samples as f64,
        confident_per_class: per_class,
        intended_fraction: intended.map(|_| as_intended as f64 / samples as f64),
        inception_score: inception_score(probabilities),
    })
}

/// `exp(mean_i KL(p_i ‖ p̄))` with `p̄` the mean of the rows `p_i`; terms with `p_i(y) = 0` add 0.
fn inception_score(probabilities: &[[f32; 10]]) -> f64 {
    let n = probabilities.len() as f64;
    let mut marginal = [0.0_f64; 10];
    for p in probabilities {
        for (m, &q) in marginal.iter_mut().zip(p) {
            *m += f64::from(q) / n;
        }
    }
    let kl: f64 = probabilities
        .iter()
        .map(|p| {
            p.iter()
                .zip(&marginal)
                .filter(|&(&q, _)| q > 0.0)
                .map(|(&q, &m)| f64::from(q) * (f64::from(q) / m).ln())
                .sum::<f64>()
        })
        .sum();
    (kl / n).exp()
}

/// Digits per forward pass, to bound memory.
const CHUNK: usize = 250;

/// The class probabilities of each digit (784 pixels each).
pub fn probabilities_of_pixels(
    classifier: &Cnn,
    pixels: &[u8],
) -> Result<Vec<[f32; 10]>, LabError> {
    let mut rows = Vec::with_capacity(pixels.len() / PIXELS);
    for chunk in pixels.chunks(CHUNK * PIXELS) {
        let values: Vec<f32> = chunk.iter().map(|&p| Scale::Standard.apply(p)).collect();
        let n = chunk.len() / PIXELS;
        let images = Tensor::from_vec(values, (n, 1, SIDE, SIDE), &Device::Cpu)?;
        for row in classifier.probabilities(&images)?.to_vec2::<f32>()? {
            let mut p = [0.0; 10];
            p.copy_from_slice(&row);
            rows.push(p);
        }
    }
    Ok(rows)
}

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

#[cfg(test)]
mod tests {
    use super::{inception_score, score_probabilities};

    #[test]
    fn the_intended_fraction_counts_confident_verdicts_for_the_intended_digit() {
        let verdict = |digit: usize, p: f32| {
            let mut row = [(1.0 - p) / 9.0; 10];
            row[digit] = p;
            row
        };
        // Sure 3, sure 3, unsure 5, sure 7.
        let rows = [
            verdict(3, 0.95),
            verdict(3, 0.99),
            verdict(5, 0.6),
            verdict(7, 0.9),
        ];
        let score = score_probabilities(&rows, Some(&[3, 4, 5, 7])).unwrap();
        assert_eq!(score.confident_fraction, 0.75);
        assert_eq!(score.confident_per_class[3], 2);
        assert_eq!(
            score.intended_fraction,
            Some(0.5),
            "the 4 is a sure 3; the 5 is unsure"
        );
        assert_eq!(
            score_probabilities(&rows, None).unwrap().intended_fraction,
            None
        );
        assert!(score_probabilities(&rows, Some(&[3, 4, 5])).is_err());
        assert!(score_probabilities(&[], None).is_err());
    }

    #[test]
    fn the_inception_score_is_one_for_one_verdict_and_ten_for_sure_balanced_verdicts() {
        let mut eight = [0.0; 10];
        eight[8] = 1.0;
        assert!((inception_score(&[eight; 50]) - 1.0).abs() < 1e-12);
        let spread = [0.1; 10];
        assert!((inception_score(&[spread; 7]) - 1.0).abs() < 1e-6);
        let sure: Vec<[f32; 10]> = (0..30)
            .map(|i| {
                let mut p = [0.0; 10];
                p[i % 10] = 1.0;
                p
            })
            .collect();
        assert!((inception_score(&sure) - 10.0).abs() < 1e-9);
        // Two classes, equally often, each with probability 0.75: exp(0.75 ln 1.5 + 0.25 ln 0.5).
        let mut a = [0.0; 10];
        (a[0], a[1]) = (0.75, 0.25);
        let mut b = [0.0; 10];
        (b[0], b[1]) = (0.25, 0.75);
        let want = (0.75 * 1.5_f64.ln() + 0.25 * 0.5_f64.ln()).exp();
        assert!((inception_score(&[a, b]) - want).abs() < 1e-6);
    }
}
