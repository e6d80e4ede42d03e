"""`stablehlo.convolution`'s derivative rules, one row per configuration: reverse and forward mode against
`jax.vjp`/`jax.jvp` of `jax.lax.conv_general_dilated` and against finite differences (float64), first and
second order (forward-of-reverse)."""

from __future__ import annotations

import helpers
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from jax import lax
from rule_oracles import Case, check

from passes import autodiff

rng = np.random.default_rng(0)


def conv_case(lhs_shape, rhs_shape, numbers=("NCHW", "OIHW", "NCHW"), **options):
    lhs, rhs = rng.standard_normal(lhs_shape), rng.standard_normal(rhs_shape)
    options.setdefault("window_strides", (1,) * (len(lhs_shape) - 2))
    options.setdefault("padding", "VALID")

    def f(x, w):
        return lax.conv_general_dilated(x, w, dimension_numbers=numbers, precision=lax.Precision.HIGHEST, **options)
    return Case(f, [lhs, rhs])


CASES = {
    "plain": lambda: conv_case((2, 3, 5, 4), (4, 3, 2, 2)),
    "strides and padding": lambda: conv_case((2, 2, 7, 6), (3, 2, 3, 2), window_strides=(2, 3),
                                             padding=((1, 2), (0, 1))),
    "negative padding": lambda: conv_case((1, 2, 7, 6), (2, 2, 2, 3), padding=((-1, 2), (1, -2))),
    "lhs and rhs dilation": lambda: conv_case((2, 2, 5, 4), (3, 2, 2, 3), window_strides=(2, 1),
                                              padding=((1, 1), (2, 0)), lhs_dilation=(2, 1), rhs_dilation=(1, 2)),
    "stride not dividing": lambda: conv_case((1, 1, 8, 7), (1, 1, 3, 2), window_strides=(3, 2)),
    "feature groups": lambda: conv_case((2, 4, 5, 5), (6, 2, 2, 3), feature_group_count=2, window_strides=(2, 1)),
    "depthwise": lambda: conv_case((2, 3, 5, 4), (6, 1, 3, 2), feature_group_count=3, padding=((1, 1), (1, 0))),
    "batch groups": lambda: conv_case((4, 3, 5, 4), (6, 3, 2, 2), batch_group_count=2, window_strides=(1, 2)),
    "batch groups and dilation": lambda: conv_case((6, 2, 6, 5), (3, 2, 2, 2), batch_group_count=3,
                                                   rhs_dilation=(2, 1), lhs_dilation=(1, 2), padding=((0, 1), (1, 1))),
    "channels last": lambda: conv_case((2, 5, 6, 3), (2, 3, 3, 4), ("NHWC", "HWIO", "NHWC"), window_strides=(2, 1),
                                       padding=((1, 0), (1, 2))),
    "mixed layouts, groups": lambda: conv_case((5, 4, 2, 6), (2, 2, 2, 4), ("HCNW", "HIWO", "WHNC"),
                                               feature_group_count=2, window_strides=(1, 2), rhs_dilation=(2, 1)),
    "1-d": lambda: conv_case((2, 3, 9), (2, 3, 3), ("NCH", "OIH", "NCH"), window_strides=(2,), padding=((2, 1),),
                             lhs_dilation=(2,)),
    "3-d": lambda: conv_case((1, 2, 4, 3, 4), (2, 2, 2, 2, 3), ("NCDHW", "OIDHW", "NCDHW"), padding=((1, 0),) * 3),
    "empty output": lambda: conv_case((1, 1, 2, 2), (1, 1, 3, 1)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_convolution(name):
    check(CASES[name]())


@st.composite
def configurations(draw):
    """A convolution with drawn spatial rank, sizes (1s included), strides, padding, dilations and groups."""
    spatial = draw(st.integers(1, 2))
    groups = draw(st.sampled_from(["feature", "batch", None]))
    count = draw(st.integers(1, 2)) if groups else 1
    batch = draw(st.integers(1, 2)) * (count if groups == "batch" else 1)
    in_features, out_features = draw(st.integers(1, 2)), draw(st.integers(1, 2)) * count
    kernel = [draw(st.integers(1, 3)) for _ in range(spatial)]
    options = dict(window_strides=[draw(st.integers(1, 2)) for _ in range(spatial)],
                   padding=[(draw(st.integers(-1, 2)), draw(st.integers(-1, 2))) for _ in range(spatial)],
                   lhs_dilation=[draw(st.integers(1, 2)) for _ in range(spatial)],
                   rhs_dilation=[draw(st.integers(1, 2)) for _ in range(spatial)],
                   feature_group_count=count if groups == "feature" else 1,
                   batch_group_count=count if groups == "batch" else 1)
    sizes = [draw(st.integers(1, 5)) for _ in range(spatial)]
    for n, k, (lo, hi), ld, rd in zip(sizes, kernel, options["padding"], options["lhs_dilation"],
                                      options["rhs_dilation"]):
        assume((n - 1) * ld + 1 + lo + hi >= (k - 1) * rd + 1)  # at least one window
    lhs_features = in_features * (count if groups == "feature" else 1)
    layouts = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW")}[spatial]
    return (batch, lhs_features, *sizes), (out_features, in_features, *kernel), layouts, options


@helpers.xla_settings(max_examples=4)
@given(configurations())
def test_convolution_drawn(configuration):
    lhs_shape, rhs_shape, layouts, options = configuration
    check(conv_case(lhs_shape, rhs_shape, layouts, **options))


def test_a_reversed_window_is_refused_in_reverse_mode():
    """window_reversal (which our builders never set) is refused by name rather than transposed wrongly;
    forward mode replays the op with its attributes, so it stays exact there."""
    text = conv_case((1, 1, 4), (1, 1, 2), ("NCH", "OIH", "NCH")).text
    assert "reverse = [false]" in text
    reversed_text = text.replace("reverse = [false]", "reverse = [true]")
    with pytest.raises(autodiff.AutodiffError, match="window_reversal"):
        autodiff.reverse(reversed_text, wrt=(0, 1))
    autodiff.forward(reversed_text, wrt=(0, 1))
