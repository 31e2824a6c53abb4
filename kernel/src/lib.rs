//! # textlab-kernel
//!
//! The Jupyter side of textlab, built on [evcxr](https://github.com/evcxr/evcxr) 0.22:
//!
//! - [`install`]: registers the `textlab` kernelspec ("Rust (textlab)") that runs evcxr_jupyter
//!   (linked into this crate's binary) with a prelude (`use textlab::prelude::*;`) and a
//!   persistent build cache, then warms that cache so the first cell of a notebook does not
//!   compile textlab from scratch.
//! - [`runner`]: executes notebooks headlessly through the evcxr library (the engine the kernel
//!   uses) and fails on compile errors, panics and returned `Err`s, which Jupyter reports as success.
//! - [`export`]: turns executed notebooks into the lab report (Markdown or self-contained HTML).
//! - [`bench`]: what a notebook user waits for (kernel start, first cell, small cells), next to
//!   plain evcxr in the same run; [`build_progress`] shows a cold build cache filling up.
//!
//! [`nbformat`] and [`params`] are the plain-JSON notebook plumbing they share; [`cache`] owns the
//! build-cache directories and the evcxr configuration both the kernel and the runner use.

pub mod bench;
pub mod build_progress;
pub mod cache;
pub mod export;
pub mod install;
pub mod markers;
pub mod nbformat;
pub mod params;
pub mod runner;
