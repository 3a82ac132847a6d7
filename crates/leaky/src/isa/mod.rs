//! The instruction-set layer: the vector abstraction every kernel is written against
//! ([`Simd`], [`SimdF32`], [`Vectorize`]), its tiers (portable, AVX2, AVX-512), run-time
//! detection, the dispatch from a [`Tier`] to a tier's token, and the conversions of the 16-bit
//! storage types ([`Convert`]).
//!
//! Nothing here knows an activation: the vector math (`crate::math`) is written over these
//! traits, and the slice kernels (`crate::kernels`) run it on the token of the tier in force.

mod convert;
mod portable;
mod simd;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use std::fmt;
use std::str::FromStr;

use crate::Error;

pub(crate) use convert::Convert;
pub(crate) use simd::{Simd, SimdF32, Vectorize};

#[cfg(target_arch = "x86_64")]
use self::{avx2::Avx2, avx512::Avx512};
use portable::Portable;

/// A token usable for every element type: implemented by every tier.
pub trait Token: Simd<f32> + Simd<f64> + SimdF32 + Vectorize + Convert {}
impl<S: Simd<f32> + Simd<f64> + SimdF32 + Vectorize + Convert> Token for S {}

/// A kernel tier: the instruction set the slice operations are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// The loops over the scalar definitions: the reference every other tier is tested against.
    Scalar,
    /// Fixed-size arrays vectorised by the compiler for the target's baseline; runs everywhere.
    Portable,
    /// AVX2 with FMA and F16C (x86-64).
    Avx2,
    /// AVX-512F (x86-64).
    Avx512,
}

impl Tier {
    /// Every tier, slowest first.
    pub const ALL: [Tier; 4] = [Tier::Scalar, Tier::Portable, Tier::Avx2, Tier::Avx512];

    /// The name used by `LEAKY_TIER` and `--tier`: `scalar`, `portable`, `avx2`, `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Scalar => "scalar",
            Tier::Portable => "portable",
            Tier::Avx2 => "avx2",
            Tier::Avx512 => "avx512",
        }
    }

    /// Whether this processor can run the tier.
    pub fn is_available(self) -> bool {
        match self {
            Tier::Scalar | Tier::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Tier::Avx2 => Avx2::new().is_some(),
            #[cfg(target_arch = "x86_64")]
            Tier::Avx512 => Avx512::new().is_some(),
            #[cfg(not(target_arch = "x86_64"))]
            Tier::Avx2 | Tier::Avx512 => false,
        }
    }

    /// The tiers this processor can run, slowest first.
    pub fn available() -> Vec<Tier> {
        Tier::ALL.into_iter().filter(|t| t.is_available()).collect()
    }

    /// The fastest tier this processor can run: what is used when nothing forces one.
    pub fn best() -> Tier {
        *Tier::available()
            .last()
            .expect("the scalar tier is always available")
    }

    /// The tier itself, or an [`Error::TierUnavailable`] if this processor lacks it.
    pub(crate) fn check_available(self) -> Result<Tier, Error> {
        if self.is_available() {
            Ok(self)
        } else {
            Err(Error::TierUnavailable {
                tier: self.name(),
                available: Tier::available().into_iter().map(Tier::name).collect(),
            })
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a tier name (`scalar`, `portable`, `avx2`, `avx512`, any case). Does not check that the
/// processor has it: `kernels::set_tier` and `kernels::with_tier` do.
impl FromStr for Tier {
    type Err = Error;

    fn from_str(s: &str) -> Result<Tier, Error> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
        Tier::ALL
            .into_iter()
            .find(|t| t.name() == wanted)
            .ok_or_else(|| Error::InvalidSetting {
                setting: "tier",
                value: s.to_string(),
                expected: "one of scalar, portable, avx2, avx512",
            })
    }
}

/// A vector tier's token, obtained once per slice operation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Isa {
    Portable(Portable),
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
}

impl Isa {
    /// The portable tier's token, always available.
    pub(crate) const PORTABLE: Isa = Isa::Portable(Portable);

    /// The token of `tier`: `Ok(None)` for the scalar tier (no vectors), an
    /// [`Error::TierUnavailable`] if this processor lacks the tier.
    pub(crate) fn of(tier: Tier) -> Result<Option<Isa>, Error> {
        let isa = match tier {
            Tier::Scalar => return Ok(None),
            Tier::Portable => Some(Isa::Portable(Portable)),
            #[cfg(target_arch = "x86_64")]
            Tier::Avx2 => Avx2::new().map(Isa::Avx2),
            #[cfg(target_arch = "x86_64")]
            Tier::Avx512 => Avx512::new().map(Isa::Avx512),
            #[cfg(not(target_arch = "x86_64"))]
            Tier::Avx2 | Tier::Avx512 => None,
        };
        match isa {
            Some(isa) => Ok(Some(isa)),
            None => Err(tier.check_available().unwrap_err()),
        }
    }
}

/// Runs `$body` with the tier's token bound to `$s` (the kernels that `$body` calls compile
/// themselves for the tier: [`Vectorize::vectorize`]).
macro_rules! with_token {
    ($isa:expr, |$s:ident| $body:expr) => {
        match $isa {
            $crate::isa::Isa::Portable($s) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::isa::Isa::Avx2($s) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::isa::Isa::Avx512($s) => $body,
        }
    };
}
pub(crate) use with_token;
