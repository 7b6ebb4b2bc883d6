"""How sure is a figure? Bootstrap confidence intervals, built on ``scipy.stats.bootstrap``.

A figure measured on n items (prompts, clips, questions) would come out a little different on another
n items drawn the same way. The bootstrap estimates by how much: it redraws the n items with
replacement many times, recomputes the figure each time, and reads the interval off the spread (with
the bias-corrected and accelerated method, BCa, by default). The unit that is redrawn is what varies
between repetitions of the experiment: the items, or the models when models are the unit.

- ``interval``: the interval of any statistic of units (the rows of an array);
- ``share_interval``: of a share of booleans (videos with gravity right, answers right, ...);
- ``median_interval``: of a median, over the units that were measured (NaN: not measured).

Every interval is the same for the same ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

N_RESAMPLES = 9999  # scipy's default: enough that the interval's ends move by well under a point with the seed


def interval(
    values,
    statistic: Callable[[np.ndarray], float] = np.mean,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    method: str = "BCa",
) -> tuple[float, float]:
    """The ``confidence`` interval (low, high) of ``statistic(values)`` by bootstrap over the rows of
    ``values``, which are the units (an item each; or a model each, with its row of scores).

    ``statistic`` maps an array of rows to one number (``np.mean`` of a 1-D array: the mean). When all the
    rows are equal the bootstrap sees no spread and the interval is that one value, (v, v). Raises
    ValueError for fewer than 2 units, non-finite values, or a confidence outside (0, 1)."""
    from scipy.stats import bootstrap

    values = np.asarray(values, dtype=float)
    if values.ndim == 0 or len(values) < 2:
        n = values.size if values.ndim == 0 else len(values)
        raise ValueError(f"an interval needs at least 2 units (rows), got {n}")
    if not np.isfinite(values).all():
        raise ValueError("the values must be finite; drop the units that were not measured first")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 100:
        raise ValueError(f"n_resamples must be an int of at least 100, got {n_resamples!r}")
    if (values == values[0]).all():
        point = float(statistic(values))
        return point, point

    def on_rows(index: np.ndarray, axis: int = -1) -> np.ndarray:
        # scipy resamples the row numbers, a batch of resamples at a time; each is one call of statistic.
        index = np.moveaxis(index, axis, -1)
        flat = index.reshape(-1, index.shape[-1])
        return np.array([statistic(values[i]) for i in flat], float).reshape(index.shape[:-1])

    def run(how: str):
        return bootstrap(
            (np.arange(len(values)),),
            on_rows,
            n_resamples=n_resamples,
            vectorized=True,
            confidence_level=confidence,
            method=how,
            rng=np.random.default_rng(seed),
        ).confidence_interval

    import warnings

    with warnings.catch_warnings():
        # BCa warns (and gives NaN) when nearly every resample has the same value; the percentile
        # interval below is then the honest answer.
        warnings.simplefilter("ignore")
        ci = run(method)
        if not (np.isfinite(ci.low) and np.isfinite(ci.high)):
            ci = run("percentile")
    return float(ci.low), float(ci.high)


def share_interval(
    flags, confidence: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> tuple[float, float]:
    """The interval of the share of True in ``flags`` (one bool per unit, 1-D).

    All True (or all False) gives (1, 1) (or (0, 0)): the bootstrap cannot see a spread the sample does
    not have; the true share may still be below 1, by about 3/n at 95% (the rule of three)."""
    flags = np.asarray(flags)
    if flags.ndim != 1:
        raise ValueError(f"flags must be one bool per unit (1-D), got shape {flags.shape}")
    if flags.dtype != bool:
        if not np.isin(flags, (0, 1)).all():
            raise ValueError("flags must be booleans (or 0 and 1)")
        flags = flags.astype(bool)
    return interval(flags.astype(float), np.mean, confidence, n_resamples, seed)


def median_interval(
    values, confidence: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> tuple[float, float]:
    """The interval of the median of ``values`` (1-D), over the units that were measured: NaN means "not
    measured" (a video whose gravity could not be fitted) and is dropped before resampling, so this is
    the interval of the median over the measured units, not of a share."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be one number per unit (1-D), got shape {values.shape}")
    return interval(values[~np.isnan(values)], np.median, confidence, n_resamples, seed)


def paired_mean_difference(a, b, confidence: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0) -> dict:
    """The mean of ``a - b`` over paired units, with its interval: two methods measured on the same units.

    ``a`` and ``b``: one value per unit (n,) or a row of repeats per unit (n, r), such as edits x
    generation seeds; ``a[i, j]`` and ``b[i, j]`` are paired (the same edit and seed). Each unit's
    difference is the mean of its finite pairs (NaN: not measured), units with none are dropped, and the
    interval is by bootstrap over the units (``interval``), so repeats of one unit are never treated as
    independent. Returns ``{"difference", "low", "high", "a", "b", "units"}`` (``a`` and ``b``: the means
    over the same pairs)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(f"a and b must have the same shape, (n,) or (n, repeats); got {a.shape} and {b.shape}")
    if a.ndim == 1:
        a, b = a[:, None], b[:, None]
    ok = np.isfinite(a) & np.isfinite(b)
    keep = ok.any(1)
    if keep.sum() < 2:
        raise ValueError(f"a paired difference needs at least 2 units with a finite pair, got {int(keep.sum())}")
    a, b, ok = a[keep], b[keep], ok[keep]

    def unit_mean(x):
        return np.where(ok, x, 0.0).sum(1) / ok.sum(1)

    d = unit_mean(a) - unit_mean(b)
    low, high = interval(d, np.mean, confidence, n_resamples, seed)
    return {
        "difference": float(d.mean()),
        "low": low,
        "high": high,
        "a": float(unit_mean(a).mean()),
        "b": float(unit_mean(b).mean()),
        "units": int(keep.sum()),
    }


def spearman_interval(
    x, y, confidence: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman's rho of ``x`` and ``y`` (1-D, one pair per unit, e.g. per model) and its bootstrap
    interval over the units: ``(rho, low, high)``.

    Pairs are redrawn whole, so a model keeps its own x and y. A resample in which x or y takes one
    value has no ranking and counts as rho = 0 (as ``wmlib.prh.alignment.spearman`` does). With few units the
    interval is wide, as it should be: 9 models leave rho uncertain by about +-0.5."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D and equally long, got shapes {x.shape} and {y.shape}")
    pairs = np.column_stack([x, y])
    if len(pairs) < 4:
        raise ValueError(f"a rank correlation with an interval needs at least 4 units, got {len(pairs)}")
    low, high = interval(pairs, lambda rows: spearman(rows[:, 0], rows[:, 1]), confidence, n_resamples, seed)
    return spearman(pairs[:, 0], pairs[:, 1]), low, high


def spearman(x, y) -> float:
    """Spearman's rank correlation of two 1-D samples (ties share their mean rank), 0 when either takes a
    single value (no ranking)."""
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = float(np.sqrt((rx**2).sum() * (ry**2).sum()))
    return float((rx * ry).sum() / denominator) if denominator else 0.0
