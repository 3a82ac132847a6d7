//! Matrix products on slices, through the `gemm` crate (candle's own matrix multiply) on one
//! thread: the layer ops split their work between threads themselves, by image, so that a
//! result never depends on how many threads computed it.

use std::mem::MaybeUninit;
use std::ops::Range;

use candle_core::WithDType;

use crate::scratch::Scratch;
use gemm::Parallelism;

/// The element types the layer ops compute in: `f32` and `f64` (candle's and the activations').
pub(crate) trait Real: WithDType + leaky::Float + Scratch {
    /// The square root.
    fn sqrt(self) -> Self;

    /// The slice as `f32`s, if `Self` is `f32`.
    fn f32_slice(s: &[Self]) -> Option<&[f32]>;

    /// The slice as `f32`s to write, if `Self` is `f32`.
    fn f32_slice_uninit(s: &mut [MaybeUninit<Self>]) -> Option<&mut [MaybeUninit<f32>]>;
}

impl Real for f32 {
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }

    fn f32_slice(s: &[f32]) -> Option<&[f32]> {
        Some(s)
    }

    fn f32_slice_uninit(s: &mut [MaybeUninit<f32>]) -> Option<&mut [MaybeUninit<f32>]> {
        Some(s)
    }
}

impl Real for f64 {
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }

    fn f32_slice(_: &[f64]) -> Option<&[f32]> {
        None
    }

    fn f32_slice_uninit(_: &mut [MaybeUninit<f64>]) -> Option<&mut [MaybeUninit<f32>]> {
        None
    }
}

/// A matrix in a slice: row-major, or a transposed view of one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Matrix<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, T> Matrix<'a, T> {
    /// The row-major `rows × cols` matrix held in `data`.
    ///
    /// Panics if `data` does not hold exactly `rows · cols` elements (the ops check their
    /// shapes before, so this is an internal invariant).
    pub(crate) fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "matrix size");
        Matrix {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The columns `range` of the matrix, as a view of the same elements.
    ///
    /// Panics if `range` is not inside `0..cols`.
    pub(crate) fn columns(self, range: Range<usize>) -> Self {
        assert!(
            range.start <= range.end && range.end <= self.cols,
            "matrix columns"
        );
        Matrix {
            data: &self.data[range.start * self.col_stride..],
            cols: range.len(),
            ..self
        }
    }

    /// The transpose, as a view of the same elements.
    pub(crate) fn t(self) -> Self {
        Matrix {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// `out = lhs · rhs`, or `out += lhs · rhs` with `accumulate`; `out` is row-major.
///
/// Panics if the shapes do not agree (an internal invariant, as for [`Matrix::new`]).
pub(crate) fn matmul<T: Real>(out: &mut [T], lhs: Matrix<T>, rhs: Matrix<T>, accumulate: bool) {
    assert_eq!(out.len(), lhs.rows * rhs.cols, "output size");
    matmul_strided(out, rhs.cols, lhs, rhs, accumulate);
}

/// [`matmul`] into rows `row_stride` elements apart: row `i` of the product is
/// `out[i·row_stride..][..n]`, and the elements between rows are left as they are.
///
/// Panics if the shapes do not agree or `out` is too short.
pub(crate) fn matmul_strided<T: Real>(
    out: &mut [T],
    row_stride: usize,
    lhs: Matrix<T>,
    rhs: Matrix<T>,
    accumulate: bool,
) {
    check_output(out.len(), row_stride, &lhs, &rhs);
    // SAFETY: `out` is initialised, so reading it to accumulate is sound; its size is checked.
    unsafe { product(out.as_mut_ptr(), row_stride, lhs, rhs, accumulate) }
}

/// [`matmul_strided`] without accumulating, into memory that need not be initialised: every
/// element `i·row_stride + j` with `i < m`, `j < n` is written (and only those).
pub(crate) fn matmul_uninit<T: Real>(
    out: &mut [MaybeUninit<T>],
    row_stride: usize,
    lhs: Matrix<T>,
    rhs: Matrix<T>,
) {
    check_output(out.len(), row_stride, &lhs, &rhs);
    // SAFETY: without accumulating, `product` writes the output and never reads it; its size
    // is checked.
    unsafe { product(out.as_mut_ptr().cast(), row_stride, lhs, rhs, false) }
}

/// `lhs · rhs` as a new row-major matrix, each element written once (no zeroing first).
pub(crate) fn product_matrix<T: Real>(lhs: Matrix<T>, rhs: Matrix<T>) -> Vec<T> {
    let len = lhs.rows * rhs.cols;
    let mut out = Vec::with_capacity(len);
    matmul_uninit(&mut out.spare_capacity_mut()[..len], rhs.cols, lhs, rhs);
    // SAFETY: `matmul_uninit` wrote all `len` elements of the `lhs.rows × rhs.cols` product.
    unsafe { out.set_len(len) };
    out
}

/// The transpose, `cols × rows`, of the row-major `rows × cols` matrix held in `m`.
pub(crate) fn transpose<T: Copy + Default>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = vec![T::default(); m.len()];
    transpose_into(m, rows, cols, &mut out);
    out
}

/// Writes the transpose, `cols × rows`, of the row-major `rows × cols` matrix `m` to `out`.
pub(crate) fn transpose_into<T: Copy>(m: &[T], rows: usize, cols: usize, out: &mut [T]) {
    assert_eq!(m.len(), rows * cols, "matrix size");
    assert_eq!(out.len(), m.len(), "transpose size");
    for (col, out) in out.chunks_exact_mut(rows.max(1)).enumerate() {
        for (to, &from) in out.iter_mut().zip(m.iter().skip(col).step_by(cols)) {
            *to = from;
        }
    }
}

/// Checks that an output of `len` elements, rows `row_stride` apart, holds `lhs · rhs`.
fn check_output<T>(len: usize, row_stride: usize, lhs: &Matrix<T>, rhs: &Matrix<T>) {
    let (m, n) = (lhs.rows, rhs.cols);
    assert_eq!(rhs.rows, lhs.cols, "inner dimensions");
    if m > 0 && n > 0 {
        assert!(row_stride >= n, "output row stride");
        assert!(len >= (m - 1) * row_stride + n, "output size");
    }
}

/// `lhs · rhs` written to (or with `accumulate` added to) the `m × n` elements
/// `out[i·row_stride + j]`.
///
/// # Safety
/// Those elements must be valid for writes, and for reads with `accumulate` (checked by
/// [`check_output`] for a slice; initialised when accumulating).
unsafe fn product<T: Real>(
    out: *mut T,
    row_stride: usize,
    lhs: Matrix<T>,
    rhs: Matrix<T>,
    accumulate: bool,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    // SAFETY: element `i·row_stride + j` is valid for writes (the caller's promise).
                    unsafe { out.add(i * row_stride + j).write(T::zero()) };
                }
            }
        }
        return;
    }
    // SAFETY: every index the product reads, `i·row_stride + j·col_stride` for `i < rows` and
    // `j < cols`, is inside `data` (checked in `Matrix::new`; a transposed view swaps the bounds
    // with the strides, a view of columns starts its data at its first column); the output's
    // elements are valid as the caller promises, and `gemm` reads them only when accumulating.
    // `T` is `f32` or `f64`, which `gemm` supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out,
            1,
            row_stride as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        out
    }

    #[test]
    fn products_and_transposed_views_match_the_definition() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f64> = (0..m * k).map(|i| (i % 11) as f64 - 5.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i % 13) as f64 - 6.0).collect();
        let expected = naive(&a, &b, m, k, n);
        let mut out = vec![f64::NAN; m * n];
        matmul(
            &mut out,
            Matrix::new(&a, m, k),
            Matrix::new(&b, k, n),
            false,
        );
        assert_eq!(out, expected);
        // (bᵀ)ᵀ · ... : the transposed view of a transposed copy is the matrix again.
        let bt: Vec<f64> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let mut out2 = vec![1.0; m * n];
        matmul(
            &mut out2,
            Matrix::new(&a, m, k),
            Matrix::new(&bt, n, k).t(),
            true,
        );
        let plus_one: Vec<f64> = expected.iter().map(|v| v + 1.0).collect();
        assert_eq!(out2, plus_one);
    }

    #[test]
    fn products_of_column_views_land_in_strided_rows() {
        // a · (columns 1..3 of b) lands in columns 1..3 of the rows n apart; the rest is untouched.
        let (m, k, n) = (2, 3, 4);
        let a: Vec<f64> = (0..m * k).map(|i| i as f64 - 2.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i % 5) as f64 - 1.0).collect();
        let full = naive(&a, &b, m, k, n);
        let mut out = vec![f64::NAN; m * n];
        let b = Matrix::new(&b, k, n);
        matmul_strided(
            &mut out[1..],
            n,
            Matrix::new(&a, m, k),
            b.columns(1..3),
            false,
        );
        for i in 0..m {
            assert_eq!(out[i * n + 1..i * n + 3], full[i * n + 1..i * n + 3]);
            assert!(out[i * n].is_nan() && out[i * n + 3].is_nan(), "untouched");
        }
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        // [[1, 2, 3], [4, 5, 6]]ᵀ = [[1, 4], [2, 5], [3, 6]]; twice gives the matrix back.
        let m = [1, 2, 3, 4, 5, 6];
        assert_eq!(transpose(&m, 2, 3), [1, 4, 2, 5, 3, 6]);
        assert_eq!(transpose(&transpose(&m, 2, 3), 3, 2), m);
        assert_eq!(transpose(&m, 1, 6), m);
        assert!(transpose::<f32>(&[], 0, 4).is_empty());
    }

    #[test]
    fn an_empty_inner_dimension_gives_zeros() {
        let mut out = vec![3.0_f32; 4];
        matmul(
            &mut out,
            Matrix::new(&[], 2, 0),
            Matrix::new(&[], 0, 2),
            false,
        );
        assert_eq!(out, [0.0; 4]);
    }
}
