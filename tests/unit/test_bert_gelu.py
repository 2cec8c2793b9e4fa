"""GELU in its exact erf form, against Python's own math.erf; the tanh approximation would fail this."""

from __future__ import annotations

import math

import numpy as np

from knowledge_base.bert import gelu


def test_gelu_is_the_erf_form_to_float32_precision():
    x = np.linspace(-12, 12, 40_001, dtype=np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    got = gelu(x)
    assert got.dtype == np.float32
    assert np.abs(got - exact).max() < 1e-6


def test_gelu_leaves_its_input_alone():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0], dtype=np.float32)
    before = x.copy()
    gelu(x)
    np.testing.assert_array_equal(x, before)
