//! Fused kernels, each with a hand-written backward pass, for the encoder's work: the embeddings'
//! sum, self-attention from the layer input (the q/k/v projections as one product, heads read in
//! place, softmax with scale, mask and dropout in one pass; also as [`attention`] and
//! [`attention_softmax`]), layer norm (alone or after dropout and the residual add), the linear
//! layer (bias folded into the product; also followed by exact-erf GELU), GELU, and dropout
//! (alone or with the residual add).
//!
//! Fewer graph nodes is the point as much as fewer passes: for every input of every node, candle's
//! backward allocates a zeroed gradient and adds the node's gradient into it, on the calling
//! thread, so each activation-sized edge costs two serial passes that a second core cannot share.
//!
//! Why they exist: candle builds each of these from 5-20 primitive ops, and its backward pass
//! allocates a zeroed buffer plus an add for every edge of that graph, so at the encoder's sizes
//! the elementwise traffic cost as much as the matmuls (issue 13: the training step was 1.5-2.4x
//! slower than PyTorch's). candle-nn's own fused `softmax_last_dim` and `layer_norm` cannot
//! replace them: they have no backward, and gradients would silently stop there.
//!
//! The fused path runs on CPU tensors of f32 or f64, rows in parallel on rayon. Column sums
//! (bias and layer-norm weight gradients) add fixed blocks of rows in a fixed order, so the bits
//! do not depend on the thread count. Other devices and dtypes take the same composition of
//! candle ops the encoder used before, so CUDA and Metal still train; the tests check both paths
//! against each other, values and gradients.
//!
//! ```
//! use candle_core::{Device, Tensor, Var};
//! use textlab::transformer::ops;
//! let x = Var::new(&[[1f32, 2., 3., 4.]], &Device::Cpu)?;
//! let w = Var::new(&[1f32, 1., 1., 1.], &Device::Cpu)?;
//! let b = Var::new(&[0f32, 0., 0., 0.], &Device::Cpu)?;
//! let y = ops::layer_norm(&x, &w, &b, 1e-5)?;
//! assert!(y.sum_all()?.to_scalar::<f32>()?.abs() < 1e-5);
//! let grads = y.sqr()?.sum_all()?.backward()?;
//! assert!(grads.get(&w).is_some() && grads.get(&x).is_some());
//! # Ok::<(), candle_core::Error>(())
//! ```

use crate::rng::Rng;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, CustomOp3, D, DType, Layout, Result, Shape, Tensor,
    WithDType, bail,
};
use rayon::prelude::*;
use std::sync::Arc;

/// Rows per rayon task, and per partial column sum: enough work to pay for a task, small enough
/// to balance two to sixteen threads over a few thousand rows.
const ROW_BLOCK: usize = 32;

/// The float types with a fused kernel.
trait Real: WithDType {
    const NEG_INFINITY: Self;
    fn exp(self) -> Self;
    fn sqrt(self) -> Self;
    fn maximum(self, other: Self) -> Self;
    /// `x * Phi(x)`, computed exactly as candle's `gelu_erf` does.
    fn gelu(self) -> Self;
    /// `Phi(x) + x * phi(x)`.
    fn gelu_grad(self) -> Self;
}

macro_rules! real {
    ($t:ident, $erf:path) => {
        impl Real for $t {
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            fn exp(self) -> Self {
                $t::exp(self)
            }
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            fn maximum(self, other: Self) -> Self {
                $t::max(self, other)
            }
            fn gelu(self) -> Self {
                ($erf(self * std::$t::consts::FRAC_1_SQRT_2) + 1.) * 0.5 * self
            }
            fn gelu_grad(self) -> Self {
                use std::$t::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};
                // 1 / sqrt(2 pi)
                let inv_sqrt_2pi = 0.5 * FRAC_2_SQRT_PI * FRAC_1_SQRT_2;
                0.5 * ($erf(self * FRAC_1_SQRT_2) + 1.)
                    + self * (-0.5 * self * self).exp() * inv_sqrt_2pi
            }
        }
    };
}
real!(f32, erf_f32);
real!(f64, candle_core::cpu::erf::erf_f64);

/// erf in f32 as a branch-free rational function (the approximation of Eigen and XLA, inputs
/// clamped to [-4, 4] where f32 erf is already +-1), so that the GELU loops vectorise: libm's
/// `erff` was a tenth of the training step. Largest absolute error 4.5e-7 (a few f32 ulps of 1;
/// see the test).
#[inline(always)]
fn erf_f32(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    for c in [
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.9546e-3,
        -1.609_603_3e-2,
    ] {
        p = p * x2 + c;
    }
    let mut q = -1.456_607_2e-5_f32;
    for c in [-2.133_740_6e-4, -1.682_827e-3, -7.373_329e-3, -1.426_474e-2] {
        q = q * x2 + c;
    }
    x * p / q
}

/// True when every tensor is on the CPU, non-empty and of the first one's dtype (f32 or f64).
fn fused(ts: &[&Tensor]) -> bool {
    let dtype = ts[0].dtype();
    matches!(dtype, DType::F32 | DType::F64)
        && ts
            .iter()
            .all(|t| t.device().is_cpu() && t.dtype() == dtype && t.elem_count() > 0)
}

fn slice<'a, T: WithDType>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [T]> {
    let data = T::cpu_storage_as_slice(s)?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => bail!("{op}: the fused kernel needs contiguous tensors"),
    }
}

/// `(rows, row length)` of a tensor seen as `[rows, last dim]`.
fn rows_of(l: &Layout) -> (usize, usize) {
    let n = l.dims().last().copied().unwrap_or(1).max(1);
    (l.shape().elem_count() / n, n)
}

/// A zeroed buffer of `n` values for a kernel's output. Large ones are zeroed by rayon's threads:
/// the allocator's zeroing runs on the calling thread alone, a serial pass before every kernel.
fn zeros<T: Real>(n: usize) -> Vec<T> {
    if n < 1 << 16 {
        return vec![T::zero(); n];
    }
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(T::zero(), n));
    v
}

/// Sums per-block partial column sums in block order.
fn add_partials<T: Real>(partials: Vec<Vec<T>>, n: usize) -> Vec<T> {
    let mut total = vec![T::zero(); n];
    for p in partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// `[rows * n + extra * n]` back from a backward kernel: the input gradient shaped like `like`,
/// then `extra` column-sum gradients of shape `[n]`, each copied out so that the large buffer is
/// freed with the input gradient instead of living as long as the parameter's gradient.
fn split_grads(out: Tensor, like: &Tensor, extra: usize) -> Result<(Tensor, Vec<Tensor>)> {
    let total = out.elem_count();
    let n = like.dims().last().copied().unwrap_or(1);
    let main = total - extra * n;
    let dx = out.narrow(0, 0, main)?.reshape(like.shape())?;
    let rest = (0..extra)
        .map(|i| out.narrow(0, main + i * n, n)?.copy())
        .collect::<Result<Vec<_>>>()?;
    Ok((dx, rest))
}

macro_rules! by_dtype {
    ($self:ident, $s:expr, $f:ident ( $($arg:expr),* )) => {
        match $s {
            CpuStorage::F32(_) => $self.$f::<f32>($($arg),*),
            CpuStorage::F64(_) => $self.$f::<f64>($($arg),*),
            _ => bail!("{}: the fused kernel takes f32 or f64", $self.name()),
        }
    };
}

/// The same dispatch for a backward pass, on a tensor's dtype.
macro_rules! by_dtype_bwd {
    ($self:ident, $dtype:expr, $f:ident ( $($arg:expr),* )) => {
        match $dtype {
            DType::F32 => $self.$f::<f32>($($arg),*),
            DType::F64 => $self.$f::<f64>($($arg),*),
            other => bail!("{}: no kernel for {other:?}", $self.name()),
        }
    };
}

/// A two-input fused op: its name, its CPU forward (`fwd` for f32 and f64) and, where it has
/// one, its backward, written out after the name.
macro_rules! op2 {
    ($ty:ty, $name:literal $(, $($bwd:tt)*)?) => {
        impl CustomOp2 for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn cpu_fwd(
                &self,
                s1: &CpuStorage,
                l1: &Layout,
                s2: &CpuStorage,
                l2: &Layout,
            ) -> Result<(CpuStorage, Shape)> {
                by_dtype!(self, s1, fwd(s1, l1, s2, l2))
            }

            $($($bwd)*)?
        }
    };
}

/// A three-input fused op: its name, its CPU forward (`fwd` for f32 and f64) and, where it has
/// one, its backward, written out after the name.
macro_rules! op3 {
    // The common backward: the gradient made contiguous, then `bwd_typed` for the input's dtype.
    ($ty:ty, $name:literal, typed_bwd($a:ident, $b:ident, $c:ident) => ($($arg:ident),*)) => {
        op3!(
            $ty,
            $name,
            fn bwd(
                &self,
                $a: &Tensor,
                $b: &Tensor,
                $c: &Tensor,
                _res: &Tensor,
                grad: &Tensor,
            ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
                let g = grad.contiguous()?;
                by_dtype_bwd!(self, $a.dtype(), bwd_typed($($arg,)* &g))
            }
        );
    };
    ($ty:ty, $name:literal $(, $($bwd:tt)*)?) => {
        impl CustomOp3 for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn cpu_fwd(
                &self,
                s1: &CpuStorage,
                l1: &Layout,
                s2: &CpuStorage,
                l2: &Layout,
                s3: &CpuStorage,
                l3: &Layout,
            ) -> Result<(CpuStorage, Shape)> {
                by_dtype!(self, s1, fwd(s1, l1, s2, l2, s3, l3))
            }

            $($($bwd)*)?
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Dropout masks

/// A dropout mask: 0 for dropped elements, `1 / (1 - p)` for kept ones (inverted dropout).
#[derive(Debug, Clone, PartialEq)]
pub struct DropMask(Arc<Vec<f32>>);

impl DropMask {
    /// A mask for `n` elements drawn from the lab's seeded [`Rng`] (one draw per element, in
    /// order, so a seed gives the same masks as before the kernels were fused); `None` when
    /// `rng` is `None` (evaluation) or `p` is 0.
    pub fn draw(n: usize, p: f64, rng: Option<&mut Rng>) -> Option<Self> {
        let rng = rng?;
        if p <= 0.0 {
            return None;
        }
        let scale = (1.0 / (1.0 - p)) as f32;
        // `rng.next_f64() < p` is `(u >> 11) * 2^-53 < p`, i.e. `u >> 11 < ceil(p * 2^53)`: the
        // same draws compared as integers, without a float conversion per element.
        let threshold = (p * (1u64 << 53) as f64).ceil() as u64;
        // A plain loop over a zeroed buffer, with the generator in a local copied back after it:
        // measured 1.7-2.0 ms per million draws where `(0..n).map(..).collect()` took 3.0 (the
        // masks are drawn on the main thread while the others wait).
        let mut local = rng.clone();
        let mut mask = vec![0f32; n];
        for m in mask.iter_mut() {
            if local.next_u64() >> 11 >= threshold {
                *m = scale;
            }
        }
        *rng = local;
        Some(DropMask(Arc::new(mask)))
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }

    fn check(&self, x: &Tensor) -> Result<()> {
        if self.0.len() != x.elem_count() {
            bail!(
                "dropout mask of {} values for a tensor of shape {:?}",
                self.0.len(),
                x.dims()
            )
        }
        Ok(())
    }

    fn tensor(&self, like: &Tensor) -> Result<Tensor> {
        Tensor::from_slice(&self.0, like.shape(), like.device())?.to_dtype(like.dtype())
    }

    fn apply<T: Real>(&self, x: &[T], out: &mut [T]) {
        out.par_chunks_mut(4096)
            .zip(x.par_chunks(4096))
            .zip(self.0.par_chunks(4096))
            .for_each(|((o, x), k)| {
                for ((o, &x), &k) in o.iter_mut().zip(x).zip(k) {
                    *o = x * T::from_f64(k as f64);
                }
            });
    }
}

/// `x * mask` elementwise.
struct Dropout(DropMask);

impl Dropout {
    fn fwd<T: Real>(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice::<T>(s, l, self.name())?;
        let mut out = zeros::<T>(x.len());
        self.0.apply(x, &mut out);
        Ok((T::to_cpu_storage_owned(out), l.shape().clone()))
    }
}

impl CustomOp1 for Dropout {
    fn name(&self) -> &'static str {
        "textlab-dropout"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        by_dtype!(self, s, fwd(s, l))
    }

    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(dropout(grad, Some(&self.0))?))
    }
}

/// Inverted dropout with a drawn mask; `x` itself when `mask` is `None`.
pub fn dropout(x: &Tensor, mask: Option<&DropMask>) -> Result<Tensor> {
    let Some(mask) = mask else {
        return Ok(x.clone());
    };
    mask.check(x)?;
    if !fused(&[x]) {
        return x.mul(&mask.tensor(x)?);
    }
    x.contiguous()?.apply_op1(Dropout(mask.clone()))
}

/// `x * mask + residual`.
struct DropoutAdd(DropMask);

impl DropoutAdd {
    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = slice::<T>(s1, l1, self.name())?;
        let r = slice::<T>(s2, l2, self.name())?;
        let mut out = zeros::<T>(x.len());
        self.0.apply(x, &mut out);
        out.par_chunks_mut(4096)
            .zip(r.par_chunks(4096))
            .for_each(|(o, r)| {
                for (o, &r) in o.iter_mut().zip(r) {
                    *o += r;
                }
            });
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }
}

op2!(
    DropoutAdd,
    "textlab-dropout-add",
    fn bwd(
        &self,
        _x: &Tensor,
        _residual: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(dropout(grad, Some(&self.0))?), Some(grad.clone())))
    }
);

/// `dropout(x) + residual` (the sublayer output's dropout and the residual connection), in one
/// pass and one graph node; `x + residual` when `mask` is `None`.
pub fn dropout_add(x: &Tensor, residual: &Tensor, mask: Option<&DropMask>) -> Result<Tensor> {
    let Some(mask) = mask else {
        return x + residual;
    };
    mask.check(x)?;
    if !fused(&[x, residual]) || x.shape() != residual.shape() {
        return x.mul(&mask.tensor(x)?)? + residual;
    }
    x.contiguous()?
        .apply_op2(&residual.contiguous()?, DropoutAdd(mask.clone()))
}

// ---------------------------------------------------------------------------------------------
// Attention softmax

/// `softmax(scores * scale + mask_bias) * dropout` over the last dim. Scores `[b, h, q, k]`,
/// mask `[b, 1, 1, k]`.
struct AttentionSoftmax {
    scale: f64,
    drop: Option<DropMask>,
}

/// `out = softmax(s * scale + m)`, as candle's composition: subtract the max, exp, divide by
/// the sum.
fn softmax_row<T: Real>(s: &[T], m: &[T], scale: T, out: &mut [T]) {
    out.copy_from_slice(s);
    softmax_in_place(out, m, scale);
}

/// [`softmax_row`] over the scores already in `out`.
fn softmax_in_place<T: Real>(out: &mut [T], m: &[T], scale: T) {
    let mut max = T::NEG_INFINITY;
    for (o, &m) in out.iter_mut().zip(m) {
        *o = *o * scale + m;
        max = max.maximum(*o);
    }
    let mut sum = T::zero();
    for o in out.iter_mut() {
        *o = (*o - max).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
}

impl AttentionSoftmax {
    /// Runs `row(r, scores row, mask row, drop row, out row)` for every row in parallel.
    fn rows<T: Real>(
        &self,
        scores: &[T],
        mask: &[T],
        k: usize,
        per_batch: usize,
        out: &mut [T],
        row: impl Fn(usize, &[T], &[T], Option<&[f32]>, &mut [T]) + Sync,
    ) {
        let drop = self.drop.as_ref().map(DropMask::values);
        out.par_chunks_mut(k)
            .zip(scores.par_chunks(k))
            .enumerate()
            .with_min_len(ROW_BLOCK)
            .for_each(|(r, (o, s))| {
                let m = &mask[(r / per_batch) * k..][..k];
                row(r, s, m, drop.map(|d| &d[r * k..][..k]), o);
            });
    }

    fn dims(&self, l1: &Layout, l2: &Layout) -> Result<(usize, usize)> {
        let (b, h, q, k) = l1.shape().dims4()?;
        if l2.dims() != [b, 1, 1, k] {
            bail!(
                "attention softmax: mask {:?} for scores {:?}",
                l2.dims(),
                l1.dims()
            )
        }
        Ok((k, h * q))
    }

    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (k, per_batch) = self.dims(l1, l2)?;
        let scores = slice::<T>(s1, l1, self.name())?;
        let mask = slice::<T>(s2, l2, self.name())?;
        let scale = T::from_f64(self.scale);
        let mut out = zeros::<T>(scores.len());
        self.rows(scores, mask, k, per_batch, &mut out, |_, s, m, d, o| {
            softmax_row(s, m, scale, o);
            if let Some(d) = d {
                for (o, &d) in o.iter_mut().zip(d) {
                    *o *= T::from_f64(d as f64);
                }
            }
        });
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }

    /// d scores = scale * p * (g' - sum(g' p)) with `g' = grad * dropout`; `p` is recomputed
    /// from the scores (the output has lost it where dropout zeroed it).
    fn bwd_kernel<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (k, per_batch) = self.dims(l1, l2)?;
        let scores = slice::<T>(s1, l1, self.name())?;
        let mask = slice::<T>(s2, l2, self.name())?;
        let grad = slice::<T>(s3, l3, self.name())?;
        let scale = T::from_f64(self.scale);
        let mut out = zeros::<T>(scores.len());
        self.rows(scores, mask, k, per_batch, &mut out, |r, s, m, d, o| {
            softmax_row(s, m, scale, o);
            let g = &grad[r * k..][..k];
            let gd = |i: usize| match d {
                Some(d) => g[i] * T::from_f64(d[i] as f64),
                None => g[i],
            };
            let mut dot = T::zero();
            for (i, &p) in o.iter().enumerate() {
                dot += gd(i) * p;
            }
            for (i, o) in o.iter_mut().enumerate() {
                *o = scale * *o * (gd(i) - dot);
            }
        });
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }
}

op2!(
    AttentionSoftmax,
    "textlab-attention-softmax",
    fn bwd(
        &self,
        scores: &Tensor,
        mask: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = scores.apply_op3_no_bwd(mask, &grad.contiguous()?, &AttentionSoftmaxBwd(self))?;
        Ok((Some(g), None))
    }
);

struct AttentionSoftmaxBwd<'a>(&'a AttentionSoftmax);

impl CustomOp3 for AttentionSoftmaxBwd<'_> {
    fn name(&self) -> &'static str {
        "textlab-attention-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let op = self.0;
        match s1 {
            CpuStorage::F32(_) => op.bwd_kernel::<f32>(s1, l1, s2, l2, s3, l3),
            CpuStorage::F64(_) => op.bwd_kernel::<f64>(s1, l1, s2, l2, s3, l3),
            _ => bail!("{}: the fused kernel takes f32 or f64", self.name()),
        }
    }
}

/// Attention probabilities `dropout(softmax(scores * scale + mask_bias))` over the last dim.
/// `scores` `[b, heads, q, k]`, `mask_bias` `[b, 1, 1, k]` (0 for tokens, a huge negative number
/// for padding); `drop` a mask of `scores`' size, or `None` for no dropout.
pub fn attention_softmax(
    scores: &Tensor,
    mask_bias: &Tensor,
    scale: f64,
    drop: Option<&DropMask>,
) -> Result<Tensor> {
    if let Some(d) = drop {
        d.check(scores)?;
    }
    let (b, k) = match scores.dims() {
        &[b, _, _, k] => (b, k),
        _ => (0, 0),
    };
    if !fused(&[scores, mask_bias]) || mask_bias.dims() != [b, 1, 1, k] {
        let p = candle_nn::ops::softmax(&(scores * scale)?.broadcast_add(mask_bias)?, D::Minus1)?;
        return match drop {
            Some(d) => p.mul(&d.tensor(&p)?),
            None => Ok(p),
        };
    }
    scores.contiguous()?.apply_op2(
        &mask_bias.contiguous()?,
        AttentionSoftmax {
            scale,
            drop: drop.cloned(),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Multi-head attention core

/// `softmax(Q K^T * scale + mask) * dropout . V` for every head, from `q`, `k`, `v` `[b, l, h]`
/// (heads side by side in the last dim) to the context `[b, l, h]`. Heads are read and written
/// in place through strides, so the head split and merge copies, their graph nodes and the
/// score-sized intermediates of the composition are gone. Keeps the probabilities (before
/// dropout) for the backward pass, as the composition kept its softmax output.
struct Attention {
    heads: usize,
    /// `[b, 1, 1, l]` additive mask, in the inputs' dtype.
    mask: Tensor,
    drop: Option<DropMask>,
    /// The forward pass's probabilities `[b, heads, l, l]`.
    probs: std::sync::Mutex<Option<CpuStorage>>,
}

/// Sizes of one attention call: batch, length, hidden, heads, head size, and the row stride of
/// the q/k/v buffers (`h`, or `3 h` when they are packed side by side in one buffer).
#[derive(Debug, Clone, Copy)]
struct AttnDims {
    b: usize,
    l: usize,
    h: usize,
    heads: usize,
    d: usize,
    rs: usize,
}

impl AttnDims {
    /// Offset of head `bh` (batch-major) in a `[b, l, rs]` buffer.
    fn offset(&self, bh: usize) -> usize {
        (bh / self.heads) * self.l * self.rs + (bh % self.heads) * self.d
    }

    /// Head-major `[b, heads, l, d]` into the columns `col..col + h` of `out` `[b, l, out_rs]`.
    fn merge<T: Real>(&self, heads: &[T], out: &mut [T], out_rs: usize, col: usize) {
        let AttnDims {
            l, heads: nh, d, ..
        } = *self;
        out.par_chunks_mut(l * out_rs)
            .enumerate()
            .for_each(|(bi, o)| {
                for hi in 0..nh {
                    let src = &heads[(bi * nh + hi) * l * d..][..l * d];
                    for (li, row) in src.chunks(d).enumerate() {
                        o[li * out_rs + col + hi * d..][..d].copy_from_slice(row);
                    }
                }
            });
    }
}

/// The contiguous CPU data of `t` as `&[T]`, for `f`.
fn with_slice<T: Real, R>(t: &Tensor, op: &str, f: impl FnOnce(&[T]) -> Result<R>) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        candle_core::Storage::Cpu(c) => f(slice::<T>(c, layout, op)?),
        _ => bail!("{op}: the fused kernel runs on the CPU"),
    }
}

impl Attention {
    fn new(heads: usize, mask: Tensor, drop: Option<DropMask>) -> Self {
        Attention {
            heads,
            mask,
            drop,
            probs: std::sync::Mutex::new(None),
        }
    }

    /// Checked sizes for `b` sequences of `l` tokens of hidden size `h`, read with row stride
    /// `rs`.
    fn dims_of(&self, b: usize, l: usize, h: usize, rs: usize) -> Result<AttnDims> {
        if self.heads == 0 || !h.is_multiple_of(self.heads) {
            bail!(
                "attention: {} heads do not divide hidden size {h}",
                self.heads
            )
        }
        if self.mask.dims() != [b, 1, 1, l] {
            bail!(
                "attention: mask {:?} for {b} sequences of {l}",
                self.mask.dims()
            )
        }
        if let Some(dr) = &self.drop
            && dr.values().len() != b * self.heads * l * l
        {
            bail!(
                "attention: dropout mask of {} values for {b} x {} heads x {l} x {l}",
                dr.values().len(),
                self.heads
            )
        }
        Ok(AttnDims {
            b,
            l,
            h,
            heads: self.heads,
            d: h / self.heads,
            rs,
        })
    }

    fn dims(&self, l1: &Layout, l2: &Layout, l3: &Layout) -> Result<AttnDims> {
        let (b, l, h) = l1.shape().dims3()?;
        if l2.dims() != l1.dims() || l3.dims() != l1.dims() {
            bail!(
                "attention: q {:?}, k {:?} and v {:?} differ",
                l1.dims(),
                l2.dims(),
                l3.dims()
            )
        }
        self.dims_of(b, l, h, h)
    }

    fn scale(d: usize) -> f64 {
        1.0 / (d as f64).sqrt()
    }

    /// The context `[b, l, h]` from `q`, `k`, `v` (each read from its first element with the
    /// row stride of `dm`); keeps the probabilities for the backward pass.
    fn fwd_kernel<T: Real>(&self, dm: AttnDims, q: &[T], k: &[T], v: &[T]) -> Result<Vec<T>> {
        let AttnDims {
            b,
            l,
            h,
            heads,
            d,
            rs,
        } = dm;
        let scale = T::from_f64(Self::scale(d));
        let drop = self.drop.as_ref().map(DropMask::values);
        let mut probs = zeros::<T>(b * heads * l * l);
        let mut ctx = zeros::<T>(b * heads * l * d);
        with_slice::<T, _>(&self.mask, self.name(), |mask| {
            probs
                .par_chunks_mut(l * l)
                .zip(ctx.par_chunks_mut(l * d))
                .enumerate()
                .try_for_each(|(bh, (p, c))| {
                    let off = dm.offset(bh);
                    gemm_into((l, l, d), p, false, &q[off..], (rs, 1), &k[off..], (1, rs))?;
                    let m = &mask[(bh / heads) * l..][..l];
                    p.chunks_mut(l)
                        .for_each(|row| softmax_in_place(row, m, scale));
                    match drop {
                        Some(dr) => {
                            let pd: Vec<T> = p
                                .iter()
                                .zip(&dr[bh * l * l..][..l * l])
                                .map(|(&p, &k)| p * T::from_f64(k as f64))
                                .collect();
                            gemm_into((l, d, l), c, false, &pd, (l, 1), &v[off..], (rs, 1))
                        }
                        None => gemm_into((l, d, l), c, false, p, (l, 1), &v[off..], (rs, 1)),
                    }
                })
        })?;
        let mut out = zeros::<T>(b * l * h);
        dm.merge(&ctx, &mut out, h, 0);
        if let Ok(mut saved) = self.probs.lock() {
            *saved = Some(T::to_cpu_storage_owned(probs));
        }
        Ok(out)
    }

    /// `[dq, dk, dv]` head-major (`[b, heads, l, d]` each) in one buffer, from the context's
    /// gradient `g` `[b, l, h]`.
    fn bwd_kernel<T: Real>(
        &self,
        dm: AttnDims,
        q: &[T],
        k: &[T],
        v: &[T],
        g: &[T],
    ) -> Result<Vec<T>> {
        let AttnDims {
            b,
            l,
            h,
            heads,
            d,
            rs,
        } = dm;
        let saved = self.probs.lock().map_err(|_| {
            candle_core::Error::Msg("attention: probabilities lock poisoned".into())
        })?;
        let Some(probs) = saved.as_ref() else {
            bail!("attention: backward before forward")
        };
        let probs = T::cpu_storage_as_slice(probs)?;
        if g.len() != b * l * h {
            bail!("attention: gradient of another size")
        }
        let scale = T::from_f64(Self::scale(d));
        let drop = self.drop.as_ref().map(DropMask::values);
        // The context's gradient is read per head through the [b, l, h] layout.
        let gd = AttnDims { rs: h, ..dm };
        let n = b * heads * l * d;
        let mut grads = zeros::<T>(3 * n);
        let (dq, rest) = grads.split_at_mut(n);
        let (dk, dv) = rest.split_at_mut(n);
        dq.par_chunks_mut(l * d)
            .zip(dk.par_chunks_mut(l * d))
            .zip(dv.par_chunks_mut(l * d))
            .enumerate()
            .try_for_each(|(bh, ((dq, dk), dv))| {
                let off = dm.offset(bh);
                let goff = gd.offset(bh);
                let p = &probs[bh * l * l..][..l * l];
                let dr = drop.map(|dr| &dr[bh * l * l..][..l * l]);
                // dV = (P * drop)^T dCtx
                let pd: Vec<T> = match dr {
                    Some(dr) => p
                        .iter()
                        .zip(dr)
                        .map(|(&p, &k)| p * T::from_f64(k as f64))
                        .collect(),
                    None => p.to_vec(),
                };
                gemm_into((l, d, l), dv, false, &pd, (1, l), &g[goff..], (h, 1))?;
                // d(P * drop) = dCtx V^T, then through dropout and the softmax
                let mut ds = vec![T::zero(); l * l];
                gemm_into(
                    (l, l, d),
                    &mut ds,
                    false,
                    &g[goff..],
                    (h, 1),
                    &v[off..],
                    (1, rs),
                )?;
                if let Some(dr) = dr {
                    for (x, &k) in ds.iter_mut().zip(dr) {
                        *x *= T::from_f64(k as f64);
                    }
                }
                for (row, p) in ds.chunks_mut(l).zip(p.chunks(l)) {
                    let mut dot = T::zero();
                    for (&x, &p) in row.iter().zip(p) {
                        dot += x * p;
                    }
                    for (x, &p) in row.iter_mut().zip(p) {
                        *x = scale * p * (*x - dot);
                    }
                }
                // dQ = dS K, dK = dS^T Q
                gemm_into((l, d, l), dq, false, &ds, (l, 1), &k[off..], (rs, 1))?;
                gemm_into((l, d, l), dk, false, &ds, (1, l), &q[off..], (rs, 1))
            })?;
        Ok(grads)
    }

    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dm = self.dims(l1, l2, l3)?;
        let q = slice::<T>(s1, l1, self.name())?;
        let k = slice::<T>(s2, l2, self.name())?;
        let v = slice::<T>(s3, l3, self.name())?;
        let out = self.fwd_kernel(dm, q, k, v)?;
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }

    fn bwd_typed<T: Real>(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dm = self.dims(q.layout(), k.layout(), v.layout())?;
        let n = dm.b * dm.l * dm.h;
        let out = with_slice::<T, _>(q, self.name(), |q| {
            with_slice::<T, _>(k, self.name(), |k| {
                with_slice::<T, _>(v, self.name(), |v| {
                    with_slice::<T, _>(g, self.name(), |g| {
                        let heads = self.bwd_kernel(dm, q, k, v, g)?;
                        let mut out = zeros::<T>(3 * n);
                        for (o, hd) in out.chunks_mut(n).zip(heads.chunks(n)) {
                            dm.merge(hd, o, dm.h, 0);
                        }
                        Ok(out)
                    })
                })
            })
        })?;
        let out = Tensor::from_vec(out, 3 * n, q.device())?;
        let part = |i: usize| out.narrow(0, i * n, n)?.reshape(q.shape());
        Ok((Some(part(0)?), Some(part(1)?), Some(part(2)?)))
    }
}

op3!(Attention, "textlab-attention", typed_bwd(q, k, v) => (q, k, v));

/// Self-attention from the layer input: the query, key and value projections as one product
/// `x W^T + b` with the three weights stacked (`W` `[3 h, h]`, `b` `[3 h]`), then [`Attention`]
/// reading the heads in place from that packed `[b, l, 3 h]` buffer. One graph node from `x` to
/// the context: `x` gets one gradient edge instead of three, q/k/v none (each edge costs candle
/// a zeroed buffer and an add), and the backward takes one product of `3 h` columns where it
/// took three of `h`. Keeps the packed projections for the backward pass.
struct SelfAttention {
    attn: Attention,
    /// The forward pass's `x W^T + b`, `[b, l, 3 h]`.
    qkv: std::sync::Mutex<Option<CpuStorage>>,
}

impl SelfAttention {
    /// Sizes, from `x` `[b, l, h]`, `W` `[3 h, h]` and `b` `[3 h]`.
    fn dims(&self, l1: &Layout, l2: &Layout, l3: &Layout) -> Result<AttnDims> {
        let (b, l, h) = l1.shape().dims3()?;
        if l2.dims() != [3 * h, h] || l3.dims() != [3 * h] {
            bail!(
                "self-attention: weight {:?} and bias {:?} for input {:?} (want [3h, h], [3h])",
                l2.dims(),
                l3.dims(),
                l1.dims()
            )
        }
        self.attn.dims_of(b, l, h, 3 * h)
    }

    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dm = self.dims(l1, l2, l3)?;
        let h = dm.h;
        let x = slice::<T>(s1, l1, self.name())?;
        let w = slice::<T>(s2, l2, self.name())?;
        let b = slice::<T>(s3, l3, self.name())?;
        let qkv = linear_fwd((dm.b * dm.l, h, 3 * h), x, w, b)?;
        let out = self.attn.fwd_kernel(dm, &qkv, &qkv[h..], &qkv[2 * h..])?;
        if let Ok(mut saved) = self.qkv.lock() {
            *saved = Some(T::to_cpu_storage_owned(qkv));
        }
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }

    /// `[dx (b l h), dW (3 h h), db (3 h)]` in one buffer.
    fn bwd_kernel<T: Real>(&self, dm: AttnDims, x: &[T], w: &[T], g: &[T]) -> Result<Vec<T>> {
        let (rows, h) = (dm.b * dm.l, dm.h);
        let saved = self.qkv.lock().map_err(|_| {
            candle_core::Error::Msg("self-attention: projections lock poisoned".into())
        })?;
        let Some(qkv) = saved.as_ref() else {
            bail!("self-attention: backward before forward")
        };
        let qkv = T::cpu_storage_as_slice(qkv)?;
        let heads = self.attn.bwd_kernel(dm, qkv, &qkv[h..], &qkv[2 * h..], g)?;
        let n = rows * h;
        let mut dqkv = zeros::<T>(3 * n);
        for (i, hd) in heads.chunks(n).enumerate() {
            dm.merge(hd, &mut dqkv, 3 * h, i * h);
        }
        drop(heads);
        let mut all = linear_dx((rows, h, 3 * h), &dqkv, w)?;
        all.extend_from_slice(&linear_dwb((rows, h, 3 * h), x, &dqkv)?);
        Ok(all)
    }

    fn bwd_typed<T: Real>(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dm = self.dims(x.layout(), w.layout(), b.layout())?;
        let all = with_slice::<T, _>(x, self.name(), |xs| {
            with_slice::<T, _>(w, self.name(), |ws| {
                with_slice::<T, _>(g, self.name(), |gs| self.bwd_kernel(dm, xs, ws, gs))
            })
        })?;
        let (n, h) = (x.elem_count(), dm.h);
        let all = Tensor::from_vec(all, n + 3 * h * h + 3 * h, x.device())?;
        let dx = all.narrow(0, 0, n)?.reshape(x.shape())?;
        let dw = all.narrow(0, n, 3 * h * h)?.reshape((3 * h, h))?;
        let db = all.narrow(0, n + 3 * h * h, 3 * h)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

op3!(SelfAttention, "textlab-self-attention", typed_bwd(x, w, b) => (x, w, b));

/// The composition of candle ops that [`attention`] fuses (and runs where it cannot).
fn attention_unfused(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask_bias: &Tensor,
    heads: usize,
    drop: Option<&DropMask>,
) -> Result<Tensor> {
    let (b, l, h) = q.dims3()?;
    if heads == 0 || h % heads != 0 {
        bail!("attention: {heads} heads do not divide hidden size {h}")
    }
    let d = h / heads;
    let split = |t: &Tensor| t.reshape((b, l, heads, d))?.transpose(1, 2)?.contiguous();
    let (q, k, v) = (split(q)?, split(k)?, split(v)?);
    let scores = q.matmul(&k.t()?)?;
    let probs = attention_softmax(&scores, mask_bias, 1.0 / (d as f64).sqrt(), drop)?;
    probs.matmul(&v)?.transpose(1, 2)?.reshape((b, l, h))
}

/// Multi-head scaled dot-product attention: `q`, `k`, `v` `[b, l, h]` with `heads` heads side
/// by side in the last dim, `mask_bias` `[b, 1, 1, l]` (0 for tokens, a huge negative number for
/// padding), `drop` a dropout mask over the `[b, heads, l, l]` probabilities (or `None`).
/// Returns the context `[b, l, h]`, heads merged.
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask_bias: &Tensor,
    heads: usize,
    drop: Option<&DropMask>,
) -> Result<Tensor> {
    let (b, l, h) = q.dims3()?;
    if let Some(dr) = drop
        && (heads == 0 || dr.values().len() != b * heads * l * l)
    {
        bail!(
            "attention: dropout mask of {} values for {b} x {heads} heads x {l} x {l}",
            dr.values().len()
        )
    }
    let shapes_fit = k.dims() == q.dims()
        && v.dims() == q.dims()
        && mask_bias.dims() == [b, 1, 1, l]
        && heads > 0
        && h % heads == 0;
    if !fused(&[q, k, v]) || !shapes_fit || !mask_bias.device().is_cpu() {
        return attention_unfused(q, k, v, mask_bias, heads, drop);
    }
    q.contiguous()?.apply_op3(
        &k.contiguous()?,
        &v.contiguous()?,
        Attention::new(
            heads,
            mask_bias.to_dtype(q.dtype())?.contiguous()?,
            drop.cloned(),
        ),
    )
}

/// Multi-head self-attention from the layer input `x` `[b, l, h]`: `q`, `k`, `v` are
/// `x W^T + b` with the query, key and value weights stacked in `w_qkv` `[3 h, h]` (HF's
/// `[out, in]` layout, in that order) and their biases in `b_qkv` `[3 h]`; then as
/// [`attention`]. Returns the context `[b, l, h]`, heads merged.
pub fn self_attention(
    x: &Tensor,
    w_qkv: &Tensor,
    b_qkv: &Tensor,
    mask_bias: &Tensor,
    heads: usize,
    drop: Option<&DropMask>,
) -> Result<Tensor> {
    let (b, l, h) = x.dims3()?;
    if w_qkv.dims() != [3 * h, h] || b_qkv.dims() != [3 * h] {
        bail!(
            "self-attention: weight {:?} and bias {:?} for input {:?} (want [3h, h], [3h])",
            w_qkv.dims(),
            b_qkv.dims(),
            x.dims()
        )
    }
    if let Some(dr) = drop
        && (heads == 0 || dr.values().len() != b * heads * l * l)
    {
        bail!(
            "attention: dropout mask of {} values for {b} x {heads} heads x {l} x {l}",
            dr.values().len()
        )
    }
    let shapes_fit = mask_bias.dims() == [b, 1, 1, l] && heads > 0 && h % heads == 0;
    if !fused(&[x, w_qkv, b_qkv]) || !shapes_fit || !mask_bias.device().is_cpu() {
        let qkv = linear(x, w_qkv, b_qkv)?;
        let part = |i: usize| qkv.narrow(2, i * h, h);
        return attention(&part(0)?, &part(1)?, &part(2)?, mask_bias, heads, drop);
    }
    x.contiguous()?.apply_op3(
        &w_qkv.contiguous()?,
        &b_qkv.contiguous()?,
        SelfAttention {
            attn: Attention::new(
                heads,
                mask_bias.to_dtype(x.dtype())?.contiguous()?,
                drop.cloned(),
            ),
            qkv: std::sync::Mutex::new(None),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Layer norm

struct LayerNorm {
    eps: f64,
}

/// Mean and standard deviation of a row, two-pass as the unfused composition.
/// One row of layer norm's backward: `dx` for the row `x` that was normalised, from its output
/// gradient `g` and the weight `w`; the row's shares of dw and db are added into `pw` and `pb`.
fn norm_row_bwd<T: Real>(
    x: &[T],
    g: &[T],
    w: &[T],
    eps: T,
    dx: &mut [T],
    pw: &mut [T],
    pb: &mut [T],
) {
    let n = x.len();
    let nf = T::from_f64(n as f64);
    let (mean, std) = moments(x, eps);
    let (mut a, mut c) = (T::zero(), T::zero());
    for i in 0..n {
        let xh = (x[i] - mean) / std;
        let gw = g[i] * w[i];
        a += gw;
        c += gw * xh;
        pw[i] += g[i] * xh;
        pb[i] += g[i];
    }
    let (a, c) = (a / nf, c / nf);
    for i in 0..n {
        let xh = (x[i] - mean) / std;
        dx[i] = (g[i] * w[i] - a - xh * c) / std;
    }
}

fn moments<T: Real>(x: &[T], eps: T) -> (T, T) {
    let n = T::from_f64(x.len() as f64);
    let mut sum = T::zero();
    for &v in x {
        sum += v;
    }
    let mean = sum / n;
    let mut var = T::zero();
    for &v in x {
        let c = v - mean;
        var += c * c;
    }
    (mean, (var / n + eps).sqrt())
}

impl LayerNorm {
    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, n) = rows_of(l1);
        let x = slice::<T>(s1, l1, self.name())?;
        let w = slice::<T>(s2, l2, self.name())?;
        let b = slice::<T>(s3, l3, self.name())?;
        if w.len() != n || b.len() != n {
            bail!(
                "layer norm: weight/bias of {}/{} for rows of {n}",
                w.len(),
                b.len()
            )
        }
        let eps = T::from_f64(self.eps);
        let mut out = zeros::<T>(x.len());
        out.par_chunks_mut(n)
            .zip(x.par_chunks(n))
            .with_min_len(ROW_BLOCK)
            .for_each(|(o, x)| {
                let (mean, std) = moments(x, eps);
                for (((o, &x), &w), &b) in o.iter_mut().zip(x).zip(w).zip(b) {
                    *o = (x - mean) / std * w + b;
                }
            });
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }

    /// `[dx (rows * n), dw (n), db (n)]`.
    fn bwd_kernel<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, n) = rows_of(l1);
        let x = slice::<T>(s1, l1, self.name())?;
        let w = slice::<T>(s2, l2, self.name())?;
        let g = slice::<T>(s3, l3, self.name())?;
        let eps = T::from_f64(self.eps);
        let mut out = zeros::<T>(x.len() + 2 * n);
        let (dx, tail) = out.split_at_mut(x.len());
        let partials: Vec<Vec<T>> = dx
            .par_chunks_mut(n * ROW_BLOCK)
            .zip(x.par_chunks(n * ROW_BLOCK))
            .zip(g.par_chunks(n * ROW_BLOCK))
            .map(|((dx, x), g)| {
                // dw then db of this block
                let mut part = vec![T::zero(); 2 * n];
                let (pw, pb) = part.split_at_mut(n);
                for ((dx, x), g) in dx.chunks_mut(n).zip(x.chunks(n)).zip(g.chunks(n)) {
                    norm_row_bwd(x, g, w, eps, dx, pw, pb);
                }
                part
            })
            .collect();
        tail.copy_from_slice(&add_partials(partials, 2 * n));
        Ok((T::to_cpu_storage_owned(out), Shape::from(x.len() + 2 * n)))
    }
}

op3!(
    LayerNorm,
    "textlab-layer-norm",
    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let out = x.apply_op3_no_bwd(w, &grad.contiguous()?, &LayerNormBwd(self))?;
        let (dx, mut wb) = split_grads(out, x, 2)?;
        let db = wb.pop();
        let dw = wb.pop();
        Ok((Some(dx), dw, db))
    }
);

struct LayerNormBwd<'a>(&'a LayerNorm);

impl CustomOp3 for LayerNormBwd<'_> {
    fn name(&self) -> &'static str {
        "textlab-layer-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let op = self.0;
        match s1 {
            CpuStorage::F32(_) => op.bwd_kernel::<f32>(s1, l1, s2, l2, s3, l3),
            CpuStorage::F64(_) => op.bwd_kernel::<f64>(s1, l1, s2, l2, s3, l3),
            _ => bail!("{}: the fused kernel takes f32 or f64", self.name()),
        }
    }
}

/// Layer normalisation over the last dimension: `(x - mean) / sqrt(var + eps) * weight + bias`.
pub fn layer_norm(x: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    let n = x.dims().last().copied().unwrap_or(0);
    if !fused(&[x, weight, bias]) || weight.dims() != [n] || bias.dims() != [n] {
        let mean = x.mean_keepdim(D::Minus1)?;
        let xc = x.broadcast_sub(&mean)?;
        let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
        let xn = xc.broadcast_div(&(var + eps)?.sqrt()?)?;
        return xn.broadcast_mul(weight)?.broadcast_add(bias);
    }
    x.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        LayerNorm { eps },
    )
}

/// `layer_norm(x * mask + residual)` with the norm's weight and bias stacked in one `[2 n]`
/// tensor: a sublayer's output dropout, the residual connection and the norm in one graph node.
/// The sum is recomputed in the backward pass instead of kept, and the sum's gradient never
/// becomes a graph edge (each edge costs candle a zeroed buffer and an add). Same operations in the
/// same order as [`dropout_add`] then [`layer_norm`], so the same bits.
struct DropoutAddNorm {
    drop: Option<DropMask>,
    eps: f64,
}

impl DropoutAddNorm {
    /// `(rows, n)`, checking the residual and the stacked weight and bias.
    fn dims(&self, l1: &Layout, l2: &Layout, l3: &Layout) -> Result<(usize, usize)> {
        let (rows, n) = rows_of(l1);
        if l2.dims() != l1.dims() || l3.dims() != [2 * n] {
            bail!(
                "dropout-add-norm: residual {:?} and weight+bias {:?} for input {:?}",
                l2.dims(),
                l3.dims(),
                l1.dims()
            )
        }
        if let Some(d) = &self.drop
            && d.values().len() != rows * n
        {
            bail!(
                "dropout-add-norm: dropout mask of {} values for {} values",
                d.values().len(),
                rows * n
            )
        }
        Ok((rows, n))
    }

    /// `x * mask + residual` for row `i` into `s`.
    fn sum_row<T: Real>(&self, i: usize, x: &[T], r: &[T], s: &mut [T]) {
        let n = s.len();
        match &self.drop {
            Some(d) => {
                for ((s, (&x, &r)), &k) in s.iter_mut().zip(x.iter().zip(r)).zip(&d.0[i * n..][..n])
                {
                    *s = x * T::from_f64(k as f64) + r;
                }
            }
            None => {
                for (s, (&x, &r)) in s.iter_mut().zip(x.iter().zip(r)) {
                    *s = x + r;
                }
            }
        }
    }

    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, n) = self.dims(l1, l2, l3)?;
        let x = slice::<T>(s1, l1, self.name())?;
        let r = slice::<T>(s2, l2, self.name())?;
        let wb = slice::<T>(s3, l3, self.name())?;
        let (w, b) = wb.split_at(n);
        let eps = T::from_f64(self.eps);
        let mut out = zeros::<T>(x.len());
        out.par_chunks_mut(n)
            .zip(x.par_chunks(n).zip(r.par_chunks(n)))
            .enumerate()
            .with_min_len(ROW_BLOCK)
            .for_each(|(i, (o, (x, r)))| {
                self.sum_row(i, x, r, o);
                let (mean, std) = moments(o, eps);
                for ((o, &w), &b) in o.iter_mut().zip(w).zip(b) {
                    *o = (*o - mean) / std * w + b;
                }
            });
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }

    /// `[dx (rows * n), dresidual (rows * n), dw (n), db (n)]`.
    #[allow(clippy::too_many_arguments)]
    fn bwd_kernel<T: Real>(
        &self,
        x: &[T],
        r: &[T],
        wb: &[T],
        g: &[T],
        rows: usize,
        n: usize,
    ) -> Result<Vec<T>> {
        if x.len() != rows * n || r.len() != x.len() || g.len() != x.len() || wb.len() != 2 * n {
            bail!("{}: gradient of another size", self.name())
        }
        let w = &wb[..n];
        let eps = T::from_f64(self.eps);
        let mut out = zeros::<T>(2 * x.len() + 2 * n);
        let (dx, rest) = out.split_at_mut(x.len());
        let (dr, tail) = rest.split_at_mut(x.len());
        let block = n * ROW_BLOCK;
        let partials: Vec<Vec<T>> = dx
            .par_chunks_mut(block)
            .zip(dr.par_chunks_mut(block))
            .zip(x.par_chunks(block).zip(r.par_chunks(block)))
            .zip(g.par_chunks(block))
            .enumerate()
            .map(|(bi, (((dx, dr), (x, r)), g))| {
                // dw then db of this block
                let mut part = vec![T::zero(); 2 * n];
                let (pw, pb) = part.split_at_mut(n);
                let mut s = vec![T::zero(); n];
                let rows = dx.chunks_mut(n).zip(dr.chunks_mut(n));
                for (j, ((dx, dr), ((x, r), g))) in rows
                    .zip(x.chunks(n).zip(r.chunks(n)).zip(g.chunks(n)))
                    .enumerate()
                {
                    let i = bi * ROW_BLOCK + j;
                    self.sum_row(i, x, r, &mut s);
                    norm_row_bwd(&s, g, w, eps, dr, pw, pb);
                    match &self.drop {
                        Some(d) => {
                            for ((dx, &dr), &m) in dx.iter_mut().zip(&*dr).zip(&d.0[i * n..][..n]) {
                                *dx = dr * T::from_f64(m as f64);
                            }
                        }
                        None => dx.copy_from_slice(dr),
                    }
                }
                part
            })
            .collect();
        tail.copy_from_slice(&add_partials(partials, 2 * n));
        Ok(out)
    }

    fn bwd_typed<T: Real>(
        &self,
        x: &Tensor,
        r: &Tensor,
        wb: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (rows, n) = self.dims(x.layout(), r.layout(), wb.layout())?;
        let all = with_slice::<T, _>(x, self.name(), |xs| {
            with_slice::<T, _>(r, self.name(), |rs| {
                with_slice::<T, _>(wb, self.name(), |wbs| {
                    with_slice::<T, _>(g, self.name(), |gs| {
                        self.bwd_kernel(xs, rs, wbs, gs, rows, n)
                    })
                })
            })
        })?;
        let m = rows * n;
        let all = Tensor::from_vec(all, 2 * m + 2 * n, x.device())?;
        let dx = all.narrow(0, 0, m)?.reshape(x.shape())?;
        let dr = all.narrow(0, m, m)?.reshape(x.shape())?;
        let dwb = all.narrow(0, 2 * m, 2 * n)?.copy()?;
        Ok((Some(dx), Some(dr), Some(dwb)))
    }
}

op3!(DropoutAddNorm, "textlab-dropout-add-norm", typed_bwd(x, r, wb) => (x, r, wb));

/// `layer_norm(dropout_add(x, residual, mask), weight, bias, eps)` in one graph node: a
/// sublayer's output dropout, residual connection and layer norm.
pub fn dropout_add_norm(
    x: &Tensor,
    residual: &Tensor,
    mask: Option<&DropMask>,
    weight: &Tensor,
    bias: &Tensor,
    eps: f64,
) -> Result<Tensor> {
    if let Some(m) = mask {
        m.check(x)?;
    }
    let n = x.dims().last().copied().unwrap_or(0);
    if !fused(&[x, residual, weight, bias])
        || x.shape() != residual.shape()
        || weight.dims() != [n]
        || bias.dims() != [n]
    {
        return layer_norm(&dropout_add(x, residual, mask)?, weight, bias, eps);
    }
    x.contiguous()?.apply_op3(
        &residual.contiguous()?,
        &Tensor::cat(&[weight, bias], 0)?,
        DropoutAddNorm {
            drop: mask.cloned(),
            eps,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Embeddings

/// `word[ids] + position[positions] + token_type[0]` for every token, from the three tables.
/// The backward scatters the gradient rows into the tables' gradients with the hidden columns
/// split between threads (every element still adds its rows in token order, so the bits do not
/// depend on the thread count), where the composition took two gathers, two activation-sized adds
/// and their graph edges, and a serial scatter per table.
struct Embed {
    ids: Vec<u32>,
    positions: Vec<u32>,
}

/// Columns per rayon task in the embedding backward's scatter.
const COL_BLOCK: usize = 16;

impl Embed {
    /// `(tokens, hidden)`, checking every id against its table.
    fn dims(&self, l1: &Layout, l2: &Layout, l3: &Layout) -> Result<(usize, usize)> {
        let (vocab, h) = l1.shape().dims2()?;
        let (npos, h2) = l2.shape().dims2()?;
        let (ntt, h3) = l3.shape().dims2()?;
        if h2 != h || h3 != h || ntt == 0 || self.ids.len() != self.positions.len() {
            bail!(
                "embeddings: tables {:?}, {:?}, {:?} for {} ids and {} positions",
                l1.dims(),
                l2.dims(),
                l3.dims(),
                self.ids.len(),
                self.positions.len()
            )
        }
        if self.ids.iter().any(|&i| i as usize >= vocab)
            || self.positions.iter().any(|&p| p as usize >= npos)
        {
            bail!("embeddings: an id or position beyond its table ({vocab} / {npos} rows)")
        }
        Ok((self.ids.len(), h))
    }

    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, h) = self.dims(l1, l2, l3)?;
        let word = slice::<T>(s1, l1, self.name())?;
        let pos = slice::<T>(s2, l2, self.name())?;
        let tt = &slice::<T>(s3, l3, self.name())?[..h];
        let mut out = zeros::<T>(n * h);
        out.par_chunks_mut(h)
            .enumerate()
            .with_min_len(ROW_BLOCK)
            .for_each(|(r, o)| {
                let w = &word[self.ids[r] as usize * h..][..h];
                let p = &pos[self.positions[r] as usize * h..][..h];
                for (((o, &w), &p), &t) in o.iter_mut().zip(w).zip(p).zip(tt) {
                    *o = w + p + t;
                }
            });
        Ok((T::to_cpu_storage_owned(out), Shape::from((n, h))))
    }

    /// `table_rows x h` gradient of a table read at `index`: the rows of `g` added in token
    /// order, columns in parallel blocks.
    fn scatter<T: Real>(index: &[u32], g: &[T], rows: usize, h: usize) -> Vec<T> {
        let mut out = zeros::<T>(rows * h);
        let cols: Vec<usize> = (0..h).step_by(COL_BLOCK).collect();
        let out_ptr = SendPtr(out.as_mut_ptr());
        cols.par_iter().for_each(|&c0| {
            let c1 = (c0 + COL_BLOCK).min(h);
            for (r, &i) in index.iter().enumerate() {
                let src = &g[r * h + c0..r * h + c1];
                // SAFETY: each task writes only its own columns c0..c1 of `out`, whose rows are
                // `i * h..(i + 1) * h` with `i` checked against `rows` in `dims`.
                let dst = unsafe {
                    std::slice::from_raw_parts_mut(out_ptr.get().add(i as usize * h + c0), c1 - c0)
                };
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        });
        out
    }

    fn bwd_typed<T: Real>(
        &self,
        word: &Tensor,
        pos: &Tensor,
        tt: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, h) = self.dims(word.layout(), pos.layout(), tt.layout())?;
        let dev = word.device();
        with_slice::<T, _>(g, self.name(), |g| {
            if g.len() != n * h {
                bail!("{}: gradient of another size", self.name())
            }
            let dword = Self::scatter(&self.ids, g, word.dim(0)?, h);
            let dpos = Self::scatter(&self.positions, g, pos.dim(0)?, h);
            // Token type row 0 gets every row: fixed blocks of rows added in order.
            let partials: Vec<Vec<T>> = g
                .par_chunks(h * ROW_BLOCK)
                .map(|g| {
                    let mut part = vec![T::zero(); h];
                    for g in g.chunks(h) {
                        for (p, &g) in part.iter_mut().zip(g) {
                            *p += g;
                        }
                    }
                    part
                })
                .collect();
            let mut dtt = vec![T::zero(); tt.elem_count()];
            dtt[..h].copy_from_slice(&add_partials(partials, h));
            Ok((
                Some(Tensor::from_vec(dword, word.shape(), dev)?),
                Some(Tensor::from_vec(dpos, pos.shape(), dev)?),
                Some(Tensor::from_vec(dtt, tt.shape(), dev)?),
            ))
        })
    }
}

/// A raw pointer that rayon tasks may share; each task writes a disjoint part.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: used only for disjoint writes from rayon tasks while the owner waits.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

op3!(Embed, "textlab-embed", typed_bwd(word, pos, tt) => (word, pos, tt));

/// `word[ids] + position[positions] + token_type[0]`, `[tokens, h]`, for `ids` and `positions`
/// u32 tensors of any shape (flattened): the embeddings' sum in one graph node.
pub fn embed(
    word: &Tensor,
    position: &Tensor,
    token_type: &Tensor,
    ids: &Tensor,
    positions: &Tensor,
) -> Result<Tensor> {
    let (ids, positions) = (ids.flatten_all()?, positions.flatten_all()?);
    if !fused(&[word, position, token_type])
        || ids.dtype() != DType::U32
        || positions.dtype() != DType::U32
        || ids.elem_count() == 0
    {
        let words = word.index_select(&ids, 0)?;
        let pos = position.index_select(&positions, 0)?;
        return (words + pos)?.broadcast_add(&token_type.narrow(0, 0, 1)?);
    }
    word.contiguous()?.apply_op3(
        &position.contiguous()?,
        &token_type.contiguous()?,
        Embed {
            ids: ids.to_vec1::<u32>()?,
            positions: positions.to_vec1::<u32>()?,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Linear layer and GELU

/// Checked `gemm`: `dst (m x n, row stride n) = [dst +] lhs (m x k) . rhs (k x n)`, operands given
/// by row and column strides. Errors (instead of reading out of bounds) when a slice is too short.
#[allow(clippy::too_many_arguments)]
fn gemm_into<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    accumulate: bool,
    lhs: &[T],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[T],
    (rhs_rs, rhs_cs): (usize, usize),
) -> Result<()> {
    let need = |rows: usize, cols: usize, rs: usize, cs: usize| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    if dst.len() < m * n
        || lhs.len() < need(m, k, lhs_rs, lhs_cs)
        || rhs.len() < need(k, n, rhs_rs, rhs_cs)
    {
        bail!("linear: operand sizes do not match the product ({m} x {k}) . ({k} x {n})")
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    let threads = candle_core::utils::get_num_threads();
    // Inside a rayon task (one attention head of many) the product runs on that task's thread.
    let parallelism = if threads > 1 && rayon::current_thread_index().is_none() {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the checks above keep every index gemm forms, `i * rs + j * cs` with i, j below
    // the given sizes, inside the slices; dst is written through its unique borrow.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

/// `x W^T + b` over the last dim of `x`, `W` `[out, in]` (HF's layout), `b` `[out]`.
struct Linear;

impl Linear {
    fn dims(l1: &Layout, l2: &Layout, l3: &Layout) -> Result<(usize, usize, usize, Shape)> {
        let (rows, input) = rows_of(l1);
        let (out, w_in) = l2.shape().dims2()?;
        if w_in != input || l3.dims() != [out] {
            bail!(
                "linear: weight {:?} and bias {:?} for input {:?}",
                l2.dims(),
                l3.dims(),
                l1.dims()
            )
        }
        let mut shape = l1.dims().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = out;
        }
        Ok((rows, input, out, Shape::from(shape)))
    }

    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (rows, input, out, shape) = Self::dims(l1, l2, l3)?;
        let x = slice::<T>(s1, l1, self.name())?;
        let w = slice::<T>(s2, l2, self.name())?;
        let b = slice::<T>(s3, l3, self.name())?;
        let y = linear_fwd((rows, input, out), x, w, b)?;
        Ok((T::to_cpu_storage_owned(y), shape))
    }
}

/// `x W^T + b` for `rows` rows: every row starts as the bias (filled in parallel blocks), then
/// gemm adds `x W^T` to it.
fn linear_fwd<T: Real>(
    (rows, input, out): (usize, usize, usize),
    x: &[T],
    w: &[T],
    b: &[T],
) -> Result<Vec<T>> {
    let mut y = zeros::<T>(rows * out);
    y.par_chunks_mut(out * ROW_BLOCK)
        .for_each(|y| y.chunks_mut(out).for_each(|r| r.copy_from_slice(b)));
    gemm_into(
        (rows, out, input),
        &mut y,
        true,
        x,
        (input, 1),
        w,
        (1, input),
    )?;
    Ok(y)
}

/// `grad W` (`[rows, input]`) from `grad` `[rows, out]` and `W` `[out, input]`.
fn linear_dx<T: Real>(
    (rows, input, out): (usize, usize, usize),
    g: &[T],
    w: &[T],
) -> Result<Vec<T>> {
    let mut dx = zeros::<T>(rows * input);
    gemm_into(
        (rows, input, out),
        &mut dx,
        false,
        g,
        (out, 1),
        w,
        (input, 1),
    )?;
    Ok(dx)
}

/// `[grad^T x, column sums of grad]` (the weight's and the bias's gradients in one buffer) from
/// `x` `[rows, input]` and `grad` `[rows, out]`. The column sums add fixed blocks of rows in a
/// fixed order.
fn linear_dwb<T: Real>(
    (rows, input, out): (usize, usize, usize),
    x: &[T],
    g: &[T],
) -> Result<Vec<T>> {
    let mut dwb = zeros::<T>(out * input + out);
    let (dw, db) = dwb.split_at_mut(out * input);
    // dW = grad^T x: grad^T is grad read with its strides swapped.
    gemm_into((out, input, rows), dw, false, g, (1, out), x, (input, 1))?;
    let partials: Vec<Vec<T>> = g
        .par_chunks(out * ROW_BLOCK)
        .map(|g| {
            let mut part = vec![T::zero(); out];
            for g in g.chunks(out) {
                for (p, &g) in part.iter_mut().zip(g) {
                    *p += g;
                }
            }
            part
        })
        .collect();
    db.copy_from_slice(&add_partials(partials, out));
    Ok(dwb)
}

op3!(
    Linear,
    "textlab-linear",
    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let dx = g.apply_op2_no_bwd(w, &LinearBwd::Input)?;
        let dwb = x.apply_op2_no_bwd(&g, &LinearBwd::Params)?;
        let (out, input) = w.dims2()?;
        let dw = dwb.narrow(0, 0, out * input)?.reshape((out, input))?;
        let db = dwb.narrow(0, out * input, out)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
);

/// The linear layer's backward: `Input` takes `(grad, W)` and gives `grad W`; `Params` takes
/// `(x, grad)` and gives `[grad^T x, column sums of grad]` (the weight's and the bias's
/// gradients in one buffer, both parameter-sized).
enum LinearBwd {
    Input,
    Params,
}

impl LinearBwd {
    fn kernel<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let a = slice::<T>(s1, l1, self.name())?;
        let b = slice::<T>(s2, l2, self.name())?;
        match self {
            LinearBwd::Input => {
                let (rows, out) = rows_of(l1);
                let (w_out, input) = l2.shape().dims2()?;
                if w_out != out {
                    bail!(
                        "linear backward: gradient {:?} for weight {:?}",
                        l1.dims(),
                        l2.dims()
                    )
                }
                let dx = linear_dx((rows, input, out), a, b)?;
                let mut shape = l1.dims().to_vec();
                if let Some(last) = shape.last_mut() {
                    *last = input;
                }
                Ok((T::to_cpu_storage_owned(dx), Shape::from(shape)))
            }
            LinearBwd::Params => {
                let (rows, input) = rows_of(l1);
                let (g_rows, out) = rows_of(l2);
                if g_rows != rows {
                    bail!(
                        "linear backward: gradient {:?} for input {:?}",
                        l2.dims(),
                        l1.dims()
                    )
                }
                let dwb = linear_dwb((rows, input, out), a, b)?;
                Ok((T::to_cpu_storage_owned(dwb), Shape::from(out * input + out)))
            }
        }
    }
}

impl CustomOp2 for LinearBwd {
    fn name(&self) -> &'static str {
        "textlab-linear-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        by_dtype!(self, s1, kernel(s1, l1, s2, l2))
    }
}

/// `x W^T + b` over the last dimension of `x` (any leading dims), with HF's `[out, in]` weight.
/// One graph node and one product with the bias folded in, where the composition took a
/// reshape, a transpose, a matmul, a reshape back and a broadcast add.
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let fits = matches!((weight.dims(), bias.dims(), x.dims().last()),
        (&[out, input], &[b], Some(&xi)) if b == out && input == xi);
    if !fused(&[x, weight, bias]) || !fits {
        // Flatten leading dims into one 2-D matmul: a broadcast batched matmul is slower.
        let dims = x.dims();
        let Some((&input, lead)) = dims.split_last() else {
            bail!("linear layer on a scalar")
        };
        let y = x
            .reshape((lead.iter().product::<usize>(), input))?
            .matmul(&weight.t()?)?
            .broadcast_add(bias)?;
        let mut out = dims.to_vec();
        out[lead.len()] = weight.dim(0)?;
        return y.reshape(out);
    }
    x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, Linear)
}

/// The exact-erf GELU `x * Phi(x)`.
struct GeluErf;

impl GeluErf {
    fn fwd<T: Real>(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice::<T>(s, l, self.name())?;
        let mut out = zeros::<T>(x.len());
        out.par_chunks_mut(4096)
            .zip(x.par_chunks(4096))
            .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &x)| *o = x.gelu()));
        Ok((T::to_cpu_storage_owned(out), l.shape().clone()))
    }
}

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "textlab-gelu-erf"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        by_dtype!(self, s, fwd(s, l))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(x.apply_op2_no_bwd(&grad.contiguous()?, &GeluErfBwd)?))
    }
}

/// `grad * gelu'(x)` from `(x, grad)`.
struct GeluErfBwd;

impl GeluErfBwd {
    fn kernel<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = slice::<T>(s1, l1, self.name())?;
        let g = slice::<T>(s2, l2, self.name())?;
        if g.len() != x.len() {
            bail!("{}: gradient of another size", self.name())
        }
        let mut out = zeros::<T>(x.len());
        out.par_chunks_mut(4096)
            .zip(x.par_chunks(4096).zip(g.par_chunks(4096)))
            .for_each(|(o, (x, g))| {
                for ((o, &x), &g) in o.iter_mut().zip(x).zip(g) {
                    *o = g * x.gelu_grad();
                }
            });
        Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
    }
}

impl CustomOp2 for GeluErfBwd {
    fn name(&self) -> &'static str {
        "textlab-gelu-erf-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        by_dtype!(self, s1, kernel(s1, l1, s2, l2))
    }
}

/// The exact-erf GELU `x * Phi(x)` (HF's `gelu`; `Tensor::gelu` is the tanh approximation).
pub fn gelu_erf(x: &Tensor) -> Result<Tensor> {
    if !fused(&[x]) {
        return x.gelu_erf();
    }
    x.contiguous()?.apply_op1(GeluErf)
}

/// `gelu(x W^T + b)`: the feed-forward's first half in one graph node. The pre-activation is
/// kept inside the op for the backward pass (as the composition kept it as GELU's input), so the
/// backward goes from the output's gradient to the three gradients without an intermediate-sized
/// gradient between the GELU and the product (each such graph edge costs candle a zeroed buffer
/// and an add).
struct LinearGelu {
    /// The forward pass's `x W^T + b`.
    pre: std::sync::Mutex<Option<CpuStorage>>,
}

impl LinearGelu {
    fn fwd<T: Real>(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (rows, input, out, shape) = Linear::dims(l1, l2, l3)?;
        let x = slice::<T>(s1, l1, self.name())?;
        let w = slice::<T>(s2, l2, self.name())?;
        let b = slice::<T>(s3, l3, self.name())?;
        let pre = linear_fwd((rows, input, out), x, w, b)?;
        let mut y = zeros::<T>(pre.len());
        y.par_chunks_mut(4096)
            .zip(pre.par_chunks(4096))
            .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &x)| *o = x.gelu()));
        if let Ok(mut saved) = self.pre.lock() {
            *saved = Some(T::to_cpu_storage_owned(pre));
        }
        Ok((T::to_cpu_storage_owned(y), shape))
    }

    /// `[dx (rows * input), dW (out * input), db (out)]` in one buffer.
    fn bwd_kernel<T: Real>(&self, x: &[T], w: &[T], g: &[T], input: usize) -> Result<Vec<T>> {
        let saved = self.pre.lock().map_err(|_| {
            candle_core::Error::Msg("linear-gelu: pre-activation lock poisoned".into())
        })?;
        let Some(pre) = saved.as_ref() else {
            bail!("linear-gelu: backward before forward")
        };
        let pre = T::cpu_storage_as_slice(pre)?;
        if pre.len() != g.len() || input == 0 || !x.len().is_multiple_of(input) {
            bail!("linear-gelu: gradient of another size")
        }
        let rows = x.len() / input;
        let out = w.len() / input;
        let mut gp = zeros::<T>(g.len());
        gp.par_chunks_mut(4096)
            .zip(pre.par_chunks(4096).zip(g.par_chunks(4096)))
            .for_each(|(o, (p, g))| {
                for ((o, &p), &g) in o.iter_mut().zip(p).zip(g) {
                    *o = g * p.gelu_grad();
                }
            });
        let mut all = linear_dx((rows, input, out), &gp, w)?;
        all.extend_from_slice(&linear_dwb((rows, input, out), x, &gp)?);
        Ok(all)
    }

    fn bwd_typed<T: Real>(
        &self,
        x: &Tensor,
        w: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (out, input) = w.dims2()?;
        let all = with_slice::<T, _>(x, self.name(), |xs| {
            with_slice::<T, _>(w, self.name(), |ws| {
                with_slice::<T, _>(g, self.name(), |gs| self.bwd_kernel(xs, ws, gs, input))
            })
        })?;
        let n = x.elem_count();
        let all = Tensor::from_vec(all, n + out * input + out, x.device())?;
        let dx = all.narrow(0, 0, n)?.reshape(x.shape())?;
        let dw = all.narrow(0, n, out * input)?.reshape((out, input))?;
        let db = all.narrow(0, n + out * input, out)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

op3!(LinearGelu, "textlab-linear-gelu", typed_bwd(x, w, _b) => (x, w));

/// `gelu_erf(linear(x, weight, bias))` in one graph node (the feed-forward's first half).
pub fn linear_gelu(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let fits = matches!((weight.dims(), bias.dims(), x.dims().last()),
        (&[out, input], &[b], Some(&xi)) if b == out && input == xi);
    if !fused(&[x, weight, bias]) || !fits {
        return gelu_erf(&linear(x, weight, bias)?);
    }
    x.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        LinearGelu {
            pre: std::sync::Mutex::new(None),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// A tensor's values as f64, flattened (exact comparisons of fused and unfused results).
    fn f64s(t: &Tensor) -> Vec<f64> {
        t.flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1::<f64>()
            .unwrap()
    }

    /// Random values in [-2, 2), seeded.
    fn rand(shape: &[usize], dtype: DType, rng: &mut Rng) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| rng.next_f64() * 4.0 - 2.0).collect();
        Tensor::from_vec(v, shape, &Device::Cpu)
            .unwrap()
            .to_dtype(dtype)
            .unwrap()
    }

    fn max_rel_diff(a: &Tensor, b: &Tensor) -> f64 {
        assert_eq!(a.dims(), b.dims());
        let a = a.flatten_all().unwrap().to_dtype(DType::F64).unwrap();
        let b = b.flatten_all().unwrap().to_dtype(DType::F64).unwrap();
        let scale = b
            .abs()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
            .max(1e-6);
        let d = (a - b).unwrap().abs().unwrap().max(0).unwrap();
        d.to_scalar::<f64>().unwrap() / scale
    }

    /// Runs the fused op and `unfused` (the composition of candle ops that the fallback uses) on
    /// the same variables, with a loss that weights every output differently, and compares the
    /// outputs and the gradients of every variable.
    fn check(
        vars: &[Var],
        fused_f: impl Fn(&[Tensor]) -> Tensor,
        unfused_f: impl Fn(&[Tensor]) -> Tensor,
        tol: f64,
    ) {
        let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let (a, b) = (fused_f(&ts), unfused_f(&ts));
        let d = max_rel_diff(&a, &b);
        assert!(d < tol, "values differ by {d}");
        let mut rng = Rng::new(99);
        let w = rand(a.dims(), a.dtype(), &mut rng);
        let ga = (&a * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (&b * &w).unwrap().sum_all().unwrap().backward().unwrap();
        for (i, v) in vars.iter().enumerate() {
            let (x, y) = (ga.get(v).unwrap(), gb.get(v).unwrap());
            let d = max_rel_diff(x, y);
            assert!(d < tol, "gradient of input {i} differs by {d}");
        }
    }

    fn var(shape: &[usize], dtype: DType, rng: &mut Rng) -> Var {
        Var::from_tensor(&rand(shape, dtype, rng)).unwrap()
    }

    fn mask_bias(b: usize, k: usize, lens: &[usize], dtype: DType) -> Tensor {
        let v: Vec<f32> = (0..b)
            .flat_map(|i| (0..k).map(move |j| if j < lens[i] { 0.0 } else { f32::MIN }))
            .collect();
        Tensor::from_vec(v, (b, 1, 1, k), &Device::Cpu)
            .unwrap()
            .to_dtype(dtype)
            .unwrap()
    }

    #[test]
    fn attention_softmax_matches_the_composition_with_masks_and_dropout() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(1);
            let (b, h, q, k) = (3, 2, 5, 7);
            let scores = var(&[b, h, q, k], dtype, &mut rng);
            // the second and third sequences are padded
            let mask = mask_bias(b, k, &[7, 4, 1], dtype);
            let scale = 0.37;
            for drop in [None, DropMask::draw(b * h * q * k, 0.3, Some(&mut rng))] {
                let f =
                    |t: &[Tensor]| attention_softmax(&t[0], &mask, scale, drop.as_ref()).unwrap();
                let u = |t: &[Tensor]| {
                    let p = candle_nn::ops::softmax(
                        &(&t[0] * scale).unwrap().broadcast_add(&mask).unwrap(),
                        D::Minus1,
                    )
                    .unwrap();
                    match &drop {
                        Some(d) => p.mul(&d.tensor(&p).unwrap()).unwrap(),
                        None => p,
                    }
                };
                check(std::slice::from_ref(&scores), f, u, 1e-5);
                // masked positions get no probability and no gradient
                let p = f(&[scores.as_tensor().clone()]);
                let masked = p.narrow(0, 2, 1).unwrap().narrow(3, 1, 6).unwrap();
                assert_eq!(
                    masked
                        .abs()
                        .unwrap()
                        .sum_all()
                        .unwrap()
                        .to_dtype(DType::F64)
                        .unwrap()
                        .to_scalar::<f64>()
                        .unwrap(),
                    0.0
                );
            }
        }
    }

    #[test]
    fn attention_matches_the_composition_with_masks_and_dropout() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(6);
            let (b, l, heads, d) = (3, 6, 2, 4);
            let vars = [
                var(&[b, l, heads * d], dtype, &mut rng),
                var(&[b, l, heads * d], dtype, &mut rng),
                var(&[b, l, heads * d], dtype, &mut rng),
            ];
            let mask = mask_bias(b, l, &[6, 3, 1], DType::F32);
            for drop in [None, DropMask::draw(b * heads * l * l, 0.2, Some(&mut rng))] {
                check(
                    &vars,
                    |t| attention(&t[0], &t[1], &t[2], &mask, heads, drop.as_ref()).unwrap(),
                    |t| {
                        let m = mask.to_dtype(dtype).unwrap();
                        attention_unfused(&t[0], &t[1], &t[2], &m, heads, drop.as_ref()).unwrap()
                    },
                    1e-5,
                );
            }
        }
        let x = Tensor::ones((2, 3, 4), DType::F32, &Device::Cpu).unwrap();
        let mask = mask_bias(2, 3, &[3, 3], DType::F32);
        assert!(attention(&x, &x, &x, &mask, 3, None).is_err());
        let w = Tensor::ones((12, 4), DType::F32, &Device::Cpu).unwrap();
        let bias = Tensor::zeros(12, DType::F32, &Device::Cpu).unwrap();
        assert!(self_attention(&x, &w, &bias, &mask, 3, None).is_err());
        assert!(self_attention(&x, &w.narrow(0, 0, 8).unwrap(), &bias, &mask, 2, None).is_err());
        let short = DropMask(Arc::new(vec![1.0; 5]));
        assert!(self_attention(&x, &w, &bias, &mask, 2, Some(&short)).is_err());
        assert!(attention(&x, &x, &x, &mask, 0, None).is_err());
        let short = DropMask(Arc::new(vec![1.0; 5]));
        assert!(attention(&x, &x, &x, &mask, 2, Some(&short)).is_err());
    }

    #[test]
    fn self_attention_matches_projections_then_attention() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(7);
            let (b, l, heads, d) = (3, 6, 2, 4);
            let h = heads * d;
            let vars = [
                var(&[b, l, h], dtype, &mut rng),
                var(&[3 * h, h], dtype, &mut rng),
                var(&[3 * h], dtype, &mut rng),
            ];
            let mask = mask_bias(b, l, &[6, 3, 1], DType::F32);
            for drop in [None, DropMask::draw(b * heads * l * l, 0.2, Some(&mut rng))] {
                check(
                    &vars,
                    |t| self_attention(&t[0], &t[1], &t[2], &mask, heads, drop.as_ref()).unwrap(),
                    |t| {
                        let m = mask.to_dtype(dtype).unwrap();
                        let proj = |i: usize| {
                            let w = t[1].narrow(0, i * h, h).unwrap();
                            let bias = t[2].narrow(0, i * h, h).unwrap();
                            t[0].broadcast_matmul(&w.t().unwrap())
                                .unwrap()
                                .broadcast_add(&bias)
                                .unwrap()
                        };
                        let (q, k, v) = (proj(0), proj(1), proj(2));
                        attention_unfused(&q, &k, &v, &m, heads, drop.as_ref()).unwrap()
                    },
                    1e-5,
                );
            }
        }
    }

    #[test]
    fn layer_norm_matches_the_composition() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(2);
            // 70 rows: more than two row blocks, the last one partial
            let vars = [
                var(&[2, 35, 24], dtype, &mut rng),
                var(&[24], dtype, &mut rng),
                var(&[24], dtype, &mut rng),
            ];
            let unfused = |t: &[Tensor]| {
                let mean = t[0].mean_keepdim(D::Minus1).unwrap();
                let xc = t[0].broadcast_sub(&mean).unwrap();
                let var = xc.sqr().unwrap().mean_keepdim(D::Minus1).unwrap();
                let xn = xc
                    .broadcast_div(&(var + 1e-5).unwrap().sqrt().unwrap())
                    .unwrap();
                xn.broadcast_mul(&t[1])
                    .unwrap()
                    .broadcast_add(&t[2])
                    .unwrap()
            };
            check(
                &vars,
                |t| layer_norm(&t[0], &t[1], &t[2], 1e-5).unwrap(),
                unfused,
                1e-5,
            );
        }
    }

    #[test]
    fn dropout_add_norm_matches_the_two_ops_bit_for_bit() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(8);
            // 70 rows: more than two row blocks, the last one partial
            let vars = [
                var(&[2, 35, 24], dtype, &mut rng),
                var(&[2, 35, 24], dtype, &mut rng),
                var(&[24], dtype, &mut rng),
                var(&[24], dtype, &mut rng),
            ];
            for drop in [None, DropMask::draw(2 * 35 * 24, 0.3, Some(&mut rng))] {
                let f = |t: &[Tensor]| {
                    dropout_add_norm(&t[0], &t[1], drop.as_ref(), &t[2], &t[3], 1e-5).unwrap()
                };
                let u = |t: &[Tensor]| {
                    let s = dropout_add(&t[0], &t[1], drop.as_ref()).unwrap();
                    layer_norm(&s, &t[2], &t[3], 1e-5).unwrap()
                };
                check(&vars, f, u, 1e-12);
                let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
                let (a, b) = (f(&ts), u(&ts));
                assert_eq!(f64s(&a), f64s(&b));
                let ga = a.sqr().unwrap().sum_all().unwrap().backward().unwrap();
                let gb = b.sqr().unwrap().sum_all().unwrap().backward().unwrap();
                for v in &vars {
                    let (x, y) = (ga.get(v).unwrap(), gb.get(v).unwrap());
                    assert_eq!(f64s(x), f64s(y));
                }
            }
        }
        let x = Tensor::ones((2, 3), DType::F32, &Device::Cpu).unwrap();
        let w = Tensor::ones(3, DType::F32, &Device::Cpu).unwrap();
        let short = DropMask(Arc::new(vec![1.0; 5]));
        assert!(dropout_add_norm(&x, &x, Some(&short), &w, &w, 1e-5).is_err());
        assert!(dropout_add_norm(&x, &x, None, &w.narrow(0, 0, 2).unwrap(), &w, 1e-5).is_err());
    }

    #[test]
    fn embed_matches_the_gathers_and_sums() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(9);
            // 40 columns: more than two column blocks, the last one partial
            let vars = [
                var(&[11, 40], dtype, &mut rng),
                var(&[9, 40], dtype, &mut rng),
                var(&[2, 40], dtype, &mut rng),
            ];
            // repeated ids and positions: their rows add up
            let ids = Tensor::new(&[[3u32, 3, 10, 0, 1], [3, 7, 7, 7, 2]], &Device::Cpu).unwrap();
            let pos = Tensor::new(&[[2u32, 3, 4, 5, 1], [2, 3, 4, 1, 1]], &Device::Cpu).unwrap();
            check(
                &vars,
                |t| embed(&t[0], &t[1], &t[2], &ids, &pos).unwrap(),
                |t| {
                    let w = t[0].index_select(&ids.flatten_all().unwrap(), 0).unwrap();
                    let p = t[1].index_select(&pos.flatten_all().unwrap(), 0).unwrap();
                    (w + p)
                        .unwrap()
                        .broadcast_add(&t[2].narrow(0, 0, 1).unwrap())
                        .unwrap()
                },
                1e-6,
            );
        }
        let t = Tensor::ones((4, 3), DType::F32, &Device::Cpu).unwrap();
        let far = Tensor::new(&[0u32, 4], &Device::Cpu).unwrap();
        let near = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
        assert!(embed(&t, &t, &t, &far, &near).is_err());
        assert!(embed(&t, &t, &t, &near, &far).is_err());
    }

    #[test]
    fn linear_and_gelu_match_the_composition() {
        for dtype in [DType::F32, DType::F64] {
            let mut rng = Rng::new(3);
            // 3-D input with 82 rows: more than two row blocks of the bias gradient
            let vars = [
                var(&[2, 41, 16], dtype, &mut rng),
                var(&[24, 16], dtype, &mut rng),
                var(&[24], dtype, &mut rng),
            ];
            check(
                &vars,
                |t| linear(&t[0], &t[1], &t[2]).unwrap(),
                |t| {
                    t[0].reshape((82, 16))
                        .unwrap()
                        .matmul(&t[1].t().unwrap())
                        .unwrap()
                        .broadcast_add(&t[2])
                        .unwrap()
                        .reshape((2, 41, 24))
                        .unwrap()
                },
                1e-5,
            );
            check(
                &vars[..1],
                |t| gelu_erf(&t[0]).unwrap(),
                |t| t[0].gelu_erf().unwrap(),
                1e-5,
            );
            check(
                &vars,
                |t| linear_gelu(&t[0], &t[1], &t[2]).unwrap(),
                |t| {
                    t[0].reshape((82, 16))
                        .unwrap()
                        .matmul(&t[1].t().unwrap())
                        .unwrap()
                        .broadcast_add(&t[2])
                        .unwrap()
                        .gelu_erf()
                        .unwrap()
                        .reshape((2, 41, 24))
                        .unwrap()
                },
                1e-5,
            );
        }
    }

    #[test]
    fn dropout_ops_match_the_composition_and_keep_the_rng_sequence() {
        let mut rng = Rng::new(4);
        let vars = [
            var(&[4, 9, 8], DType::F32, &mut rng),
            var(&[4, 9, 8], DType::F32, &mut rng),
        ];
        // the same draws as the per-element float comparison the encoder used before
        for p in [0.1, 0.25, 1.0 / 3.0, 0.9] {
            let mask = DropMask::draw(5000, p, Some(&mut Rng::new(5))).unwrap();
            let mut r = Rng::new(5);
            let scale = (1.0 / (1.0 - p)) as f32;
            let expected: Vec<f32> = (0..5000)
                .map(|_| if r.next_f64() < p { 0.0 } else { scale })
                .collect();
            assert_eq!(mask.values(), &expected[..], "p = {p}");
        }
        let mask = DropMask::draw(4 * 9 * 8, 0.25, Some(&mut Rng::new(5))).unwrap();
        let m = mask.tensor(vars[0].as_tensor()).unwrap();
        check(
            &vars,
            |t| dropout_add(&t[0], &t[1], Some(&mask)).unwrap(),
            |t| (t[0].mul(&m).unwrap() + &t[1]).unwrap(),
            1e-6,
        );
        check(
            &vars[..1],
            |t| dropout(&t[0], Some(&mask)).unwrap(),
            |t| t[0].mul(&m).unwrap(),
            1e-6,
        );
        assert!(DropMask::draw(10, 0.0, Some(&mut rng)).is_none());
        assert!(DropMask::draw(10, 0.5, None).is_none());
    }

    #[test]
    fn fast_erf_is_within_half_a_millionth() {
        let mut worst = 0f64;
        for i in -60_000..=60_000 {
            let x = i as f64 / 10_000.0;
            let d = (erf_f32(x as f32) as f64 - candle_core::cpu::erf::erf_f64(x)).abs();
            worst = worst.max(d);
        }
        assert!(worst < 5e-7, "{worst}");
        assert!(erf_f32(f32::NAN).is_nan());
        assert!((erf_f32(f32::INFINITY) - 1.0).abs() < 5e-7);
        assert!((erf_f32(-1e30) + 1.0).abs() < 5e-7);
    }

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        let dev = Device::Cpu;
        let x = Tensor::ones((2, 3), DType::F32, &dev).unwrap();
        let short = DropMask(Arc::new(vec![1.0; 5]));
        assert!(dropout(&x, Some(&short)).is_err());
        assert!(dropout_add(&x, &x, Some(&short)).is_err());
        assert!(
            layer_norm(
                &x,
                &Tensor::ones(4, DType::F32, &dev).unwrap(),
                &Tensor::zeros(4, DType::F32, &dev).unwrap(),
                1e-5
            )
            .is_err()
        );
        let w = Tensor::ones((4, 3), DType::F32, &dev).unwrap();
        assert!(linear(&x, &w, &Tensor::ones(3, DType::F32, &dev).unwrap()).is_err());
        assert!(
            linear(
                &x,
                &w.t().unwrap(),
                &Tensor::ones(4, DType::F32, &dev).unwrap()
            )
            .is_err()
        );
        let scores = Tensor::ones((2, 1, 3, 3), DType::F32, &dev).unwrap();
        assert!(
            attention_softmax(
                &scores,
                &Tensor::zeros((3, 1, 1, 3), DType::F32, &dev).unwrap(),
                1.0,
                None
            )
            .is_err()
        );
        // empty and integer tensors take the unfused path instead of a kernel
        let empty = Tensor::zeros((0, 3), DType::F32, &dev).unwrap();
        let y = linear(&empty, &w, &Tensor::ones(4, DType::F32, &dev).unwrap()).unwrap();
        assert_eq!(y.dims(), &[0, 4]);
        assert_eq!(gelu_erf(&empty).unwrap().dims(), &[0, 3]);
        // integers have no kernel and candle's matmul refuses them: an error, not a panic
        let int = |shape: &[usize]| Tensor::ones(shape, DType::U32, &dev).unwrap();
        assert!(linear(&int(&[2, 3]), &int(&[4, 3]), &int(&[4])).is_err());
    }
}
