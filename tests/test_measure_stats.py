"""Summaries, the bootstrap ratio of medians and the significance rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from futstrat.measure.stats import Ratio, noise_reasons, ratio_of_medians, summarize


def test_summary_of_five_values():
    summary = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (summary.n, summary.median, summary.q1, summary.q3) == (5, 3.0, 2.0, 4.0)
    assert (summary.minimum, summary.maximum, summary.mean) == (1.0, 5.0, 3.0)
    assert summary.iqr == 2.0
    assert summary.stdev == pytest.approx(math.sqrt(2.5))
    assert summary.relative_iqr == pytest.approx(2 / 3)


def test_summary_of_one_value_has_no_spread():
    summary = summarize([0.25])
    assert (summary.median, summary.q1, summary.q3, summary.iqr) == (0.25, 0.25, 0.25, 0.0)
    assert summary.stdev is None
    assert summary.relative_stdev is None


def test_summary_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no samples"):
        summarize([])


def test_tight_samples_are_not_noisy_and_spread_ones_are():
    assert noise_reasons(summarize([1.00, 1.01, 1.02, 1.01, 1.00])) == []
    reasons = noise_reasons(summarize([1.0, 1.3, 1.0, 1.5, 1.1]))
    assert any("IQR" in r for r in reasons)
    assert any("standard deviation" in r for r in reasons)


def test_one_outlier_is_noisy_by_stdev_even_when_the_iqr_is_tight():
    reasons = noise_reasons(summarize([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0]))
    assert reasons == ["standard deviation is 59% of the mean"]


@pytest.mark.parametrize(
    ("ratio", "significant"),
    [
        (Ratio(1.50, 1.40, 1.60), True),
        (Ratio(0.50, 0.45, 0.55), True),
        (Ratio(1.10, 0.95, 1.20), False),  # the interval holds 1
        (Ratio(1.03, 1.01, 1.05), False),  # excludes 1 but is under 5%
        (Ratio(0.97, 0.96, 0.98), False),
        (Ratio(2.00, None, None), False),  # no interval: too few samples to say
    ],
)
def test_significance_rule(ratio, significant):
    assert ratio.significant is significant


def test_clearly_different_samples_give_a_significant_ratio():
    slow = [2.00, 2.02, 1.98, 2.05, 2.01]
    fast = [1.00, 1.01, 0.99, 1.02, 1.00]
    ratio = ratio_of_medians(slow, fast)
    assert ratio.value == pytest.approx(2.01)
    assert ratio.low is not None
    assert ratio.high is not None
    assert 1.9 < ratio.low <= ratio.value <= ratio.high < 2.1
    assert ratio.significant


def test_samples_from_one_distribution_are_not_significantly_different():
    a = [1.00, 1.05, 0.97, 1.02, 0.99]
    b = [1.01, 0.98, 1.04, 1.00, 0.96]
    assert not ratio_of_medians(a, b).significant


def test_the_bootstrap_is_reproducible():
    a, b = [1.0, 1.2, 1.1, 0.9], [2.0, 2.2, 1.8, 2.1]
    assert ratio_of_medians(a, b) == ratio_of_medians(a, b)


def test_one_sample_gives_a_ratio_without_an_interval():
    ratio = ratio_of_medians([2.0], [1.0, 1.1])
    assert ratio == Ratio(2.0 / 1.05, None, None)


def test_a_ratio_needs_samples_on_both_sides():
    with pytest.raises(ValueError, match="both sides"):
        ratio_of_medians([], [1.0])


durations = st.lists(st.floats(min_value=1e-4, max_value=1e3), min_size=2, max_size=9)


@settings(max_examples=40, deadline=None)
@given(durations, durations)
def test_the_interval_is_ordered_and_the_ratio_inverts(a, b):
    forward, backward = ratio_of_medians(a, b, resamples=200), ratio_of_medians(b, a, resamples=200)
    assert forward.low is not None
    assert forward.high is not None
    assert forward.low <= forward.high
    assert forward.value * backward.value == pytest.approx(1.0)
