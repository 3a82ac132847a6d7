//! Seeded initialisation: candle draws initial weights from an unseeded generator on the CPU,
//! so models are built through [`seeded_var_builder`], which draws them from a seeded one.

use std::sync::Mutex;

use candle_core::{DType, Device, Result, Shape, Tensor, Var};
use candle_nn::init::NormalOrUniform;
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal, Uniform};

/// A [`VarBuilder`] that creates the variables of a model in `varmap`, with initial values drawn
/// from a generator seeded with `seed` in the order the model asks for them, so that the same
/// seed and model give the same weights.
pub fn seeded_var_builder(varmap: &VarMap, seed: u64) -> VarBuilder<'static> {
    let backend = SeededVarMap {
        varmap: varmap.clone(),
        rng: Mutex::new(StdRng::seed_from_u64(seed)),
    };
    VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu)
}

struct SeededVarMap {
    varmap: VarMap,
    rng: Mutex<StdRng>,
}

impl SimpleBackend for SeededVarMap {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        dev: &Device,
    ) -> Result<Tensor> {
        let mut vars = self
            .varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned");
        if let Some(var) = vars.get(name) {
            if var.shape() != &shape {
                candle_core::bail!("{name} has shape {:?}, expected {shape:?}", var.shape());
            }
            return Ok(var.as_tensor().clone());
        }
        let mut rng = self
            .rng
            .lock()
            .expect("the generator lock is never poisoned");
        let values = sample(init, &shape, &mut rng)?;
        let var = Var::from_tensor(&Tensor::from_vec(values, shape, dev)?.to_dtype(dtype)?)?;
        vars.insert(name.to_string(), var.clone());
        Ok(var.into_inner())
    }

    fn get_unchecked(&self, name: &str, dtype: DType, _dev: &Device) -> Result<Tensor> {
        let vars = self
            .varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned");
        match vars.get(name) {
            Some(var) => var.as_tensor().to_dtype(dtype),
            None => candle_core::bail!("no variable named {name}"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        let vars = self
            .varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned");
        vars.contains_key(name)
    }
}

/// Values for a tensor of `shape` as `init` describes them (the same rules as candle's `Init::var`).
fn sample(init: Init, shape: &Shape, rng: &mut StdRng) -> Result<Vec<f32>> {
    let n = shape.elem_count();
    let (normal, a, b) = match init {
        Init::Const(value) => return Ok(vec![value as f32; n]),
        Init::Uniform { lo, up } => (false, lo, up),
        Init::Randn { mean, stdev } => (true, mean, stdev),
        Init::Kaiming {
            dist,
            fan,
            non_linearity,
        } => {
            let std = non_linearity.gain() / (fan.for_shape(shape) as f64).sqrt();
            match dist {
                NormalOrUniform::Uniform => (false, -3f64.sqrt() * std, 3f64.sqrt() * std),
                NormalOrUniform::Normal => (true, 0.0, std),
            }
        }
    };
    if normal {
        let dist = Normal::new(a, b).map_err(candle_core::Error::wrap)?;
        Ok((0..n).map(|_| dist.sample(rng) as f32).collect())
    } else {
        let dist = Uniform::new(a, b).map_err(candle_core::Error::wrap)?;
        Ok((0..n).map(|_| dist.sample(rng) as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(seed: u64) -> Vec<f32> {
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, seed);
        let layer = candle_nn::linear(4, 3, vb.pp("layer")).unwrap();
        layer.weight().flatten_all().unwrap().to_vec1().unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_weights() {
        assert_eq!(weights(7), weights(7));
        assert_ne!(weights(7), weights(8));
    }
}
