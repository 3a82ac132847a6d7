//! What a network's units do on a data set: which are dead or nearly dead ([`dead`]), and the
//! same measured as training goes, with the units that revive ([`measure`]).

pub mod dead;
pub mod measure;
pub(crate) mod values;
