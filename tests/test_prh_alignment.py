"""wmlib.prh.alignment: each metric against its defining properties and a naive, direct implementation."""

import itertools
import math

import numpy as np
import pytest

from wmlib.prh import alignment as al

ALL = list(al.METRICS)
SYMMETRIC = ["mutual_knn", "lcs_knn", "edit_distance_knn", "cka", "unbiased_cka", "cknna", "svcca"]


def gaussian(n, d, seed):
    return np.random.default_rng(seed).normal(size=(n, d))


def rotation(d, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


def related(n=300, seed=0):
    """Two representations that share a 5-dimensional latent and differ in everything else."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    return (
        np.hstack([z, 0.5 * rng.normal(size=(n, 20))]) @ rotation(25, seed + 1),
        np.hstack([z @ rotation(5, seed + 2), 0.5 * rng.normal(size=(n, 10))]),
    )


# --- naive implementations, written from the definitions -------------------------------------------


def naive_neighbours(x, k):
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    return [list(np.argsort(-row, kind="stable")[:k]) for row in sim]


def naive_lcs(p, q):
    if not p or not q:
        return 0
    if p[-1] == q[-1]:
        return naive_lcs(p[:-1], q[:-1]) + 1
    return max(naive_lcs(p[:-1], q), naive_lcs(p, q[:-1]))


def naive_levenshtein(p, q):
    if not p:
        return len(q)
    if not q:
        return len(p)
    return min(
        naive_levenshtein(p[1:], q) + 1,
        naive_levenshtein(p, q[1:]) + 1,
        naive_levenshtein(p[1:], q[1:]) + (p[0] != q[0]),
    )


def naive_hsic(k, l):
    n = len(k)
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ l @ h) / (n - 1) ** 2


def naive_hsic_unbiased(k, l):
    """Song et al. (2012), eq. 5, term by term."""
    n = len(k)
    kt, lt = k - np.diag(np.diag(k)), l - np.diag(np.diag(l))
    one = np.ones(n)
    return (
        np.trace(kt @ lt)
        + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
        - 2 / (n - 2) * one @ kt @ lt @ one
    ) / (n * (n - 3))


def naive_cka(a, b, hsic):
    k, l = a @ a.T, b @ b.T
    return hsic(k, l) / math.sqrt(hsic(k, k) * hsic(l, l))


def naive_cknna(a, b, k):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    n = len(a)
    h = np.eye(n) - np.ones((n, n)) / n
    ka, kb = h @ a @ a.T @ h, h @ b @ b.T @ h
    na, nb = naive_neighbours(a, k), naive_neighbours(b, k)

    def align(x, y, nx, ny):
        return sum(x[i, j] * y[i, j] for i in range(n) for j in range(n) if i != j and j in nx[i] and j in ny[i])

    return align(ka, kb, na, nb) / math.sqrt(align(ka, ka, na, na) * align(kb, kb, nb, nb))


def naive_cca(a, b, dim):
    """Canonical correlations from covariances: top-``dim`` PCA of each side, then the singular values
    of Caa^-1/2 Cab Cbb^-1/2."""

    def reduce(x):
        x = x - x.mean(0)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        return x @ vt[:dim].T

    a, b = reduce(a), reduce(b)

    def inv_sqrt(c):
        w, v = np.linalg.eigh(c)
        return v @ np.diag(w**-0.5) @ v.T

    m = inv_sqrt(a.T @ a) @ (a.T @ b) @ inv_sqrt(b.T @ b)
    return np.linalg.svd(m, compute_uv=False)


# --- equal to the naive implementations on small inputs ---------------------------------------------


def test_neighbours_match_a_full_sort_and_do_not_depend_on_the_chunk_size():
    x = gaussian(60, 8, 0)
    expected = naive_neighbours(x, 5)
    for chunk in (7, 60, 1000):
        assert al.knn(x, 5, chunk=chunk).tolist() == expected


def test_neighbour_metrics_equal_naive_versions():
    a, b = related(40, seed=3)
    k = 6
    na, nb = naive_neighbours(a, k), naive_neighbours(b, k)
    n = len(a)
    mutual = np.mean([len(set(na[i]) & set(nb[i])) / k for i in range(n)])
    cycle = np.mean([any(i in na[j] for j in nb[i]) for i in range(n)])
    lcs = np.mean([naive_lcs(na[i], nb[i]) / k for i in range(n)])
    edit = 1 - np.mean([naive_levenshtein(na[i], nb[i]) / k for i in range(n)])
    assert al.mutual_knn(a, b, k) == pytest.approx(mutual, abs=1e-12)
    assert al.cycle_knn(a, b, k) == pytest.approx(cycle, abs=1e-12)
    assert al.lcs_knn(a, b, k) == pytest.approx(lcs, abs=1e-12)
    assert al.edit_distance_knn(a, b, k) == pytest.approx(edit, abs=1e-12)
    assert 0 < mutual < 1 and 0 < lcs <= mutual  # a common subsequence uses only shared neighbours


def test_kernel_metrics_equal_naive_versions():
    a, b = related(30, seed=4)
    assert al.cka(a, b) == pytest.approx(naive_cka(a, b, naive_hsic), abs=1e-9)
    assert al.unbiased_cka(a, b) == pytest.approx(naive_cka(a, b, naive_hsic_unbiased), abs=1e-9)
    assert al.cknna(a, b, k=5) == pytest.approx(naive_cknna(a, b, 5), abs=1e-9)
    assert al.canonical_correlations(a, b, dim=4) == pytest.approx(naive_cca(a, b, 4), abs=1e-8)
    assert al.svcca(a, b, dim=4) == pytest.approx(naive_cca(a, b, 4).mean(), abs=1e-8)


def test_rbf_cka_uses_the_given_width():
    a, b = related(30, seed=5)

    def rbf(x, s):
        d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * s**2))

    k, l = rbf(a, 2.0), rbf(b, 2.0)
    assert al.cka(a, b, kernel="rbf", sigma=2.0) == pytest.approx(
        naive_hsic(k, l) / math.sqrt(naive_hsic(k, k) * naive_hsic(l, l)), abs=1e-9
    )


def test_cknna_with_every_pair_is_cka_without_the_diagonal():
    a, b = related(25, seed=6)
    n = len(a)
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    h = np.eye(n) - np.ones((n, n)) / n
    ka, kb = h @ an @ an.T @ h, h @ bn @ bn.T @ h
    off = ~np.eye(n, dtype=bool)
    expected = (ka * kb)[off].sum() / math.sqrt((ka * ka)[off].sum() * (kb * kb)[off].sum())
    assert al.cknna(a, b, k=n - 1) == pytest.approx(expected, abs=1e-9)


# --- maximum, symmetry, invariance ------------------------------------------------------------------


@pytest.mark.parametrize("metric", ALL)
def test_identical_features_score_the_maximum(metric):
    x = gaussian(200, 16, 1)
    assert al.score(x, x, metric) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("metric", SYMMETRIC)
def test_symmetric_metrics(metric):
    a, b = related(150, seed=7)
    assert al.score(a, b, metric) == pytest.approx(al.score(b, a, metric), abs=1e-9)


def test_cycle_knn_is_not_symmetric():
    # b sees only the first coordinate, a all of them: b's neighbourhoods are a's coarsened
    gaps = []
    for seed in range(3):
        a = gaussian(200, 4, seed)
        b = a[:, :1] + 1e-3 * gaussian(200, 1, seed + 10)
        gaps.append(abs(al.cycle_knn(a, b) - al.cycle_knn(b, a)))
    assert max(gaps) > 0.02


@pytest.mark.parametrize(
    "metric", ["mutual_knn", "cycle_knn", "lcs_knn", "edit_distance_knn", "cka", "unbiased_cka", "cknna", "svcca"]
)
def test_invariant_to_rotation_and_isotropic_scaling(metric):
    a, b = related(150, seed=8)
    changed = 3.7 * a @ rotation(a.shape[1], 9)
    assert al.score(changed, b, metric) == pytest.approx(al.score(a, b, metric), abs=1e-6)


@pytest.mark.parametrize("metric", ["cka", "unbiased_cka", "svcca"])
def test_centred_metrics_ignore_a_shift(metric):
    a, b = related(120, seed=10)
    assert al.score(a + 5.0, b, metric) == pytest.approx(al.score(a, b, metric), abs=1e-6)


def test_cka_is_not_invariant_to_stretching_one_direction_but_cca_is():
    a, b = related(200, seed=11)
    stretch = np.ones(a.shape[1])
    stretch[0] = 10.0
    assert abs(al.cka(a * stretch, b) - al.cka(a, b)) > 0.01
    # with every direction kept, SVCCA is plain CCA: blind to any invertible linear map
    a8, b8 = a[:, :8], b[:, :8]
    assert al.svcca(a8 * stretch[:8], b8, dim=8) == pytest.approx(al.svcca(a8, b8, dim=8), abs=1e-9)
    # with fewer kept (the SV step), stretching changes which directions survive
    assert abs(al.svcca(a * stretch, b, dim=5) - al.svcca(a, b, dim=5)) > 1e-3


def test_related_beats_unrelated_on_every_metric():
    a, b = related(300, seed=12)
    c = gaussian(300, 10, 13)
    for metric in ALL:
        assert al.score(a, b, metric) > al.score(a, c, metric) + 0.05, metric


# --- baselines for independent random features ------------------------------------------------------


def test_mutual_and_cycle_knn_of_unrelated_features_are_at_chance():
    n, k = 1000, 10
    runs = [
        (
            al.mutual_knn(gaussian(n, 32, s), gaussian(n, 32, s + 100), k),
            al.cycle_knn(gaussian(n, 32, s), gaussian(n, 32, s + 100), k),
        )
        for s in range(3)
    ]
    mutual, cycle = np.mean(runs, axis=0)
    assert mutual == pytest.approx(al.chance("mutual_knn", n, k), rel=0.15)
    assert cycle == pytest.approx(al.chance("cycle_knn", n, k), rel=0.15)
    lcs = al.lcs_knn(gaussian(n, 32, 0), gaussian(n, 32, 100), k)
    assert lcs <= mutual * 1.3  # an ordered match needs a shared neighbour first


def test_cka_of_unrelated_gaussians_matches_its_analytic_bias():
    n, p, q = 500, 40, 20
    biased = np.mean([al.cka(gaussian(n, p, s), gaussian(n, q, s + 50)) for s in range(3)])
    unbiased = np.mean([al.unbiased_cka(gaussian(n, p, s), gaussian(n, q, s + 50)) for s in range(3)])
    assert biased == pytest.approx(math.sqrt(p * q / ((n + p) * (n + q))), rel=0.15)
    assert abs(unbiased) < 0.01


def test_svcca_of_unrelated_features_matches_random_subspaces():
    n, dim = 1000, 10
    rho = np.mean(
        [al.canonical_correlations(gaussian(n, 30, s), gaussian(n, 30, s + 70), dim) for s in range(3)], axis=0
    )
    assert (rho**2).mean() == pytest.approx(dim / (n - 1), rel=0.2)  # E tr(Pa Pb) = dim^2 / (n - 1)


def test_cknna_of_unrelated_features_is_near_zero():
    assert abs(al.cknna(gaussian(500, 16, 0), gaussian(500, 16, 1))) < 0.1


# --- the paper's protocol ----------------------------------------------------------------------------


def test_prepare_clips_outliers_then_normalises():
    x = gaussian(100, 20, 2)
    x[0, 0] = 1e6  # an "emergent outlier" dimension
    y = al.prepare(x).numpy()
    assert np.allclose(np.linalg.norm(y, axis=1), 1)
    limit = np.sort(np.abs(x).ravel())[int(0.95 * x.size)]
    expected = np.clip(x[1], -limit, limit)
    assert np.allclose(y[1], expected / np.linalg.norm(expected), atol=1e-6)
    assert y[0, 0] < 0.9  # the outlier no longer owns its row


def test_best_layer_pair_clips_each_model_at_one_threshold():
    a, b = related(100, seed=16)
    loud = 50 * a  # a layer whose values are all large: one threshold for the model clips it hard
    best, _ = al.best_layer_pair([a, loud], [b], q=0.5)

    def limit(*layers):
        values = np.sort(np.abs(np.concatenate([x.ravel() for x in layers])))
        return values[int(0.5 * len(values))]

    la, lb = limit(a, loud), limit(b)
    expected = max(al.mutual_knn(np.clip(x, -la, la), np.clip(b, -lb, lb)) for x in (a, loud))
    assert best == pytest.approx(expected, abs=1e-12)
    assert best != pytest.approx(max(al.mutual_knn(al.prepare(x, 0.5), al.prepare(b, 0.5)) for x in (a, loud)))


def test_best_layer_pair_finds_the_shared_layer():
    a, b = related(200, seed=14)
    noise = [gaussian(200, 12, s) for s in range(20, 23)]
    best, (i, j) = al.best_layer_pair([noise[0], a, noise[1]], [noise[2], b])
    assert (i, j) == (1, 1)
    unclipped, where = al.best_layer_pair([noise[0], a, noise[1]], [noise[2], b], q=None)
    assert where == (1, 1) and unclipped == pytest.approx(al.mutual_knn(a, b), abs=1e-12)
    other, where = al.best_layer_pair([noise[0], a], [b], metric="cka", q=None)
    assert where == (1, 0) and other == pytest.approx(al.cka(al.normalize(a), al.normalize(b)), abs=1e-9)


# --- clear errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, k, words",
    [
        (np.zeros((10, 3)), np.zeros((9, 3)), 3, "same items"),
        (np.zeros(10), np.zeros((10, 3)), 3, "2-D"),
        (np.ones((10, 3)), np.ones((10, 3)), 10, "between 1 and N - 1"),
        (np.ones((10, 3)), np.ones((10, 3)), 0, "between 1 and N - 1"),
        (np.full((10, 3), np.nan), np.ones((10, 3)), 3, "NaN"),
    ],
)
def test_bad_input_is_refused_with_a_reason(a, b, k, words):
    with pytest.raises(ValueError, match=words):
        al.mutual_knn(a, b, k)


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(ValueError, match="mutual_knn"):
        al.score(np.ones((5, 2)), np.ones((5, 2)), "cosine")


def test_a_constant_representation_scores_zero_not_nan():
    a = gaussian(50, 4, 0)
    assert al.cka(a, np.ones((50, 4))) == 0.0


def test_chance_is_defined_where_it_is_known():
    assert al.chance("mutual_knn", 1001, 10) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        al.chance("cka", 100)


def test_every_metric_is_reachable_by_name():
    a, b = related(60, seed=15)
    for name, fn in al.METRICS.items():
        kwargs = {"k": 5} if "knn" in name else {}
        assert al.score(a, b, name, k=5) == pytest.approx(fn(a, b, **kwargs))
    assert set(itertools.chain(SYMMETRIC, ["cycle_knn"])) == set(ALL)


def test_layer_neighbours_and_overlap_give_mutual_knn():
    a, b = related(120, seed=17)
    (na,), (nb,) = al.layer_neighbours([a], k=7, q=None), al.layer_neighbours([b], k=7, q=None)
    assert al.neighbour_overlap(na, nb) == pytest.approx(al.mutual_knn(a, b, k=7), abs=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        al.neighbour_overlap(na, nb[:, :3])


def test_spearman_matches_a_direct_computation_with_ties():
    x = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 4.0])
    y = np.array([2.0, 1.0, 4.0, 4.0, 6.0, 5.0])

    def ranks(v):  # mean rank of ties, written the slow way
        return np.array([np.mean([j for j in range(len(v)) if np.sort(v)[j] == value]) for value in v])

    expected = np.corrcoef(ranks(x), ranks(y))[0, 1]
    assert al.spearman(x, y) == pytest.approx(expected, abs=1e-12)
    assert al.spearman(x, np.exp(x)) == pytest.approx(1.0)  # monotone, not linear: still 1
    assert al.spearman(x, -x) == pytest.approx(-1.0)
    np.testing.assert_allclose(al._ranks(np.array([3.0, 1.0, 2.0, 2.0])), [3, 0, 1.5, 1.5])


def test_counting_each_item_as_its_own_neighbour_adds_one_in_k():
    n, k = 500, 10
    a, b = gaussian(n, 32, 0), gaussian(n, 32, 100)
    assert (al.knn(a, k, include_self=True)[:, 0] == np.arange(n)).all()  # each row is its own nearest
    assert not (al.knn(a, k) == np.arange(n)[:, None]).any()
    slip, right = al.mutual_knn(a, b, k, include_self=True), al.mutual_knn(a, b, k)
    assert slip == pytest.approx(1 / k + (k - 1) / k * right, abs=0.01)
    assert slip > right + 0.08
