//! Adam and AdamW (Kingma and Ba, 2015; Loshchilov and Hutter, 2019) over the variables of a
//! [`VarMap`], one fused pass per variable and step, with a state (step count and moment
//! estimates) that can be saved and restored, so that a resumed run continues exactly where a
//! checkpoint left off. (candle-nn's `AdamW` keeps its state private and takes about ten tensor
//! ops, each allocating, per variable and step.)
//!
//! For a variable θ with gradient g, at step t (from 1), with `c₁ = 1/(1 - β₁ᵗ)` and
//! `c₂ = 1/(1 - β₂ᵗ)`:
//!
//! ```text
//! m ← β₁·m + (1 - β₁)·g
//! v ← β₂·v + (1 - β₂)·g²
//! θ ← θ - lr·λ·θ - lr·(c₁·m) / (√(c₂·v) + ε)        (λ = weight_decay, 0 for Adam)
//! ```
//!
//! computed element by element in the variable's dtype (`f32` or `f64`), in place. A variable
//! without a gradient in a step is left alone, moments and step count included: as in PyTorch,
//! each variable counts its own steps, so one that missed a step is bias-corrected for the
//! steps it took.

use std::cell::RefCell;
use std::collections::HashMap;

use candle_core::backend::BackendStorage;
use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, DType, InplaceOp2, Layout, Result, Tensor, Var, bail};
use candle_nn::VarMap;

use crate::matmul::Real;

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
    /// Decoupled weight decay λ (AdamW); 0 for Adam.
    pub weight_decay: f64,
}

impl AdamParams {
    /// PyTorch's `Adam` defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight decay) with
    /// learning rate `lr`.
    pub fn with_lr(lr: f64) -> Self {
        AdamParams {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// The moment estimates of one variable, in its dtype.
enum Moments {
    F32(Vec<f32>, Vec<f32>),
    F64(Vec<f64>, Vec<f64>),
}

impl Moments {
    fn zeros(dtype: DType, len: usize) -> Result<Self> {
        Ok(match dtype {
            DType::F32 => Moments::F32(vec![0.0; len], vec![0.0; len]),
            DType::F64 => Moments::F64(vec![0.0; len], vec![0.0; len]),
            other => bail!("adam: unsupported dtype {other:?} (f32 and f64 are supported)"),
        })
    }

    fn from_tensors(m: &Tensor, v: &Tensor, dtype: DType) -> Result<Self> {
        let (m, v) = (
            m.flatten_all()?.to_dtype(dtype)?,
            v.flatten_all()?.to_dtype(dtype)?,
        );
        Ok(match dtype {
            DType::F32 => Moments::F32(m.to_vec1()?, v.to_vec1()?),
            DType::F64 => Moments::F64(m.to_vec1()?, v.to_vec1()?),
            other => bail!("adam: unsupported dtype {other:?} (f32 and f64 are supported)"),
        })
    }

    fn tensors(&self, var: &Var) -> Result<(Tensor, Tensor)> {
        let (shape, device) = (var.shape(), var.device());
        Ok(match self {
            Moments::F32(m, v) => (
                Tensor::from_slice(m, shape, device)?,
                Tensor::from_slice(v, shape, device)?,
            ),
            Moments::F64(m, v) => (
                Tensor::from_slice(m, shape, device)?,
                Tensor::from_slice(v, shape, device)?,
            ),
        })
    }
}

/// The Adam (or AdamW) optimiser over the named variables of a model.
pub struct Adam {
    params: AdamParams,
    vars: Vec<(String, Var)>,
    /// Moment estimates by variable name, made on a variable's first gradient.
    moments: HashMap<String, Moments>,
    /// Steps taken by each variable (those with a gradient).
    var_steps: HashMap<String, u64>,
    steps: u64,
}

/// The prefix of the first moment estimates in [`Adam::state`].
const FIRST: &str = "adam.m.";
/// The prefix of the second moment estimates in [`Adam::state`].
const SECOND: &str = "adam.v.";
/// The prefix of the variables' step counts in [`Adam::state`].
const STEPS: &str = "adam.t.";

/// One variable's update, applied in place to the variable with its gradient as the source.
struct Update<'a> {
    /// `(lr, β₁, β₂, ε, λ, c₁, c₂)`.
    constants: [f64; 7],
    moments: RefCell<&'a mut Moments>,
}

impl Update<'_> {
    fn apply<T: Real>(&self, theta: &mut [T], grad: &[T], m: &mut [T], v: &mut [T]) {
        let [lr, beta1, beta2, eps, decay, c1, c2] =
            self.constants.map(<T as candle_core::WithDType>::from_f64);
        let (one_minus_beta1, one_minus_beta2) = (T::one() - beta1, T::one() - beta2);
        let shrink = T::one() - lr * decay;
        for (((theta, &g), m), v) in theta.iter_mut().zip(grad).zip(m).zip(v) {
            *m = beta1 * *m + one_minus_beta1 * g;
            *v = beta2 * *v + one_minus_beta2 * g * g;
            *theta = shrink * *theta - (c1 * *m) / ((c2 * *v).sqrt() + eps) * lr;
        }
    }
}

impl InplaceOp2 for Update<'_> {
    fn name(&self) -> &'static str {
        "adam-update"
    }

    fn cpu_fwd(
        &self,
        theta: &mut CpuStorage,
        theta_layout: &Layout,
        grad: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<()> {
        let (Some((t0, t1)), Some((g0, g1))) = (
            theta_layout.contiguous_offsets(),
            grad_layout.contiguous_offsets(),
        ) else {
            bail!("adam: the variable and its gradient must be contiguous");
        };
        let mut moments = self.moments.borrow_mut();
        match (theta, grad, &mut **moments) {
            (CpuStorage::F32(theta), CpuStorage::F32(grad), Moments::F32(m, v)) => {
                self.apply(&mut theta[t0..t1], &grad[g0..g1], m, v)
            }
            (CpuStorage::F64(theta), CpuStorage::F64(grad), Moments::F64(m, v)) => {
                self.apply(&mut theta[t0..t1], &grad[g0..g1], m, v)
            }
            (theta, grad, _) => bail!(
                "adam: mixed dtypes: the variable is {:?}, its gradient {:?}",
                theta.dtype(),
                grad.dtype()
            ),
        }
        Ok(())
    }
}

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
            var_steps: HashMap::new(),
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

    /// Updates every variable that has a gradient in `grads`, each in one pass.
    ///
    /// Errors: a variable off the CPU or not in `f32`/`f64`, or a gradient of another shape or
    /// dtype.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.steps += 1;
        let p = self.params;
        for (name, var) in &self.vars {
            let Some(grad) = grads.get(var) else {
                continue;
            };
            if grad.shape() != var.shape() {
                bail!(
                    "adam: the gradient of {name} has shape {:?}, the variable {:?}",
                    grad.shape(),
                    var.shape()
                );
            }
            let t = self.var_steps.entry(name.clone()).or_insert(0);
            *t += 1;
            let t = i32::try_from(*t).unwrap_or(i32::MAX);
            let constants = [
                p.lr,
                p.beta1,
                p.beta2,
                p.eps,
                p.weight_decay,
                1.0 / (1.0 - p.beta1.powi(t)),
                1.0 / (1.0 - p.beta2.powi(t)),
            ];
            let moments = match self.moments.entry(name.clone()) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(Moments::zeros(var.dtype(), var.elem_count())?)
                }
            };
            let update = Update {
                constants,
                moments: RefCell::new(moments),
            };
            var.as_tensor().inplace_op2(&grad.contiguous()?, &update)?;
        }
        Ok(())
    }

    /// The moment estimates and step counts as named tensors (`adam.m.NAME`, `adam.v.NAME`,
    /// `adam.t.NAME`), for a checkpoint.
    pub fn state(&self) -> Result<Vec<(String, Tensor)>> {
        let mut state = Vec::with_capacity(3 * self.moments.len());
        for (name, var) in &self.vars {
            if let Some(moments) = self.moments.get(name) {
                let (m, v) = moments.tensors(var)?;
                state.push((format!("{FIRST}{name}"), m));
                state.push((format!("{SECOND}{name}"), v));
                let steps = self.var_steps.get(name).copied().unwrap_or(self.steps);
                let steps = i64::try_from(steps).unwrap_or(i64::MAX);
                state.push((format!("{STEPS}{name}"), Tensor::new(steps, var.device())?));
            }
        }
        Ok(state)
    }

    /// Restores the step count and the moment estimates that [`Adam::state`] gave. A variable
    /// without a step count of its own (a checkpoint written before they were kept) is taken to
    /// have taken all `steps`, as every variable of leaky's models does.
    pub fn restore(&mut self, steps: u64, tensors: &HashMap<String, Tensor>) -> Result<()> {
        self.steps = steps;
        self.moments.clear();
        self.var_steps.clear();
        for (name, var) in &self.vars {
            let m = tensors.get(&format!("{FIRST}{name}"));
            let v = tensors.get(&format!("{SECOND}{name}"));
            match (m, v) {
                (Some(m), Some(v)) if m.shape() == var.shape() && v.shape() == var.shape() => {
                    self.moments
                        .insert(name.clone(), Moments::from_tensors(m, v, var.dtype())?);
                    let own = match tensors.get(&format!("{STEPS}{name}")) {
                        Some(t) => match u64::try_from(t.to_dtype(DType::I64)?.to_scalar::<i64>()?)
                        {
                            Ok(own) => own,
                            Err(_) => bail!("the optimiser's step count for {name} is negative"),
                        },
                        None => steps,
                    };
                    self.var_steps.insert(name.clone(), own);
                }
                (None, None) => {}
                _ => bail!("the optimiser state for {name} is incomplete or has the wrong shape"),
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
        let state: HashMap<String, Tensor> = adam.state().unwrap().into_iter().collect();
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
