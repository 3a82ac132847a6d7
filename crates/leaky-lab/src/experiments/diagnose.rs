//! A trained classifier's health, layer by layer: its dead and nearly dead units, those without
//! gradient ([`crate::units::measure`]) and the spread of its pre-activations on a data set (see
//! [`crate::units::dead`]), the mean |gradient| of each
//! activated layer's weights on one batch, and a sample of pre-activation values to draw.

use candle_core::Tensor;
use serde::Serialize;

use crate::data::dataset::{Digits, Scale};
use crate::error::LabError;
use crate::models::cnn::{Cnn, LAYERS};
use crate::training::train_cnn::evaluate;
use crate::units::dead::LayerDeath;
use crate::units::measure::activity;
use crate::units::values::with_values;

/// At most this many pre-activation values per layer are kept for the histograms (evenly spaced
/// among those of the first batch).
pub const SAMPLE_VALUES: usize = 100_000;

/// One activated layer's diagnosis.
#[derive(Clone, Debug, Serialize)]
pub struct LayerDiagnosis {
    /// Dead units and the pre-activations' statistics over the whole data set.
    pub activity: LayerDeath,
    /// The fraction of units whose activation derivative is 0 on every digit and position of
    /// the data set: no gradient reaches their weights.
    pub zero_gradient: f64,
    /// The mean |∂loss/∂w| over the layer's weights (not its bias), on the gradient batch.
    pub mean_abs_gradient: f64,
    /// Pre-activation values of the gradient batch, for a histogram (not in the JSON).
    #[serde(skip)]
    pub sample: Vec<f32>,
}

/// The diagnosis of a model on a data set.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    /// The examples looked at.
    pub examples: usize,
    /// Those in the gradient batch.
    pub gradient_batch: usize,
    /// The mean cross-entropy.
    pub loss: f64,
    /// The fraction classified correctly.
    pub accuracy: f64,
    /// conv1, conv2, hidden.
    pub layers: Vec<LayerDiagnosis>,
}

/// Diagnoses `model` on `digits`; the gradients and the value sample come from the first `batch`
/// digits (at least 1; fewer if `digits` has fewer).
pub fn diagnose(model: &Cnn, digits: &Digits, batch: usize) -> Result<Diagnosis, LabError> {
    if digits.is_empty() {
        return Err(LabError::Settings(
            "there are no digits to diagnose on".into(),
        ));
    }
    let evaluation = evaluate(model, digits)?;
    let units = activity(model, digits)?;
    let first: Vec<usize> = (0..batch.clamp(1, digits.len())).collect();
    let images = digits.images_tensor(&first, Scale::Standard)?;
    let (logits, pre) = model.forward_recorded(&images)?;
    let loss = candle_nn::loss::cross_entropy(&logits, &digits.labels_tensor(&first)?)?;
    let grads = loss.backward()?;
    let weights = model.activated_weights();
    let mut layers = Vec::with_capacity(LAYERS);
    let layers_in = evaluation
        .dead
        .into_iter()
        .zip(units)
        .zip(weights)
        .zip(&pre);
    for (((activity, units), weight), pre) in layers_in {
        let gradient = grads.get(weight).ok_or_else(|| {
            LabError::Settings(format!(
                "no gradient reached the weights of {}: is the model trainable?",
                activity.layer
            ))
        })?;
        layers.push(LayerDiagnosis {
            activity,
            zero_gradient: units.zero_gradient,
            mean_abs_gradient: f64::from(gradient.abs()?.mean_all()?.to_scalar::<f32>()?),
            sample: sample(pre)?,
        });
    }
    Ok(Diagnosis {
        examples: digits.len(),
        gradient_batch: first.len(),
        loss: evaluation.loss,
        accuracy: evaluation.accuracy,
        layers,
    })
}

/// At most [`SAMPLE_VALUES`] values of `t`, evenly spaced.
fn sample(t: &Tensor) -> Result<Vec<f32>, LabError> {
    Ok(with_values(t, |all| {
        let step = all.len().div_ceil(SAMPLE_VALUES).max(1);
        all.iter().step_by(step).copied().collect()
    })?)
}
