"""A BERT encoder's forward pass in numpy, for running small sentence-embedding models without torch.

Inference only, float32 throughout, absolute position embeddings, one segment (every token type 0), post-norm
layers as in the original BERT: embeddings, LayerNorm, then per layer multi-head self-attention and a GELU
feed-forward, each added back to its input and normalised. Dropout is an identity at inference, so absent.

The matrices are laid out once at load for how numpy multiplies them: each linear layer's weight is kept as
PyTorch stores it (out, in) and used transposed, which BLAS reads without a copy; query, key and value are
fused into one (3·hidden, hidden) matrix so each layer does one projection instead of three, and the
attention scale 1/√(head size) is folded into the query rows. Hidden states stay two-dimensional
(tokens × hidden) so every projection is a single matrix product rather than one per text.

GELU is the exact (erf) form the model was trained with. numpy has no erf, so it is computed with
Abramowitz and Stegun's formula 7.1.26, whose absolute error below 1.5e-7 is under float32's own rounding
at the activations' scale; the tanh approximation some ports use differs from it by up to 4.7e-4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

_F32 = np.float32
#: Added to the attention score of a padding position: exp() of it is exactly 0, as in the reference BERT.
_MASKED = np.finfo(np.float32).min

# Abramowitz and Stegun 7.1.26.
_ERF_P = _F32(0.3275911)
_ERF_A = tuple(_F32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))
_SQRT_HALF = _F32(np.sqrt(0.5))


@dataclass(frozen=True)
class BertConfig:
    hidden: int
    heads: int
    layers: int
    max_positions: int
    layer_norm_eps: float


@dataclass(frozen=True)
class _Norm:
    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (3·hidden, hidden), query rows pre-scaled
    qkv_bias: np.ndarray
    attention_out: np.ndarray  # (hidden, hidden)
    attention_out_bias: np.ndarray
    attention_norm: _Norm
    up: np.ndarray  # (intermediate, hidden)
    up_bias: np.ndarray
    down: np.ndarray  # (hidden, intermediate)
    down_bias: np.ndarray
    output_norm: _Norm


class MissingTensorError(KeyError):
    """The weights lack a tensor the encoder needs: a different architecture or a damaged file."""


@dataclass(frozen=True)
class BertEncoder:
    config: BertConfig
    word: np.ndarray  # (vocabulary, hidden)
    position: np.ndarray  # (max_positions, hidden)
    segment: np.ndarray  # (hidden,): token type 0
    embedding_norm: _Norm
    layers: tuple[_Layer, ...]

    @classmethod
    def from_tensors(cls, tensors: Mapping[str, np.ndarray], config: BertConfig) -> BertEncoder:
        """Build from Hugging Face ``BertModel`` tensor names (with or without a ``bert.`` prefix)."""

        def get(name: str) -> np.ndarray:
            for key in (name, f"bert.{name}"):
                if key in tensors:
                    return np.asarray(tensors[key], dtype=_F32)
            raise MissingTensorError(f"the weights have no tensor {name!r} (nor 'bert.{name}')")

        def norm(prefix: str) -> _Norm:
            return _Norm(get(f"{prefix}.weight"), get(f"{prefix}.bias"))

        scale = _F32(1.0 / np.sqrt(config.hidden // config.heads))
        layers = []
        for i in range(config.layers):
            p = f"encoder.layer.{i}"
            attention = f"{p}.attention.self"
            layers.append(
                _Layer(
                    qkv=np.concatenate(
                        [
                            get(f"{attention}.query.weight") * scale,
                            get(f"{attention}.key.weight"),
                            get(f"{attention}.value.weight"),
                        ]
                    ),
                    qkv_bias=np.concatenate(
                        [
                            get(f"{attention}.query.bias") * scale,
                            get(f"{attention}.key.bias"),
                            get(f"{attention}.value.bias"),
                        ]
                    ),
                    attention_out=get(f"{p}.attention.output.dense.weight"),
                    attention_out_bias=get(f"{p}.attention.output.dense.bias"),
                    attention_norm=norm(f"{p}.attention.output.LayerNorm"),
                    up=get(f"{p}.intermediate.dense.weight"),
                    up_bias=get(f"{p}.intermediate.dense.bias"),
                    down=get(f"{p}.output.dense.weight"),
                    down_bias=get(f"{p}.output.dense.bias"),
                    output_norm=norm(f"{p}.output.LayerNorm"),
                )
            )
        return cls(
            config=config,
            word=get("embeddings.word_embeddings.weight"),
            position=get("embeddings.position_embeddings.weight"),
            segment=get("embeddings.token_type_embeddings.weight")[0],
            embedding_norm=norm("embeddings.LayerNorm"),
            layers=tuple(layers),
        )

    def encode(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token states (batch, length, hidden) for token ids and a 1/0 attention mask, both (batch, length)."""
        batch, length = ids.shape
        if length > self.config.max_positions:
            raise ValueError(f"{length} tokens exceed the model's {self.config.max_positions} positions")
        hidden = self.word[ids] + self.position[:length] + self.segment
        h = _layer_norm(hidden.reshape(batch * length, self.config.hidden), self.embedding_norm, self.config)
        padding = np.where(mask[:, None, None, :] > 0, _F32(0), _MASKED).astype(_F32)
        for layer in self.layers:
            attended = self._attention(h, layer, padding, batch, length)
            h = _layer_norm(attended + h, layer.attention_norm, self.config)
            up = gelu(h @ layer.up.T + layer.up_bias)
            h = _layer_norm(up @ layer.down.T + layer.down_bias + h, layer.output_norm, self.config)
        return h.reshape(batch, length, self.config.hidden)

    def _attention(self, h: np.ndarray, layer: _Layer, padding: np.ndarray, batch: int, length: int) -> np.ndarray:
        heads = self.config.heads
        size = self.config.hidden // heads
        qkv = (h @ layer.qkv.T + layer.qkv_bias).reshape(batch, length, 3, heads, size)
        query, key, value = qkv.transpose(2, 0, 3, 1, 4)  # each (batch, heads, length, size)
        scores = query @ key.transpose(0, 1, 3, 2)
        scores += padding
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * length, self.config.hidden)
        return context @ layer.attention_out.T + layer.attention_out_bias


def _layer_norm(x: np.ndarray, norm: _Norm, config: BertConfig) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(np.square(centred), axis=-1, keepdims=True)
    centred /= np.sqrt(variance + _F32(config.layer_norm_eps))
    return centred * norm.weight + norm.bias


def gelu(x: np.ndarray) -> np.ndarray:
    """x·Φ(x), written as relu(x) − ½·|x|·erfc(|x|/√2): the same function for either sign of x, and every step
    after the first three can run in place, which matters on the largest activation of each layer."""
    magnitude = np.abs(x)
    t = magnitude * (_ERF_P * _SQRT_HALF)
    t += _F32(1)
    np.reciprocal(t, out=t)
    erfc = t * _ERF_A[0]
    for a in _ERF_A[1:]:
        erfc += a
        erfc *= t
    np.square(magnitude, out=t)
    t *= _F32(-0.5)
    np.exp(t, out=t)
    erfc *= t  # erfc(|x|/√2) by Abramowitz and Stegun 7.1.26
    erfc *= magnitude
    erfc *= _F32(0.5)
    np.maximum(x, _F32(0), out=magnitude)
    magnitude -= erfc
    return magnitude
