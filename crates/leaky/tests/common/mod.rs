//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// Distance in units in the last place between two f32 values (0 when both are NaN or both zero).
pub fn ulp_f32(a: f32, b: f32) -> u64 {
    if a.is_nan() && b.is_nan() || a == b {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    let key = |v: f32| {
        let bits = v.to_bits() as i64;
        if bits < 0x8000_0000 {
            bits
        } else {
            0x8000_0000 - bits
        }
    };
    key(a).abs_diff(key(b))
}

/// Distance in units in the last place between two f64 values (0 when both are NaN or both zero).
pub fn ulp_f64(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() || a == b {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    let key = |v: f64| {
        let bits = v.to_bits() as i128;
        if bits < (1 << 63) {
            bits
        } else {
            (1 << 63) - bits
        }
    };
    key(a).abs_diff(key(b)).try_into().unwrap_or(u64::MAX)
}

/// The same value including the sign of zero; any NaN equals any NaN.
pub fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan()
}

/// The same value including the sign of zero; any NaN equals any NaN.
pub fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan()
}
