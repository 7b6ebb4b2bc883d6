"""Colour from co-occurrence: the colour experiment of the Platonic Representation Hypothesis.

Huh et al. (2024, §4, Fig. 8, App. D) argue that a contrastive learner ends up with a kernel equal to
the pointwise mutual information (PMI) of what co-occurs in its data, and that PMI is much the same
whichever modality measures the world. Colour is their worked example, and this module redoes it
small, offline and on one CPU thread:

- **perception**: CIELAB, the colour space built so that distances match how different colours look
  (``srgb_to_lab``);
- **pixels**: which colours appear next to each other in photographs (``photos``, ``pixel_pmi``);
  the paper sampled 300,000 pixel pairs within a 4-pixel radius in CIFAR-10, we do the same in the
  photographs that ship with scikit-image and matplotlib;
- **words**: how a sentence encoder trained contrastively on sentence pairs embeds colour words
  (``word_kernel``); the paper used SimCSE RoBERTa-L, we use the packaged all-MiniLM-L6-v2.

A kernel becomes a dissimilarity (``kernel_to_dissimilarity``: ``max K - K``), metric MDS turns that
into 3-D points (``mds``), and a similarity transform puts those points onto their CIELAB positions
(``align_to``, Kabsch-Umeyama), so all layouts can be drawn side by side (``plot_colour_layouts``).
The number to trust is ``distance_agreement``: the rank correlation between the pairwise distances of
the same colours in a learned layout and in CIELAB. It needs no alignment.

Two controls come with every score. ``shuffled_agreement`` is chance: the same layout with its colours
shuffled. ``rgb_agreement`` is the trivial answer: the colours placed at their own RGB coordinates,
with no learning at all. RGB already orders colours much as CIELAB does (both are smooth maps of the
same cube), so a layout shows perceptual structure only where it beats RGB, not where it beats chance.
``agreement_interval`` bootstraps either over the colours. Notebook 03 prints the figures; with 20
colour words, only a large agreement could stand out from the shuffled ones.

Example::

    from wmlib.prh.colour import (colour_words, language_layout, photos, pixel_pmi, plot_colour_layouts,
                              srgb_to_lab, vision_layout)
    from wmlib.encoders import text_encoder

    pmi = pixel_pmi(photos())
    vision = vision_layout(pmi)
    words, rgb = colour_words()
    language = language_layout(words, rgb, text_encoder())
    plot_colour_layouts([vision, language])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:  # only for the type hints: importing these at run time would make the import slow
    from matplotlib.figure import Figure

# The three sentences the paper embedded each colour word in; the word's vector is their average.
TEMPLATES = ("The color {}.", "This color is {}.", "The color of this thing is {}.")

# Photographs of everyday things (people, a cat, a cup, a rocket, a motorbike) that ship inside
# scikit-image and matplotlib: the closest we get offline to CIFAR-10's everyday objects.
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle", "grace_hopper")
# Also loadable, but not everyday scenes (a telescope image, a stained tissue slice, an eye fundus).
OTHER_PHOTOS = ("hubble_deep_field", "immunohistochemistry", "retina")

# The 11 basic colour terms of Berlin & Kay plus 9 non-basic ones, after the 20 categories of Lindsey &
# Brown (2014) that the paper used. Their glossary names peach, teal, lavender and maroon as the
# high-consensus non-basic terms; the other five are our choice of common colour words. The value is
# the name of the colour in the XKCD colour survey (the American spelling "gray" is "grey" there).
COLOUR_WORDS = {
    "red": "red",
    "orange": "orange",
    "yellow": "yellow",
    "green": "green",
    "blue": "blue",
    "purple": "purple",
    "pink": "pink",
    "brown": "brown",
    "black": "black",
    "white": "white",
    "gray": "grey",
    "peach": "peach",
    "teal": "teal",
    "lavender": "lavender",
    "maroon": "maroon",
    "tan": "tan",
    "turquoise": "turquoise",
    "magenta": "magenta",
    "lime": "lime",
    "olive": "olive",
}

# sRGB primaries and the D65 white point (IEC 61966-2-1). Each row of the matrix sums to the white
# point, so pure white lands exactly on L = 100, a = b = 0.
_SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_D65_WHITE = _SRGB_TO_XYZ.sum(axis=1)  # (0.95047, 1.0, 1.08883)


# --- colours -------------------------------------------------------------------------------------------


def _unit_rgb(rgb: np.ndarray) -> np.ndarray:
    """RGB as float64 in [0, 1], shape (..., 3): uint8 is divided by 255, floats must already be in [0, 1]."""
    a = np.asarray(rgb)
    if a.ndim == 0 or a.shape[-1] != 3:
        raise ValueError(f"RGB colours need a last axis of length 3, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"RGB colours must be uint8 (0..255) or float (0..1), got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.size and (not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0):
        raise ValueError(
            f"float RGB colours must lie in [0, 1], found values in [{a.min()}, {a.max()}]; "
            "divide 0..255 values by 255 or pass them as uint8"
        )
    return a


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB colours (..., 3) -> CIELAB (..., 3) under the D65 white point: L in 0..100, a and b about ±100.

    ``rgb`` is uint8 (0..255) or float (0..1). The standard steps: undo the sRGB gamma, mix into CIE XYZ,
    divide by the white point, then the cube-root response of CIELAB (linear near black).
    """
    rgb = _unit_rgb(rgb)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _D65_WHITE
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def colour_words() -> tuple[list[str], np.ndarray]:
    """20 common English colour words and one sRGB colour (floats in [0, 1]) for each, shape (20, 3).

    The paper took its words and colours from Lindsey & Brown (2014), who had 51 people name 330 Munsell
    colour chips. We do not have their chips, so each word's colour comes from the XKCD colour survey
    (``matplotlib.colors.XKCD_COLORS``: the RGB colours that hundreds of thousands of people gave that
    name, Munroe 2010). See ``COLOUR_WORDS`` for the list and where it comes from.
    """
    from matplotlib.colors import XKCD_COLORS, to_rgb

    words = list(COLOUR_WORDS)
    rgb = np.array([to_rgb(XKCD_COLORS[f"xkcd:{COLOUR_WORDS[w]}"]) for w in words])
    return words, rgb


# --- pixels --------------------------------------------------------------------------------------------


def _load_photo(name: str) -> np.ndarray:
    """One packaged photograph as (H, W, 3) uint8."""
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        return np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB"))
    import skimage.data

    if name == "motorcycle":
        return skimage.data.stereo_motorcycle()[0]  # the left view of the stereo pair
    return getattr(skimage.data, name)()


def photos(names: tuple[str, ...] = PHOTOS, size: int | None = None) -> list[np.ndarray]:
    """Photographs that ship inside scikit-image and matplotlib, as a list of (H, W, 3) uint8 arrays.

    ``names``: any of ``PHOTOS`` (everyday scenes, the default) and ``OTHER_PHOTOS``. ``size``: shrink
    each photo so its longer side has this many pixels; ``None`` (default) keeps the full size (300 to
    1,400 px). The paper's CIFAR-10 images are only 32 px, yet shrinking our photos makes the pixel
    layout agree less with CIELAB (Spearman 0.52 at 64 px, 0.57 at 128 px, 0.66 at 256 px, 0.71 at full
    size): at full size, pixels 4 apart mostly lie on one surface under changing light, and those
    shading gradients are what links perceptually close colours.
    """
    allowed = PHOTOS + OTHER_PHOTOS
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"unknown photo(s) {unknown}; allowed: {', '.join(allowed)}")
    if size is not None and size < 8:
        raise ValueError(f"size must be at least 8 pixels (or None for full size), got {size}")
    from PIL import Image

    out = []
    for name in names:
        image = _load_photo(name)
        if size is not None:
            h, w = image.shape[:2]
            scale = size / max(h, w)
            # Area averaging (BOX) mixes colours as a camera with bigger pixels would.
            small = Image.fromarray(image).resize((round(w * scale), round(h * scale)), Image.BOX)
            image = np.asarray(small)
        out.append(image)
    return out


class PixelPMI(NamedTuple):
    """The PMI kernel between quantised colours, and what each colour is."""

    pmi: np.ndarray  # (K, K) pointwise mutual information of colour i next to colour j
    rgb: np.ndarray  # (K, 3) mean colour (floats in [0, 1]) of the sampled pixels in each bin
    counts: np.ndarray  # (K,) how many sampled pixels fell in each bin


def _disk_offsets(radius: int) -> np.ndarray:
    """Every nonzero integer offset (dy, dx) with dy² + dx² <= radius², shape (M, 2)."""
    r = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(r, r, indexing="ij")
    keep = (dy**2 + dx**2 <= radius**2) & ((dy != 0) | (dx != 0))
    return np.stack([dy[keep], dx[keep]], axis=1)


def _pixel_pairs(image: np.ndarray, n: int, offsets: np.ndarray, rng: np.random.Generator):
    """``n`` random pixel pairs of one (H, W, 3) image: a uniform pixel and a uniform offset from the disk,
    drawn again when the partner falls outside the image. Returns two (n, 3) arrays of colours."""
    h, w = image.shape[:2]
    ys, xs = [], []
    missing = n
    while missing > 0:
        y, x = rng.integers(h, size=missing), rng.integers(w, size=missing)
        d = offsets[rng.integers(len(offsets), size=missing)]
        y2, x2 = y + d[:, 0], x + d[:, 1]
        inside = (y2 >= 0) & (y2 < h) & (x2 >= 0) & (x2 < w)
        ys.append(np.stack([y[inside], y2[inside]]))
        xs.append(np.stack([x[inside], x2[inside]]))
        missing -= int(inside.sum())
    y, x = np.concatenate(ys, axis=1), np.concatenate(xs, axis=1)
    return image[y[0], x[0]], image[y[1], x[1]]


def pixel_pmi(
    images: list[np.ndarray] | np.ndarray,
    bins: int = 8,
    radius: int = 4,
    n_pairs: int = 300_000,
    min_count: int = 300,
    smoothing: float = 0.01,
    seed: int = 0,
) -> PixelPMI:
    """The empirical PMI kernel of colours that appear within ``radius`` pixels of each other.

    As in the paper: ``n_pairs`` random pixel pairs (each image gets the same share; the second pixel
    is a uniform offset from the disk of the given radius), colours quantised on an RGB grid of
    ``bins`` levels per channel, then ``PMI(a, b) = log P(a, b) / (P(a) P(b))`` over the pairs, counted
    both ways round so the kernel is symmetric.

    Two details the paper leaves open. Colours seen fewer than ``min_count`` times (out of
    ``2 * n_pairs`` sampled pixels) are dropped: their row of PMI would be noise. And a pair of
    colours never seen together would have PMI = -inf, so we mix a fraction ``smoothing`` of the
    independent joint ``P(a) P(b)`` into the observed one: never-seen pairs get the finite floor
    ``log(smoothing / (1 + smoothing))`` (-4.6 for 0.01), and well-observed pairs barely move.

    ``images``: a list of (H, W, 3) arrays, uint8 or floats in [0, 1], any sizes, or one (N, H, W, 3)
    array such as the toy world's ``camera_image(sample_scenes(100), 64)``.
    """
    if isinstance(images, np.ndarray) and images.ndim == 3:
        raise TypeError("pass a list of images (or an (N, H, W, 3) array), not a single image; e.g. [image]")
    if len(images) == 0:
        raise ValueError("no images: the list is empty")
    if bins < 2 or radius < 1 or n_pairs < 1 or min_count < 0 or smoothing < 0:
        raise ValueError(
            f"need bins >= 2, radius >= 1, n_pairs >= 1, min_count >= 0 and smoothing >= 0; got "
            f"bins={bins}, radius={radius}, n_pairs={n_pairs}, min_count={min_count}, "
            f"smoothing={smoothing}"
        )
    for i, image in enumerate(images):
        if np.ndim(image) != 3 or np.shape(image)[-1] != 3:
            raise ValueError(f"image {i} has shape {np.shape(image)}; allowed: (H, W, 3) RGB")
    rng = np.random.default_rng(seed)
    offsets = _disk_offsets(radius)
    share = rng.multinomial(n_pairs, np.full(len(images), 1 / len(images)))
    # Convert only the sampled pixels to floats, image by image (images may mix uint8 and float).
    pairs = [[_unit_rgb(c) for c in _pixel_pairs(np.asarray(im), n, offsets, rng)] for im, n in zip(images, share)]
    first = np.concatenate([p[0] for p in pairs])
    second = np.concatenate([p[1] for p in pairs])

    def quantise(rgb):  # one integer code per RGB grid cell
        q = np.minimum((rgb * bins).astype(np.int64), bins - 1)
        return (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]

    # Number the grid cells that occur (far fewer than bins³), then count pairs in both orders.
    cells, code = np.unique(np.concatenate([quantise(first), quantise(second)]), return_inverse=True)
    k = len(cells)
    a, b = code[:n_pairs], code[n_pairs:]
    joint = np.bincount(a * k + b, minlength=k * k).reshape(k, k).astype(np.float64)
    joint = joint + joint.T
    counts = joint.sum(axis=1)  # pixels per cell: every pixel sits in exactly one pair
    colour_sum = np.stack(
        [np.bincount(code, weights=np.concatenate([first[:, c], second[:, c]]), minlength=k) for c in range(3)], axis=1
    )

    keep = counts >= min_count
    if keep.sum() < 2:
        raise ValueError(
            f"fewer than 2 colours were seen {min_count} times or more; lower min_count or sample more pairs"
        )
    joint = joint[np.ix_(keep, keep)]
    p = joint.sum(axis=1) / joint.sum()
    expected = joint.sum() * np.outer(p, p)  # the counts if neighbouring colours were independent
    pmi = np.log((joint + smoothing * expected) / ((1 + smoothing) * expected))
    return PixelPMI(pmi, colour_sum[keep] / counts[keep, None], counts[keep].astype(np.int64))


# --- words ---------------------------------------------------------------------------------------------


def word_kernel(words: list[str], encoder: Any, templates: tuple[str, ...] = TEMPLATES) -> np.ndarray:
    """Cosine similarities (W, W) between colour words, each embedded in every template and averaged.

    ``encoder`` has ``embed(list_of_texts) -> (N, D)`` unit vectors, e.g. ``wmlib.encoders.text_encoder()``.
    """
    if isinstance(words, str) or not words:
        raise ValueError("words must be a non-empty list of strings, e.g. ['red', 'blue']")
    if not templates or any("{}" not in t for t in templates):
        raise ValueError("every template needs one '{}' where the word goes, e.g. 'The color {}.'")
    texts = [t.format(w) for w in words for t in templates]
    e = np.asarray(encoder.embed(texts), dtype=np.float64).reshape(len(words), len(templates), -1).mean(axis=1)
    e /= np.linalg.norm(e, axis=1, keepdims=True)  # the average of unit vectors is shorter than 1
    return e @ e.T


# --- from a kernel to 3-D points -------------------------------------------------------------------


def kernel_to_dissimilarity(kernel: np.ndarray) -> np.ndarray:
    """``max K - K`` with a zero diagonal: the paper's recipe (``-K_PMI + max K_PMI``) to feed MDS.

    For unit vectors the kernel is their cosine, its maximum is 1, and this is the cosine distance.
    """
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"a kernel is a square (N, N) matrix, got shape {k.shape}")
    d = k.max() - (k + k.T) / 2
    np.fill_diagonal(d, 0.0)
    return d


def _pairwise(x: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of x (..., N, D) -> (..., N, N)."""
    sq = (x**2).sum(-1)
    d2 = sq[..., :, None] + sq[..., None, :] - 2 * x @ np.swapaxes(x, -1, -2)
    return np.sqrt(np.maximum(d2, 0.0))


def mds(
    dissimilarity: np.ndarray, dim: int = 3, n_init: int = 32, max_iter: int = 300, tol: float = 1e-6, seed: int = 0
) -> tuple[np.ndarray, float]:
    """Metric MDS by SMACOF: points (N, dim) whose distances match ``dissimilarity``, and their stress.

    SMACOF (de Leeuw 1977) repeats the Guttman transform ``X <- B(X) X / N``, which never increases the
    raw stress ``sum_{i<j} (|x_i - x_j| - D_ij)²``. It can end in a local minimum, so it starts from
    ``n_init`` random layouts (all updated together as one batch) and keeps the one with the lowest
    stress. The paper kept the best of 1,000 fits; we keep the best of 32, which take about a second for
    a hundred colours (a single fit already ends within 2 % of the best stress that 128 fits find).
    The returned stress is normalised (Kruskal's stress-1, ``sqrt(raw / sum D²)``): 0 is a perfect fit.
    """
    d = np.asarray(dissimilarity, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or len(d) < 2:
        raise ValueError(f"dissimilarity must be a square (N, N) matrix with N >= 2, got shape {d.shape}")
    if not np.isfinite(d).all() or d.min() < 0 or not np.allclose(d, d.T):
        raise ValueError("dissimilarity must be finite, non-negative and symmetric")
    if dim < 1 or n_init < 1 or max_iter < 1:
        raise ValueError(f"need dim, n_init and max_iter >= 1; got dim={dim}, n_init={n_init}, max_iter={max_iter}")
    n = len(d)
    d = d.copy()
    np.fill_diagonal(d, 0.0)
    rng = np.random.default_rng(seed)
    # Random starts of about the right spread, so the first steps do not have to rescale everything.
    x = rng.standard_normal((n_init, n, dim)) * d.mean() / np.sqrt(2 * dim)
    upper = np.triu_indices(n, 1)
    old = np.full(n_init, np.inf)
    for _ in range(max_iter):
        dist = _pairwise(x)
        stress = ((dist - d)[:, upper[0], upper[1]] ** 2).sum(-1)
        if np.all(old - stress <= tol * stress):
            break
        old = stress
        ratio = np.divide(d, dist, out=np.zeros_like(dist), where=dist > 1e-12)
        b = -ratio
        b[:, np.arange(n), np.arange(n)] = ratio.sum(-1)
        x = b @ x / n
    stress = ((_pairwise(x) - d)[:, upper[0], upper[1]] ** 2).sum(-1)
    best = int(np.argmin(stress))
    return x[best], float(np.sqrt(stress[best] / (d[upper] ** 2).sum()))


def umeyama(x: np.ndarray, target: np.ndarray, reflection: bool = False) -> tuple[float, np.ndarray, np.ndarray]:
    """The similarity transform (scale s, rotation R, translation t) that brings points ``x`` (N, D)
    closest to ``target`` (N, D) in least squares: ``target ≈ s * x @ R.T + t`` (Umeyama 1991).

    The rotation is Kabsch's: from the SVD of the cross-covariance, with the last singular direction
    flipped when that would otherwise be a mirror image, unless ``reflection`` allows mirrors.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if x.ndim != 2 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"x and target must both be (N, D) with N >= 2, got {x.shape} and {y.shape}")
    mx, my = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - mx, y - my
    u, s, vt = np.linalg.svd(yc.T @ xc / len(x))
    sign = np.ones(len(s))
    if not reflection and np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float((s * sign).sum() / (xc**2).sum(axis=1).mean())
    return scale, rotation, my - scale * rotation @ mx


def align_to(x: np.ndarray, target: np.ndarray, allow_reflection: bool = True) -> np.ndarray:
    """``x`` (N, D) moved onto ``target`` (N, D) by the best rotation, uniform scale and translation.

    MDS knows distances only, so its layout may come out mirrored. As the paper did (it ran
    Kabsch-Umeyama on z and on -z), we fit a proper rotation to ``x`` and to its mirror image and keep
    whichever lands closer; ``allow_reflection=False`` fits rotations only.
    """
    x = np.asarray(x, dtype=np.float64)
    candidates = [x]
    if allow_reflection:
        # Flip one axis: a mirror in any dimension (in 3-D, -z is the same mirror turned about).
        candidates.append(x * np.r_[np.ones(x.shape[1] - 1), -1.0])
    best, best_error = x, np.inf
    for z in candidates:
        s, r, t = umeyama(z, target)
        moved = s * z @ r.T + t
        error = ((moved - target) ** 2).sum()
        if error < best_error:
            best, best_error = moved, error
    return best


# --- scores --------------------------------------------------------------------------------------------


def distance_agreement(a: np.ndarray, b: np.ndarray, method: str = "spearman") -> float:
    """Correlation between the pairwise distances of the same N items in two spaces, a (N, Da) and b (N, Db).

    1 means the two spaces agree on which items are near and which far; it needs no alignment (the
    "representational similarity" of neuroscience). ``method``: "spearman" (ranks: only the order
    of distances matters) or "pearson" (the distances themselves).
    """
    if method not in ("spearman", "pearson"):
        raise ValueError(f"unknown method {method!r}; allowed: spearman, pearson")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or len(a) != len(b) or len(a) < 3:
        raise ValueError(f"a and b must be (N, D) arrays of the same N >= 3 items, got {a.shape} and {b.shape}")
    upper = np.triu_indices(len(a), 1)
    da, db = _pairwise(a)[upper], _pairwise(b)[upper]
    if method == "spearman":
        from wmlib.prh.alignment import spearman

        return spearman(da, db)
    return float(np.corrcoef(da, db)[0, 1])


def shuffled_agreement(
    a: np.ndarray, b: np.ndarray, n_shuffles: int = 200, method: str = "spearman", seed: int = 0
) -> np.ndarray:
    """``distance_agreement`` after shuffling which row of ``a`` belongs to which item: the chance level.

    Returns the ``n_shuffles`` scores. The fraction of them at or above the real score is the p-value of a
    permutation (Mantel) test.
    """
    rng = np.random.default_rng(seed)
    a = np.asarray(a)
    return np.array([distance_agreement(a[rng.permutation(len(a))], b, method) for _ in range(n_shuffles)])


def rgb_agreement(rgb: np.ndarray, method: str = "spearman") -> float:
    """``distance_agreement`` of the colours' own RGB coordinates with their CIELAB positions: what a
    layout scores with no learning at all, just by putting each colour where its RGB value is."""
    return distance_agreement(_unit_rgb(rgb), srgb_to_lab(rgb), method)


def agreement_interval(
    points: np.ndarray,
    rgb: np.ndarray,
    baseline: np.ndarray | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap interval over the colours of ``distance_agreement(points, CIELAB of rgb)``, or, with a
    ``baseline`` layout of the same colours (e.g. their RGB coordinates), of the paired difference
    ``agreement(points) - agreement(baseline)`` on the same resampled colours.

    A resample draws colours with replacement and keeps each drawn colour once (a colour paired with
    its own copy would add a zero distance to both spaces). The layout itself is not refitted, so the
    interval covers which colours were measured, not the MDS fit."""
    from wmlib.stats import interval

    lab = srgb_to_lab(rgb)
    points = np.asarray(points, dtype=np.float64)
    if len(points) != len(lab) or (baseline is not None and len(baseline) != len(lab)):
        raise ValueError(f"one point per colour needed: {len(points)} points, {len(lab)} colours")

    def statistic(rows: np.ndarray) -> float:
        keep = np.unique(rows[:, 0].astype(int))
        if len(keep) < 3:
            return 0.0
        score = distance_agreement(points[keep], lab[keep])
        return score - distance_agreement(np.asarray(baseline)[keep], lab[keep]) if baseline is not None else score

    return interval(np.arange(len(lab), dtype=float)[:, None], statistic, confidence, n_resamples, seed)


# --- layouts -------------------------------------------------------------------------------------------


class Layout(NamedTuple):
    """Colours placed in 3-D, aligned to CIELAB: what one panel of the figure draws."""

    name: str
    points: np.ndarray  # (N, 3), in CIELAB units after alignment (L, a, b)
    rgb: np.ndarray  # (N, 3) the colour of each item, floats in [0, 1]
    labels: list[str] | None  # a word per item, or None
    stress: float  # MDS stress-1 (0 for CIELAB itself)
    agreement: float  # distance_agreement with CIELAB (Spearman; 1 for CIELAB itself)


def cielab_layout(rgb: np.ndarray, labels: list[str] | None = None, name: str = "CIELAB") -> Layout:
    """The colours at their CIELAB positions: the perceptual reference the learned layouts are put onto."""
    lab = srgb_to_lab(rgb)
    return Layout(name, lab, _unit_rgb(rgb), labels, 0.0, 1.0)


def layout_from_kernel(
    kernel: np.ndarray, rgb: np.ndarray, name: str, labels: list[str] | None = None, n_init: int = 32, seed: int = 0
) -> Layout:
    """Kernel -> dissimilarity -> 3-D metric MDS -> aligned to the CIELAB positions of ``rgb``."""
    lab = srgb_to_lab(rgb)
    if len(lab) != len(kernel):
        raise ValueError(f"one colour per kernel row needed: kernel has {len(kernel)} rows, rgb {len(lab)}")
    points, stress = mds(kernel_to_dissimilarity(kernel), dim=3, n_init=n_init, seed=seed)
    return Layout(name, align_to(points, lab), _unit_rgb(rgb), labels, stress, distance_agreement(points, lab))


def vision_layout(pmi: PixelPMI, name: str = "pixel co-occurrence", n_init: int = 32, seed: int = 0) -> Layout:
    """The colours of ``pixel_pmi`` placed by MDS on their PMI, aligned to CIELAB."""
    return layout_from_kernel(pmi.pmi, pmi.rgb, name, n_init=n_init, seed=seed)


def language_layout(
    words: list[str],
    rgb: np.ndarray,
    encoder: Any,
    templates: tuple[str, ...] = TEMPLATES,
    n_init: int = 32,
    seed: int = 0,
) -> Layout:
    """Colour words placed by MDS on the cosine distances of their sentence embeddings, aligned to the
    CIELAB positions of their colours ``rgb``. MDS rather than PCA: the same recipe as the pixels, and
    it keeps the distances between the words, where the first 3 principal components of 384 keep
    only the largest directions of variation, which need not be about colour."""
    name = f"language ({getattr(encoder, 'name', 'text encoder')})"
    return layout_from_kernel(
        word_kernel(words, encoder, templates), rgb, name, labels=list(words), n_init=n_init, seed=seed
    )


# --- figure --------------------------------------------------------------------------------------------


AXIS_NAMES = {0: "L*: lightness (black 0, white 100)", 1: "a*: green (−) to red (+)", 2: "b*: blue (−) to yellow (+)"}


def _place_labels(ax, points: np.ndarray, words: list[str], fontsize: float = 6.5) -> None:
    """Write each word beside its point where it overlaps no label written before it (nor any word's dot): the
    first free spot among a ring of offsets, tried nearest first; a word with no free spot takes the least
    crowded one, joined to its dot by a thin line. Greedy, in display units, on the axes' final limits."""
    ax.apply_aspect()
    xy = ax.transData.transform(points)  # pixels
    scale = ax.figure.dpi / 72  # pixels per point
    height = 1.25 * fontsize * scale
    dot = 4 * scale
    boxes = [(x - dot, y - dot, x + dot, y + dot) for x, y in xy]  # the dots are obstacles too

    def overlap(a, b) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return max(w, 0) * max(h, 0)

    order = np.argsort(xy[:, 0])  # left to right, so that neighbours settle one after the other
    for i in order:
        width = 0.62 * fontsize * scale * len(words[i])
        x, y = xy[i]
        candidates = []
        for radius in (4, 9, 15):
            r = radius * scale
            for dx, dy in (
                (r, r / 2),
                (r, -r / 2 - height),
                (-r - width, r / 2),
                (-r - width, -r / 2 - height),
                (-width / 2, r),
                (-width / 2, -r - height),
                (r, -height / 2),
                (-r - width, -height / 2),
            ):
                candidates.append((x + dx, y + dy, x + dx + width, y + dy + height))
        cost = [sum(overlap(c, b) for b in boxes) for c in candidates]
        best = int(np.argmin(cost))
        box = candidates[best]
        boxes.append(box)
        lx, ly = ax.transData.inverted().transform((box[0], box[1]))
        far = best >= 16 or cost[best] > 0
        ax.annotate(
            words[i],
            points[i],
            xytext=(lx, ly),
            textcoords="data",
            fontsize=fontsize,
            zorder=4,
            va="bottom",
            ha="left",
            arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.4, "shrinkA": 0, "shrinkB": 3}
            if far
            else None,
        )


def plot_colour_layouts(layouts: list[Layout], size: float = 3.4) -> Figure:
    """The paper's Fig. 8, flat: CIELAB first, then one column per learned layout, each colour drawn in
    its own colour, every learned layout aligned to CIELAB so the panels can be compared by eye.

    The top row looks down the lightness axis (a* across, b* up: the hue circle, red right, green left,
    yellow up, blue down); the bottom row looks from the side (a* across, L* up: dark at the bottom).
    Every panel of a row has the same axes, in CIELAB units, so distances compare across panels.
    The CIELAB column shows the items of every layout at their CIELAB positions: pixel colours as small
    dots, colour words as labelled large ones (labels placed so that they do not overlap). Each title
    gives ``distance_agreement`` with CIELAB.
    """
    import matplotlib.pyplot as plt

    if not layouts:
        raise ValueError("no layouts to draw: pass a list of Layout, e.g. [vision_layout(pmi)]")
    columns = [[cielab_layout(lay.rgb, lay.labels) for lay in layouts], *[[lay] for lay in layouts]]
    everything = np.concatenate([lay.points for column in columns for lay in column])
    pad = 0.06 * np.ptp(everything, axis=0)
    low, high = everything.min(0) - pad, everything.max(0) + pad
    fig, axes = plt.subplots(2, len(columns), figsize=(size * len(columns), 2 * size), squeeze=False)
    for j, column in enumerate(columns):
        for row, (x, y) in enumerate([(1, 2), (1, 0)]):  # (a*, b*) and (a*, L*)
            ax = axes[row, j]
            for lay in column:
                ax.scatter(
                    lay.points[:, x],
                    lay.points[:, y],
                    c=np.clip(lay.rgb, 0, 1),
                    s=60 if lay.labels is not None else 18,
                    edgecolors="0.35",
                    linewidths=0.4,
                    zorder=3 if lay.labels is not None else 2,
                )
            ax.set_xlim(low[x], high[x])
            ax.set_ylim(low[y], high[y])
            ax.set_aspect("equal", adjustable="box")  # one unit is the same length on both axes, in every panel
            ax.set_xlabel(AXIS_NAMES[x], fontsize=8)
            ax.set_ylabel(AXIS_NAMES[y], fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        lay = column[0]
        title = f"({'abcdefgh'[j]}) " + ("CIELAB" if j == 0 else lay.name)
        if j > 0:
            title += f"\nagreement with CIELAB ρ = {lay.agreement:.2f}"
        axes[0, j].set_title(title, fontsize=9)
    fig.tight_layout()
    for j, column in enumerate(columns):  # labels last, on the final layout of the axes
        for row, (x, y) in enumerate([(1, 2), (1, 0)]):
            for lay in column:
                if lay.labels is not None:
                    _place_labels(axes[row, j], lay.points[:, [x, y]], list(lay.labels))
    return fig
