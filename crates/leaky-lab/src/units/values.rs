//! A tensor's `f32` values as a slice, read in place where they already lie contiguous in CPU
//! memory, instead of copied out first: the unit counters read every pre-activation of every
//! measured batch once.

use candle_core::{Result, Storage, Tensor};

/// Calls `f` with the values of `t` (`f32`) in row-major order: borrowed from its storage when
/// it is a contiguous tensor on the CPU, otherwise copied.
pub(crate) fn with_values<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    {
        let (storage, layout) = t.storage_and_layout();
        if let (Storage::Cpu(cpu), Some((start, end))) = (&*storage, layout.contiguous_offsets()) {
            return Ok(f(&cpu.as_slice::<f32>()?[start..end]));
        }
    }
    Ok(f(&t.flatten_all()?.to_vec1::<f32>()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    #[test]
    fn contiguous_and_strided_tensors_give_their_values_in_row_major_order() {
        let t = Tensor::arange(0f32, 6., &Device::Cpu)
            .unwrap()
            .reshape((2, 3))
            .unwrap();
        assert_eq!(
            with_values(&t, <[f32]>::to_vec).unwrap(),
            [0., 1., 2., 3., 4., 5.]
        );
        // A view: the second row only (contiguous, at an offset), and the transpose (strided).
        let row = t.narrow(0, 1, 1).unwrap();
        assert_eq!(with_values(&row, <[f32]>::to_vec).unwrap(), [3., 4., 5.]);
        let transposed = t.t().unwrap();
        assert_eq!(
            with_values(&transposed, <[f32]>::to_vec).unwrap(),
            [0., 3., 1., 4., 2., 5.]
        );
        // Not f32: an error, not a wrong answer.
        let ints = t.to_dtype(DType::U32).unwrap();
        assert!(with_values(&ints, <[f32]>::to_vec).is_err());
    }
}
