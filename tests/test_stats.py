"""Bootstrap intervals: they cover the estimate, shrink with n, agree with the normal approximation
where it holds, are the same for the same seed, and refuse what they cannot do."""

import numpy as np
import pytest

from wmlib import stats as S


def flags(n, p, seed=0):
    return np.random.default_rng(seed).random(n) < p


def test_the_interval_covers_the_estimate_and_shrinks_with_n():
    widths = []
    for n in (50, 400, 3200):
        f = flags(n, 0.4)
        low, high = S.share_interval(f, n_resamples=2000)
        assert low < f.mean() < high
        widths.append(high - low)
    assert widths[0] > 2 * widths[1] > 4 * widths[2]  # about 1/sqrt(n): 2.8x per step of 8x


def test_a_large_share_matches_the_normal_approximation():
    f = flags(4000, 0.3, seed=1)
    p = f.mean()
    half = 1.96 * np.sqrt(p * (1 - p) / len(f))
    low, high = S.share_interval(f, n_resamples=2000)
    assert low == pytest.approx(p - half, abs=0.003) and high == pytest.approx(p + half, abs=0.003)


def test_the_same_seed_gives_the_same_interval():
    x = np.random.default_rng(2).normal(size=60)
    assert S.interval(x, seed=3) == S.interval(x, seed=3)
    assert S.interval(x, seed=3) != S.interval(x, seed=4)


def test_any_statistic_of_rows_and_a_wider_confidence():
    # models as the unit: each row holds one model's scores on five tasks; the statistic is the grand mean
    scores = np.random.default_rng(3).random((30, 5))
    low, high = S.interval(scores, statistic=np.mean, n_resamples=2000)
    assert low < scores.mean() < high
    low99, high99 = S.interval(scores, statistic=np.mean, confidence=0.99, n_resamples=2000)
    assert low99 < low and high99 > high


def test_the_median_ignores_what_was_not_measured():
    g = np.random.default_rng(4).normal(0.75, 0.05, 200)
    with_gaps = g.copy()
    with_gaps[::4] = np.nan
    low, high = S.median_interval(with_gaps, n_resamples=2000)
    assert low < np.nanmedian(with_gaps) < high and high - low < 0.05
    measured = g[~np.isnan(with_gaps)]
    assert S.median_interval(with_gaps, n_resamples=2000) == S.median_interval(measured, n_resamples=2000)


def test_degenerate_samples():
    assert S.share_interval(np.ones(20, bool)) == (1.0, 1.0)
    assert S.share_interval([0, 0, 0]) == (0.0, 0.0)
    low, high = S.share_interval(np.r_[True, np.zeros(99, bool)])  # one success: BCa has little to work with
    assert 0 <= low <= 0.01 < high <= 0.07  # the exact (Clopper-Pearson) interval is (0.0003, 0.054)


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda: S.share_interval([True]), "at least 2"),
        (lambda: S.share_interval([]), "at least 2"),
        (lambda: S.share_interval([0, 1, 2]), "booleans"),
        (lambda: S.share_interval(np.ones((3, 2), bool)), "1-D"),
        (lambda: S.interval([1.0, np.nan, 2.0]), "finite"),
        (lambda: S.interval([1.0, 2.0], confidence=95), "confidence"),
        (lambda: S.interval([1.0, 2.0], n_resamples=10), "n_resamples"),
        (lambda: S.median_interval([np.nan, 1.0]), "at least 2"),
    ],
)
def test_bad_input_is_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_a_paired_difference_averages_repeats_within_units_and_sees_a_shift():
    rng = np.random.default_rng(3)
    unit = rng.normal(0, 1.0, (60, 1))  # large between-unit spread, shared by a and b
    a = unit + 0.2 + rng.normal(0, 0.05, (60, 3))
    b = unit + rng.normal(0, 0.05, (60, 3))
    r = S.paired_mean_difference(a, b, n_resamples=2000)
    assert r["units"] == 60 and r["low"] < r["difference"] < r["high"]
    assert 0.15 < r["low"] and r["high"] < 0.25  # pairing removes the unit spread
    unpaired = S.interval(a.mean(1), n_resamples=2000)
    assert unpaired[1] - unpaired[0] > 5 * (r["high"] - r["low"])
    same = S.paired_mean_difference(b + rng.normal(0, 0.05, b.shape), b, n_resamples=2000)
    assert same["low"] < 0 < same["high"]  # no shift: the interval covers 0


def test_a_paired_difference_drops_unmeasured_pairs_and_refuses_bad_shapes():
    a = np.array([[1.0, np.nan], [2.0, 4.0], [np.nan, np.nan], [0.0, 1.0]])
    b = np.zeros_like(a)
    r = S.paired_mean_difference(a, b, n_resamples=500)
    assert r["units"] == 3 and r["difference"] == pytest.approx((1 + 3 + 0.5) / 3)
    with pytest.raises(ValueError, match="same shape"):
        S.paired_mean_difference(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least 2 units"):
        S.paired_mean_difference([1.0, np.nan], [0.0, 0.0])


def test_spearman_interval_over_units():
    rng = np.random.default_rng(5)
    x = rng.normal(size=40)
    rho, low, high = S.spearman_interval(x, x + 0.5 * rng.normal(size=40), n_resamples=2000)
    assert 0.6 < low < rho < high <= 1
    rho, low, high = S.spearman_interval(x, rng.normal(size=40), n_resamples=2000)
    assert low < 0 < high  # unrelated: the interval holds 0
    rho, low, high = S.spearman_interval(x[:9], x[:9] ** 3, n_resamples=2000)
    assert rho == low == high == 1  # monotone: rho is 1 whatever the curve, in every resample too
    with pytest.raises(ValueError, match="at least 4"):
        S.spearman_interval([1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="equally long"):
        S.spearman_interval([1, 2, 3, 4], [1, 2, 3])
