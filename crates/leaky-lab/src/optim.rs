//! Adam (Kingma and Ba, 2015) over the variables of a [`VarMap`], with its state (step count and
//! moment estimates) readable and restorable, so that a resumed run continues exactly where the
//! checkpoint left off. (candle-nn's `AdamW` keeps its state private.)

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use candle_nn::VarMap;

/// The hyperparameters of [`Adam`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamParams {
    /// The learning rate.
    pub lr: f64,
    /// The decay of the first moment estimate.
    pub beta1: f64,
    /// The decay of the second moment estimate.
    pub beta2: f64,
    /// Added to the root of the second moment for numerical stability.
    pub eps: f64,
}

impl AdamParams {
    /// PyTorch's defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) with learning rate `lr`.
    pub fn with_lr(lr: f64) -> Self {
        AdamParams {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// The Adam optimiser over the named variables of a model.
pub struct Adam {
    params: AdamParams,
    vars: Vec<(String, Var)>,
    /// First and second moment estimates by variable name, made on a variable's first gradient.
    moments: HashMap<String, (Tensor, Tensor)>,
    steps: u64,
}

/// The prefix of the first moment estimates in [`Adam::state`].
const FIRST: &str = "adam.m.";
/// The prefix of the second moment estimates in [`Adam::state`].
const SECOND: &str = "adam.v.";

impl Adam {
    /// An optimiser for every variable of `varmap`.
    pub fn new(varmap: &VarMap, params: AdamParams) -> Self {
        let mut vars: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned")
            .iter()
            .map(|(name, var)| (name.clone(), var.clone()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        Adam {
            params,
            vars,
            moments: HashMap::new(),
            steps: 0,
        }
    }

    /// Changes the learning rate (for a schedule).
    pub fn set_lr(&mut self, lr: f64) {
        self.params.lr = lr;
    }

    /// How many steps have been taken, counting those before a restore.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Updates every variable that has a gradient in `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.steps += 1;
        let AdamParams {
            lr,
            beta1,
            beta2,
            eps,
        } = self.params;
        let t = self.steps as i32;
        let correct1 = 1.0 / (1.0 - beta1.powi(t));
        let correct2 = 1.0 / (1.0 - beta2.powi(t));
        for (name, var) in &self.vars {
            // A variable's gradient still references the forward graph: detached, so that the
            // moments do not keep every step's graph alive.
            let Some(grad) = grads.get(var).map(Tensor::detach) else {
                continue;
            };
            let (m, v) = match self.moments.get(name) {
                Some((m, v)) => (
                    ((m * beta1)? + (&grad * (1.0 - beta1))?)?,
                    ((v * beta2)? + (grad.sqr()? * (1.0 - beta2))?)?,
                ),
                None => ((&grad * (1.0 - beta1))?, (grad.sqr()? * (1.0 - beta2))?),
            };
            let update = ((&m * correct1)? / ((&v * correct2)?.sqrt()? + eps)?)?;
            var.set(&(var.as_tensor() - (update * lr)?)?)?;
            self.moments.insert(name.clone(), (m, v));
        }
        Ok(())
    }

    /// The moment estimates as named tensors (`adam.m.NAME`, `adam.v.NAME`), for a checkpoint.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut state = Vec::with_capacity(2 * self.moments.len());
        for (name, (m, v)) in &self.moments {
            state.push((format!("{FIRST}{name}"), m.clone()));
            state.push((format!("{SECOND}{name}"), v.clone()));
        }
        state
    }

    /// Restores the step count and the moment estimates that [`Adam::state`] gave.
    pub fn restore(&mut self, steps: u64, tensors: &HashMap<String, Tensor>) -> Result<()> {
        self.steps = steps;
        self.moments.clear();
        for (name, var) in &self.vars {
            let m = tensors.get(&format!("{FIRST}{name}"));
            let v = tensors.get(&format!("{SECOND}{name}"));
            match (m, v) {
                (Some(m), Some(v)) if m.shape() == var.shape() && v.shape() == var.shape() => {
                    self.moments.insert(name.clone(), (m.clone(), v.clone()));
                }
                (None, None) => {}
                _ => candle_core::bail!(
                    "the optimiser state for {name} is incomplete or has the wrong shape"
                ),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device};

    use super::*;

    /// Minimises (x - 3)² from x = 0.
    fn descend(adam: &mut Adam, x: &Var, steps: usize) {
        for _ in 0..steps {
            let loss = (x.as_tensor() - 3.0)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap();
            adam.step(&loss.backward().unwrap()).unwrap();
        }
    }

    #[test]
    fn minimises_a_quadratic_and_resumes_exactly() {
        let varmap = VarMap::new();
        let x = varmap
            .get(
                1,
                "x",
                candle_nn::Init::Const(0.0),
                DType::F32,
                &Device::Cpu,
            )
            .unwrap();
        let x = Var::from_tensor(&x).unwrap();
        let mut adam = Adam::new(&varmap, AdamParams::with_lr(0.1));
        descend(&mut adam, &x, 300);
        let value: Vec<f32> = x.as_tensor().to_vec1().unwrap();
        assert!((value[0] - 3.0).abs() < 1e-2, "{value:?}");

        // Ten more steps, or a restore of the state and the same ten steps: the same result.
        let saved_x = x.as_tensor().copy().unwrap();
        let state: HashMap<String, Tensor> = adam.state().into_iter().collect();
        let steps = adam.steps();
        descend(&mut adam, &x, 10);
        let direct: Vec<f32> = x.as_tensor().to_vec1().unwrap();
        x.set(&saved_x).unwrap();
        let mut resumed = Adam::new(&varmap, AdamParams::with_lr(0.1));
        resumed.restore(steps, &state).unwrap();
        descend(&mut resumed, &x, 10);
        assert_eq!(x.as_tensor().to_vec1::<f32>().unwrap(), direct);
    }
}
