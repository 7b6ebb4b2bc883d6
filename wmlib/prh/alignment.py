"""Kernel alignment: how alike are two representations of the same N items?

A representation f maps each item to a vector; its *kernel* K[i, j] = <f(x_i), f(x_j)> says which items it
finds alike. Two models, or an image model and a text model fed the two halves of N image-caption pairs,
are *aligned* when their kernels agree. Huh et al. (2024, "The Platonic Representation Hypothesis", §2 and
App. A-B) compare kernels with the metrics below; their main one is mutual k-NN.

Every metric takes two feature matrices ``a`` (N, D_a) and ``b`` (N, D_b), numpy or torch, row i of both
describing item i, and returns a Python float. The neighbour metrics look at each item's k nearest
neighbours by cosine similarity (self excluded); the kernel metrics (CKA and friends) at all pairs.

Where the reference code (github.com/minyoungg/platonic-rep, ``metrics.py``) differs from the paper, this
module follows the paper and says so in the function's docstring.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "prepare",
    "normalize",
    "knn",
    "mutual_knn",
    "cycle_knn",
    "lcs_knn",
    "edit_distance_knn",
    "cka",
    "unbiased_cka",
    "cknna",
    "svcca",
    "canonical_correlations",
    "score",
    "prepare_layers",
    "layer_neighbours",
    "neighbour_overlap",
    "best_layer_pair",
    "spearman",
    "METRICS",
    "chance",
]


def _features(x, name: str = "features") -> "torch.Tensor":
    """``x`` as a float32 (N, D) torch tensor on the CPU, with a clear error for anything else."""
    import torch

    t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if t.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (items, dimensions) array; got shape {tuple(t.shape)}")
    if not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64, torch.uint8)):
        raise ValueError(f"{name} must hold numbers; got {t.dtype}")
    t = t.to("cpu", torch.float64 if t.dtype == torch.float64 else torch.float32)
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return t


def _pair(a, b) -> tuple["torch.Tensor", "torch.Tensor"]:
    a, b = _features(a, "a"), _features(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a and b must describe the same items, row for row; got {len(a)} and {len(b)} rows")
    if len(a) < 4:
        raise ValueError(f"alignment needs at least 4 items; got {len(a)}")
    return a, b


def _check_k(k: int, n: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k < n:
        raise ValueError(f"k must be a whole number between 1 and N - 1 = {n - 1}; got {k!r}")


def normalize(x) -> "torch.Tensor":
    """Rows scaled to unit length, so that dot products are cosine similarities (a zero row stays zero)."""
    import torch

    x = _features(x)
    return x / x.norm(dim=1, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)


def _clip_limit(xs: list, q: float) -> float:
    """The ``q`` quantile of the absolute values of all of ``xs`` together (exact, by sorting)."""
    import torch

    magnitudes = torch.cat([x.abs().flatten() for x in xs]).sort().values
    return float(magnitudes[min(int(q * len(magnitudes)), len(magnitudes) - 1)])


def prepare(x, q: float = 0.95) -> "torch.Tensor":
    """The paper's preprocessing (App. C.2): clip every value to the ``q`` quantile of all the absolute
    values (large models have a few huge "emergent outlier" dimensions, Dettmers et al. 2022, that would
    otherwise dominate every dot product), then scale rows to unit length. The quantile is exact, as the
    reference code's ``--precise`` mode computes it."""
    if not 0 < q <= 1:
        raise ValueError(f"q is a quantile in (0, 1]; got {q}")
    x = _features(x)
    limit = _clip_limit([x], q)
    return normalize(x.clamp(-limit, limit))


def knn(x, k: int, chunk: int = 2048, include_self: bool = False) -> "torch.Tensor":
    """The indices (N, k) of each row's ``k`` nearest other rows by cosine similarity, nearest first.

    Works ``chunk`` rows at a time, so memory grows as ``chunk * N``, not ``N * N``: 20,000 items need
    a 2048 x 20,000 block (160 MB) at a time instead of a 1.6 GB similarity matrix. ``include_self``
    lets each row be its own nearest neighbour: the common slip, which the paper's metric excludes.
    """
    import torch

    x = normalize(x)
    n = len(x)
    _check_k(k, n)
    out = torch.empty(n, k, dtype=torch.long)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        sim = x[lo:hi] @ x.T
        if not include_self:
            sim[torch.arange(hi - lo), torch.arange(lo, hi)] = -math.inf  # an item is not its own neighbour
        out[lo:hi] = sim.topk(k, dim=1).indices
    return out


def _overlap(na: "torch.Tensor", nb: "torch.Tensor") -> "torch.Tensor":
    """Per row, how many indices two (N, k) neighbour lists share (each list holds distinct indices)."""
    return (na[:, :, None] == nb[:, None, :]).any(2).sum(1)


def mutual_knn(a, b, k: int = 10, chunk: int = 2048, include_self: bool = False) -> float:
    """The paper's main metric (App. A): the mean over items of |S_a(i) ∩ S_b(i)| / k, where S(i) are
    the ``k`` nearest neighbours of item i in each representation, i itself excluded. 1 when both agree on
    every neighbourhood; about k / (N - 1) for unrelated features (``chance``). ``include_self=True``
    makes the slip of counting i as its own neighbour, which adds about 1/k for free."""
    a, b = _pair(a, b)
    _check_k(k, len(a))
    return float(_overlap(knn(a, k, chunk, include_self), knn(b, k, chunk, include_self)).double().mean() / k)


def cycle_knn(a, b, k: int = 10) -> float:
    """Go from item i to its ``k`` neighbours in ``b``, then to each of their ``k`` neighbours in ``a``:
    the fraction of items that get back to themselves. Not symmetric in ``a`` and ``b``."""
    a, b = _pair(a, b)
    _check_k(k, len(a))
    na, nb = knn(a, k), knn(b, k)
    import torch

    back = na[nb].flatten(1)  # (N, k * k): a-neighbours of i's b-neighbours
    return float((back == torch.arange(len(a))[:, None]).any(1).double().mean())


def _sequence_dp(x: np.ndarray, y: np.ndarray, lcs: bool) -> np.ndarray:
    """Longest-common-subsequence length (``lcs``) or Levenshtein distance between row i of ``x`` and
    row i of ``y`` (both (N, k)), for all rows at once: the classic dynamic programme, vectorised over N."""
    n, k = x.shape
    prev = np.zeros((n, k + 1), dtype=np.int64) if lcs else np.tile(np.arange(k + 1), (n, 1))
    for i in range(1, k + 1):
        cur = np.zeros_like(prev)
        cur[:, 0] = 0 if lcs else i
        for j in range(1, k + 1):
            same = x[:, i - 1] == y[:, j - 1]
            if lcs:
                cur[:, j] = np.where(same, prev[:, j - 1] + 1, np.maximum(prev[:, j], cur[:, j - 1]))
            else:
                cur[:, j] = np.minimum(np.minimum(prev[:, j], cur[:, j - 1]) + 1, prev[:, j - 1] + ~same)
        prev = cur
    return prev[:, k]


def lcs_knn(a, b, k: int = 10) -> float:
    """The longest common subsequence of the two *ordered* neighbour lists of each item, divided by ``k``
    and averaged: like mutual k-NN, but the neighbours must also come in the same order.

    The paper normalises by the sequence length; the reference code returns the raw length (0 to k).
    Here it is normalised, so 1 is the maximum."""
    a, b = _pair(a, b)
    _check_k(k, len(a))
    return float(_sequence_dp(knn(a, k).numpy(), knn(b, k).numpy(), lcs=True).mean() / k)


def edit_distance_knn(a, b, k: int = 10) -> float:
    """1 - (Levenshtein distance between the two ordered neighbour lists) / ``k``, averaged over items."""
    a, b = _pair(a, b)
    _check_k(k, len(a))
    return float(1 - _sequence_dp(knn(a, k).numpy(), knn(b, k).numpy(), lcs=False).mean() / k)


def _centre(kernel: "torch.Tensor") -> "torch.Tensor":
    """H K H with H = I - 11^T / n: the kernel of the features with their mean removed."""
    return kernel - kernel.mean(0, keepdim=True) - kernel.mean(1, keepdim=True) + kernel.mean()


def _hsic(k: "torch.Tensor", l: "torch.Tensor", unbiased: bool) -> "torch.Tensor":
    """Hilbert-Schmidt independence criterion of two kernels. Biased: Tr(KHLH) / (n - 1)^2 (Gretton et
    al. 2005). Unbiased: Song et al. (2012), eq. 5, which needs n > 3 and can be slightly negative."""
    n = len(k)
    if not unbiased:
        return (_centre(k) * _centre(l)).sum() / (n - 1) ** 2
    k, l = k.clone(), l.clone()
    k.fill_diagonal_(0)
    l.fill_diagonal_(0)
    ones_k, ones_l = k.sum(1), l.sum(1)
    return ((k * l).sum() + k.sum() * l.sum() / ((n - 1) * (n - 2)) - 2 * (ones_k @ ones_l) / (n - 2)) / (n * (n - 3))


def _kernel(x: "torch.Tensor", kind: str, sigma: float | None) -> "torch.Tensor":
    if kind == "linear":
        return x @ x.T
    if kind == "rbf":
        import torch

        d2 = torch.cdist(x, x).square()
        # The median heuristic unless a width is given: distances in high dimensions are all large.
        s = sigma if sigma is not None else float(d2[d2 > 0].median().sqrt()) if (d2 > 0).any() else 1.0
        return torch.exp(-d2 / (2 * s**2))
    raise ValueError(f"kernel must be 'linear' or 'rbf'; got {kind!r}")


def cka(a, b, kernel: str = "linear", sigma: float | None = None, unbiased: bool = False) -> float:
    """Centered kernel alignment (Kornblith et al. 2019): HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)),
    the cosine between the two centred kernels seen as vectors. 1 for identical kernels; invariant to
    rotating and to isotropically scaling either representation. ``kernel``: 'linear' (K = A A^T, on
    the features as given) or 'rbf' (Gaussian, width ``sigma``, the median distance by default).

    Biased CKA of unrelated features is not 0 (about sqrt(p q / ((n + p)(n + q))) for Gaussian features
    of p and q dimensions): use ``unbiased=True`` (or ``unbiased_cka``) to compare across sizes."""
    a, b = _pair(a, b)
    a, b = a.double(), b.double()  # sums of N^2 products: float32 loses the digits that tell scores apart
    k, l = _kernel(a, kernel, sigma), _kernel(b, kernel, sigma)
    kl, kk, ll = (_hsic(x, y, unbiased) for x, y in ((k, l), (k, k), (l, l)))
    if kk <= 0 or ll <= 0:
        return 0.0  # a constant representation carries no similarity structure to align
    return float(kl / (kk * ll).sqrt())


def unbiased_cka(a, b, kernel: str = "linear", sigma: float | None = None) -> float:
    """CKA with the unbiased HSIC estimator of Song et al. (2012): about 0 for unrelated features, at any N."""
    return cka(a, b, kernel=kernel, sigma=sigma, unbiased=True)


def cknna(a, b, k: int = 10) -> float:
    """Centered kernel nearest-neighbour alignment (the paper's App. A): CKA restricted to pairs (i, j)
    that are mutual neighbours, j among the ``k`` nearest neighbours of i in *both* representations:

        Align(K, L) = sum over i != j of alpha(i, j) * Kc[i, j] * Lc[i, j],
        CKNNA = Align(K, L) / sqrt(Align(K, K) * Align(L, L)),

    with Kc, Lc the centred kernels of the unit-length rows (cosine similarity, as the neighbours).
    With k = N - 1 every pair counts and it is CKA without the diagonal terms; smaller k makes it
    local, like mutual k-NN.

    The reference code instead feeds the masked kernels to the unbiased HSIC estimator (and its
    ``topk=None`` default fails its own check); this follows the paper's formula.
    """
    a, b = _pair(a, b)
    n = len(a)
    _check_k(k, n)
    a, b = normalize(a).double(), normalize(b).double()
    ka, kb = _centre(a @ a.T), _centre(b @ b.T)

    def mask(neighbours: "torch.Tensor") -> "torch.Tensor":
        import torch

        m = torch.zeros(n, n, dtype=torch.bool)
        m[torch.arange(n)[:, None], neighbours] = True  # self is never among its own neighbours
        return m

    ma, mb = mask(knn(a, k)), mask(knn(b, k))
    ab = (ka * kb)[ma & mb].sum()
    aa, bb = (ka * ka)[ma].sum(), (kb * kb)[mb].sum()
    if aa <= 0 or bb <= 0:
        return 0.0
    return float(ab / (aa * bb).sqrt())


def canonical_correlations(a, b, dim: int = 10) -> np.ndarray:
    """SVCCA's canonical correlations (Raghu et al. 2017), largest first: centre each representation,
    keep its top ``dim`` singular directions (the SV step drops noise directions), then the
    correlations of the best-aligned pairs of directions between the two subspaces (the CCA step) are
    the singular values of Qa^T Qb, with Qa, Qb orthonormal bases of the two subspaces.

    The reference code standardises each feature first and runs scikit-learn's iterative CCA; the
    exact computation here needs neither."""
    a, b = _pair(a, b)
    if not 1 <= dim <= min(a.shape[1], b.shape[1], len(a) - 1):
        raise ValueError(
            f"dim must be between 1 and min(D_a, D_b, N - 1) = {min(a.shape[1], b.shape[1], len(a) - 1)}; got {dim}"
        )
    import torch

    def subspace(x: "torch.Tensor") -> "torch.Tensor":
        x = (x - x.mean(0)).double()
        u, s, _ = torch.linalg.svd(x, full_matrices=False)
        keep = min(dim, int((s > s[0] * 1e-10).sum())) if s[0] > 0 else 0
        return u[:, :keep]  # the left singular vectors are already an orthonormal basis

    qa, qb = subspace(a), subspace(b)
    if qa.shape[1] == 0 or qb.shape[1] == 0:
        return np.zeros(dim)
    rho = torch.linalg.svdvals(qa.T @ qb).clamp(0, 1).numpy()
    return np.pad(rho, (0, dim - len(rho)))


def svcca(a, b, dim: int = 10) -> float:
    """The mean of the ``dim`` canonical correlations (``canonical_correlations``): 1 when the top
    subspaces coincide. Invariant to rotations and scaling; with ``dim`` covering every direction it is
    plain CCA, blind to any invertible linear map."""
    return float(canonical_correlations(a, b, dim).mean())


METRICS = {
    "mutual_knn": mutual_knn,
    "cycle_knn": cycle_knn,
    "lcs_knn": lcs_knn,
    "edit_distance_knn": edit_distance_knn,
    "cka": cka,
    "unbiased_cka": unbiased_cka,
    "cknna": cknna,
    "svcca": svcca,
}
_USES_K = {"mutual_knn", "cycle_knn", "lcs_knn", "edit_distance_knn", "cknna"}


def score(a, b, metric: str = "mutual_knn", k: int = 10, **options) -> float:
    """``METRICS[metric](a, b, ...)``, passing ``k`` to the neighbour metrics (those named *knn*)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if metric in _USES_K:
        options["k"] = k
    return METRICS[metric](a, b, **options)


def prepare_layers(layers, q: float | None = 0.95) -> list["torch.Tensor"]:
    """The paper's preparation of one model's features, ``layers`` a sequence of (N, D) arrays (or an
    (L, N, D) array): every value clipped at the ``q`` quantile of the absolute values of *all* its
    layers together (one threshold per model, as the reference code does), then every row scaled to
    unit length. ``q=None`` only normalises."""
    if len(layers) == 0:
        raise ValueError("a model needs at least one layer of features")
    if q is not None and not 0 < q <= 1:
        raise ValueError(f"q is a quantile in (0, 1]; got {q}")
    layers = [_features(x, "a layer") for x in layers]
    if q is None:
        return [normalize(x) for x in layers]
    limit = _clip_limit(layers, q)
    return [normalize(x.clamp(-limit, limit)) for x in layers]


def layer_neighbours(layers, k: int = 10, q: float | None = 0.95) -> list["torch.Tensor"]:
    """The ``k`` nearest neighbours (N, k) of every item in every layer of one model, after
    ``prepare_layers``. Find them once per model; ``neighbour_overlap`` then scores any pair of layers
    (of any two models) in milliseconds."""
    return [knn(x, k) for x in prepare_layers(layers, q)]


def neighbour_overlap(na: "torch.Tensor", nb: "torch.Tensor") -> float:
    """Mutual k-NN from two (N, k) neighbour lists (from ``knn`` or ``layer_neighbours``)."""
    if na.shape != nb.shape:
        raise ValueError(f"neighbour lists must have the same shape; got {tuple(na.shape)} and {tuple(nb.shape)}")
    return float(_overlap(na, nb).double().mean() / na.shape[1])


def best_layer_pair(
    xs, ys, metric: str = "mutual_knn", k: int = 10, q: float | None = 0.95
) -> tuple[float, tuple[int, int]]:
    """The paper's cross-model score (App. C.2, "inspired by BrainScore"): every layer of one model
    against every layer of the other, keeping the best pair. ``xs``, ``ys``: sequences of (N, D)
    features, one per layer (or an (L, N, D) array), each model prepared by ``prepare_layers``
    (clipped at quantile ``q``, one threshold per model; rows unit length). Returns the best score and
    its (layer of x, layer of y).

    For mutual k-NN the neighbours of each layer are found once, not once per pair. Note that the best
    of many layer pairs scores above ``chance`` even for unrelated models."""
    if metric == "mutual_knn":
        nx, ny = layer_neighbours(xs, k, q), layer_neighbours(ys, k, q)
        scores = {(i, j): neighbour_overlap(a, b) for i, a in enumerate(nx) for j, b in enumerate(ny)}
    else:
        px, py = prepare_layers(xs, q), prepare_layers(ys, q)
        scores = {(i, j): score(x, y, metric, k=k) for i, x in enumerate(px) for j, y in enumerate(py)}
    best = max(scores, key=scores.get)
    return scores[best], best


def spearman(x, y) -> float:
    """Spearman's rank correlation: the Pearson correlation of the ranks (ties share their mean rank);
    1 when ``y`` grows whenever ``x`` does, whatever the shape of the curve."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"x and y must be two equally long lists of at least 3 numbers; got {x.shape} and {y.shape}")
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float((rx**2).sum() * (ry**2).sum()))
    return float((rx * ry).sum() / denominator) if denominator else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0 .. n-1, ties given the mean of the ranks they span."""
    ranks = np.empty(len(x))
    ranks[np.argsort(x, kind="stable")] = np.arange(len(x))
    _, group, size = np.unique(x, return_inverse=True, return_counts=True)
    if (size > 1).any():
        ranks = np.bincount(group, weights=ranks)[group] / size[group]
    return ranks


def chance(metric: str, n: int, k: int = 10) -> float:
    """What a neighbour metric scores, in expectation, for two unrelated representations of ``n`` items:
    each of the k neighbours in one is among the k in the other with probability k / (n - 1)."""
    _check_k(k, n)
    p = k / (n - 1)
    if metric == "mutual_knn":
        return p
    if metric == "cycle_knn":
        return 1 - (1 - p) ** k  # any of the k second-hop lists (each of k items) contains i
    raise ValueError(f"chance is known in closed form for 'mutual_knn' and 'cycle_knn'; got {metric!r}")
