//! # textlab
//!
//! A toolkit for running a text-classification lab in Jupyter notebooks (evcxr kernel) and from
//! the command line. Data flows one way, and each stage is a plain value that displays itself:
//!
//! ```text
//! data (load, clean, split) -> features (TF-IDF) -> balance -> linear / transformer -> metrics -> plot / report
//! ```
//!
//! In a notebook cell: `use textlab::prelude::*;`.

/// Builder setters of a parameter newtype `struct X(Inner)`: each line `/// doc` + `name: Type`
/// becomes `pub fn name(mut self, v: Type) -> Self` setting `self.0.name` (the checks run in
/// `check()`, linfa's ParamGuard style).
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, v: $ty) -> Self {
                self.0.$name = v;
                self
            }
        )*
    };
}

pub mod balance;
pub mod data;
pub mod display;
pub mod error;
pub mod features;
pub mod fsio;
pub mod lab;
pub mod linear;
pub mod metrics;
pub mod plot;
pub mod prelude;
pub mod progress;
pub mod report;
pub mod rng;
pub mod transformer;
pub mod view;

pub use error::{Error, Result};
