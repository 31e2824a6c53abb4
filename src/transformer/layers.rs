//! The encoder's building blocks. Their elementwise parts (layer norm, attention softmax,
//! bias + GELU, dropout) go through [`super::ops`], fused kernels with hand-written backward
//! passes: candle-nn's fused `ops::layer_norm` and `ops::softmax_last_dim` have no backward,
//! and gradients would silently stop at them.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use textlab::transformer::layers::LayerNorm;
//! let ln = LayerNorm::new(Tensor::ones(4, candle_core::DType::F32, &Device::Cpu)?,
//!                         Tensor::zeros(4, candle_core::DType::F32, &Device::Cpu)?, 1e-5);
//! let y = ln.forward(&Tensor::new(&[[1f32, 2., 3., 4.]], &Device::Cpu)?)?;
//! assert!(y.sum_all()?.to_scalar::<f32>()?.abs() < 1e-5);
//! # Ok::<(), candle_core::Error>(())
//! ```

use super::ops::{self, DropMask};
use super::params::{Init, Params};
use crate::error::Result;
use crate::rng::Rng;
use candle_core::Tensor;

/// Layer normalisation over the last dimension: `(x - mean) / sqrt(var + eps) * weight + bias`.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    pub fn new(weight: Tensor, bias: Tensor, eps: f64) -> Self {
        LayerNorm { weight, bias, eps }
    }

    /// `name.weight` / `name.bias` from the store.
    pub fn load(p: &mut Params, name: &str, size: usize, eps: f64) -> Result<Self> {
        Ok(Self::new(
            p.get(&format!("{name}.weight"), &[size], Init::Ones)?,
            p.get(&format!("{name}.bias"), &[size], Init::Zeros)?,
            eps,
        ))
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }

    /// `self.forward(ops::dropout_add(x, residual, mask))` in one fused op.
    pub fn forward_residual(
        &self,
        x: &Tensor,
        residual: &Tensor,
        mask: Option<&DropMask>,
    ) -> candle_core::Result<Tensor> {
        ops::dropout_add_norm(x, residual, mask, &self.weight, &self.bias, self.eps)
    }
}

/// `y = x W^T + b` with HF's `[out, in]` weight layout.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    pub fn new(weight: Tensor, bias: Tensor) -> Self {
        Linear { weight, bias }
    }

    /// `name.weight` `[out, in]` (Normal(0, std) when fresh) and `name.bias` `[out]` (zeros).
    pub fn load(p: &mut Params, name: &str, input: usize, output: usize, std: f64) -> Result<Self> {
        Ok(Self::new(
            p.get(
                &format!("{name}.weight"),
                &[output, input],
                Init::Normal(std),
            )?,
            p.get(&format!("{name}.bias"), &[output], Init::Zeros)?,
        ))
    }

    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    pub fn bias(&self) -> &Tensor {
        &self.bias
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        ops::linear(x, &self.weight, &self.bias)
    }

    /// `gelu_erf(self.forward(x))` in one fused op.
    pub fn forward_gelu(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        ops::linear_gelu(x, &self.weight, &self.bias)
    }
}

/// Inverted dropout with a mask drawn from the lab's seeded [`Rng`] (so training is
/// reproducible); the identity when `rng` is `None` (evaluation) or `p` is 0.
pub fn dropout(x: &Tensor, p: f64, rng: Option<&mut Rng>) -> candle_core::Result<Tensor> {
    ops::dropout(x, DropMask::draw(x.elem_count(), p, rng).as_ref())
}

/// Multi-head self-attention plus its output projection, residual and layer norm
/// (HF `attention.self.*` and `attention.output.*`).
#[derive(Debug, Clone)]
pub struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    norm: LayerNorm,
    heads: usize,
    attn_dropout: f64,
    hidden_dropout: f64,
}

/// Settings shared by every layer of one encoder.
#[derive(Debug, Clone, Copy)]
pub struct LayerDims {
    pub hidden: usize,
    pub intermediate: usize,
    pub heads: usize,
    pub eps: f64,
    pub std: f64,
    pub attn_dropout: f64,
    pub hidden_dropout: f64,
}

impl Attention {
    pub fn load(p: &mut Params, name: &str, d: &LayerDims) -> Result<Self> {
        let h = d.hidden;
        Ok(Attention {
            query: Linear::load(p, &format!("{name}.self.query"), h, h, d.std)?,
            key: Linear::load(p, &format!("{name}.self.key"), h, h, d.std)?,
            value: Linear::load(p, &format!("{name}.self.value"), h, h, d.std)?,
            output: Linear::load(p, &format!("{name}.output.dense"), h, h, d.std)?,
            norm: LayerNorm::load(p, &format!("{name}.output.LayerNorm"), h, d.eps)?,
            heads: d.heads,
            attn_dropout: d.attn_dropout,
            hidden_dropout: d.hidden_dropout,
        })
    }

    /// `x`: `[b, l, h]`; `mask_bias`: `[b, 1, 1, l]`, 0 for real tokens and a huge negative
    /// number for padding.
    pub fn forward(
        &self,
        x: &Tensor,
        mask_bias: &Tensor,
        mut rng: Option<&mut Rng>,
    ) -> candle_core::Result<Tensor> {
        let (b, l, _) = x.dims3()?;
        // One product for the three projections (see `ops::self_attention`); the stacked
        // weights are rebuilt each call so that the parameters keep HF's names and shapes.
        let (q, k, v) = (&self.query, &self.key, &self.value);
        let w = Tensor::cat(&[q.weight(), k.weight(), v.weight()], 0)?;
        let bias = Tensor::cat(&[q.bias(), k.bias(), v.bias()], 0)?;
        let drop = DropMask::draw(
            b * self.heads * l * l,
            self.attn_dropout,
            rng.as_deref_mut(),
        );
        let ctx = ops::self_attention(x, &w, &bias, mask_bias, self.heads, drop.as_ref())?;
        let out = self.output.forward(&ctx)?;
        let drop = DropMask::draw(out.elem_count(), self.hidden_dropout, rng);
        self.norm.forward_residual(&out, x, drop.as_ref())
    }
}

/// One transformer encoder layer: attention, then GELU feed-forward with residual and norm.
#[derive(Debug, Clone)]
pub struct EncoderLayer {
    attention: Attention,
    intermediate: Linear,
    output: Linear,
    norm: LayerNorm,
    hidden_dropout: f64,
}

impl EncoderLayer {
    /// Parameters `name.attention.*`, `name.intermediate.dense.*`, `name.output.*`.
    pub fn load(p: &mut Params, name: &str, d: &LayerDims) -> Result<Self> {
        Ok(EncoderLayer {
            attention: Attention::load(p, &format!("{name}.attention"), d)?,
            intermediate: Linear::load(
                p,
                &format!("{name}.intermediate.dense"),
                d.hidden,
                d.intermediate,
                d.std,
            )?,
            output: Linear::load(
                p,
                &format!("{name}.output.dense"),
                d.intermediate,
                d.hidden,
                d.std,
            )?,
            norm: LayerNorm::load(p, &format!("{name}.output.LayerNorm"), d.hidden, d.eps)?,
            hidden_dropout: d.hidden_dropout,
        })
    }

    pub fn forward(
        &self,
        x: &Tensor,
        mask_bias: &Tensor,
        mut rng: Option<&mut Rng>,
    ) -> candle_core::Result<Tensor> {
        let a = self.attention.forward(x, mask_bias, rng.as_deref_mut())?;
        // Exact erf GELU, as HF's `gelu`; `Tensor::gelu` is the tanh approximation.
        let i = self.intermediate.forward_gelu(&a)?;
        let o = self.output.forward(&i)?;
        let drop = DropMask::draw(o.elem_count(), self.hidden_dropout, rng);
        self.norm.forward_residual(&o, &a, drop.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};

    #[test]
    fn layer_norm_has_gradients_for_input_and_parameters() {
        let dev = Device::Cpu;
        let w = Var::new(&[1.0f32, 2.0, 0.5], &dev).unwrap();
        let b = Var::new(&[0.0f32, 1.0, 0.0], &dev).unwrap();
        let x = Var::new(&[[1.0f32, 2.0, 4.0], [0.0, -1.0, 3.0]], &dev).unwrap();
        let ln = LayerNorm::new(w.as_tensor().clone(), b.as_tensor().clone(), 1e-5);
        let y = ln.forward(x.as_tensor()).unwrap();
        let loss = (y.sqr().unwrap() * 0.5).unwrap().sum_all().unwrap();
        let g = loss.backward().unwrap();
        for v in [&w, &b, &x] {
            let n = g
                .get(v.as_tensor())
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(n > 1e-6, "no gradient");
        }
        // normalised rows have mean 0 before the affine part
        let plain = LayerNorm::new(
            Tensor::ones(3, DType::F32, &dev).unwrap(),
            Tensor::zeros(3, DType::F32, &dev).unwrap(),
            1e-5,
        );
        let m = plain
            .forward(x.as_tensor())
            .unwrap()
            .mean(1)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(m.iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn dropout_is_seeded_and_identity_in_eval() {
        let x = Tensor::ones((4, 50), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(
            dropout(&x, 0.5, None).unwrap().to_vec2::<f32>().unwrap(),
            x.to_vec2::<f32>().unwrap()
        );
        let a = dropout(&x, 0.5, Some(&mut Rng::new(1)))
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let b = dropout(&x, 0.5, Some(&mut Rng::new(1)))
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert_eq!(a, b);
        let zeros = a.iter().flatten().filter(|v| **v == 0.0).count();
        assert!((50..150).contains(&zeros), "{zeros}");
        assert!(a.iter().flatten().all(|v| *v == 0.0 || *v == 2.0));
    }

    #[test]
    fn linear_matches_hand_computation_on_3d_input() {
        let dev = Device::Cpu;
        let lin = Linear::new(
            Tensor::new(&[[1f32, 0.], [0., 2.], [1., 1.]], &dev).unwrap(),
            Tensor::new(&[0f32, 1., -1.], &dev).unwrap(),
        );
        let x = Tensor::new(&[[[1f32, 2.]], [[3., 4.]]], &dev).unwrap();
        let y = lin.forward(&x).unwrap();
        assert_eq!(y.dims(), &[2, 1, 3]);
        assert_eq!(
            y.to_vec3::<f32>().unwrap(),
            vec![vec![vec![1., 5., 2.]], vec![vec![3., 9., 6.]]]
        );
    }
}
