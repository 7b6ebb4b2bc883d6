"""Probes: how much of Z can be read back out of a projection?

A probe is a small network trained to recover the factors of Z (shape, colour, size, x, y, z) from one
projection (an image, a shadow, a caption...), or from several at once. What a probe recovers on scenes it
has not seen is a *lower bound* on what the projection keeps: a probe that fails is evidence that the
factor is lost (or hard to read), not proof. Proof comes from the projection itself, where it is
independent of the factor by construction (a shadow is black whatever the object's colour).
Images go through a small convolutional network (so a probe can find an object wherever it is), captions
through a small MLP over word counts. Classes are scored by accuracy, positions by R^2 (1 = exact,
0 = no better than always guessing the mean).
"""

from __future__ import annotations

import numpy as np

from wmlib.world.scene import CLASSES as SCENE_CLASSES

FACTORS = ("shape", "colour", "size", "x", "y", "z")
CLASSES = {k: SCENE_CLASSES[k] for k in ("shape", "colour", "size")}
COORDINATES = ("x", "y", "z")
PROJECTIONS = ("camera", "shadow", "depth", "occupancy", "lidar", "caption")


def _pool(images: np.ndarray, factor: int) -> np.ndarray:
    """Average-pool the two spatial axes after the batch axis by ``factor``."""
    n, h, w = images.shape[:3]
    return images.reshape(n, h // factor, factor, w // factor, factor, *images.shape[3:]).mean(axis=(2, 4))


def inputs(scene, projection: str, texts: list[str] | None = None) -> np.ndarray:
    """One projection of every scene as probe input: (N, C, H, W) float32 for the image-like ones,
    (N, words) counts for captions (``texts``)."""
    from wmlib.world import render as R

    if projection == "camera":
        return _pool(R.camera_image(scene, 64), 2).transpose(0, 3, 1, 2)
    if projection == "shadow":
        return _pool(R.shadow(scene, 64), 2)[:, None]
    if projection == "depth":
        return _pool(np.minimum(R.depth_map(scene, 64), 12.0) / 12.0, 2)[:, None]
    if projection == "occupancy":  # seen from above: x and z are the image axes, height the channels
        return (R.occupancy(scene) > 0).astype(np.float32).transpose(0, 2, 1, 3)
    if projection == "lidar":
        return (R.lidar(scene)[0] / 12.0)[:, None]
    if projection == "caption":
        if texts is None:
            raise ValueError("caption inputs need the captions: inputs(scene, 'caption', texts=...)")
        return bag_of_words(texts)
    raise ValueError(f"unknown projection {projection!r}; allowed: {', '.join(PROJECTIONS)}")


def bag_of_words(texts: list[str], vocabulary: list[str] | None = None) -> np.ndarray:
    """Word counts per text over ``vocabulary`` (default: every word of ``texts``, sorted)."""
    from wmlib.world.captions import words

    tokens = [words(t) for t in texts]
    vocabulary = vocabulary or sorted({w for ts in tokens for w in ts})
    index = {w: i for i, w in enumerate(vocabulary)}
    out = np.zeros((len(texts), len(vocabulary)), np.float32)
    for row, ts in enumerate(tokens):
        for w in ts:
            if w in index:
                out[row, index[w]] += 1
    return out


def targets(scene, slot: int = 0) -> dict[str, np.ndarray]:
    """The factors of object ``slot`` of every scene: class indices, or coordinates in metres."""
    return {
        "shape": scene.shape[:, slot].astype(np.int64),
        "colour": scene.colour[:, slot].astype(np.int64),
        "size": scene.size[:, slot].astype(np.int64),
        "x": scene.position[:, slot, 0],
        "y": scene.position[:, slot, 1],
        "z": scene.position[:, slot, 2],
    }


def _standardise(x: np.ndarray, n_train: int) -> np.ndarray:
    """Zero mean, unit variance per channel (or per word), from the training scenes only."""
    axes = (0, 2, 3) if x.ndim == 4 else (0,)
    keep = x[:n_train]
    mean = keep.mean(axis=axes, keepdims=True)
    std = keep.std(axis=axes, keepdims=True) + 1e-6
    return ((x - mean) / std).astype(np.float32)


def _branch(example: np.ndarray, width: int = 64):
    """A small CNN for (C, H, W) inputs, a small MLP for flat ones; both end in ``width`` features."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class WhereAndWhat(nn.Module):
        def forward(self, x):
            return torch.cat([F.adaptive_avg_pool2d(x, 4).flatten(1), F.adaptive_max_pool2d(x, 1).flatten(1)], dim=1)

    if example.ndim == 3:
        c = example.shape[0]
        # Strided convolutions keep it fast on a CPU. Two summaries of the last feature map: a 4x4
        # average keeps where things are, a global maximum says what is there, however small.
        trunk = nn.Sequential(
            nn.Conv2d(c, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
        )
        return nn.Sequential(trunk, WhereAndWhat(), nn.Linear(32 * 16 + 32, width), nn.ReLU())
    return nn.Sequential(nn.Linear(example.shape[0], 128), nn.ReLU(), nn.Linear(128, width), nn.ReLU())


def fit_predict(
    data: dict[str, np.ndarray],
    factors: dict[str, np.ndarray],
    n_train: int,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train one probe that reads every factor from the projections in ``data`` (one branch each, their
    features concatenated) on the first ``n_train`` scenes; return its predictions for the rest: class
    indices, and coordinates in metres."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(seed)
    names = list(data)
    branches = nn.ModuleList([_branch(data[k][0]) for k in names])
    head = nn.Linear(64 * len(names), sum(CLASSES.values()) + len(COORDINATES))
    params = [*branches.parameters(), *head.parameters()]
    optimiser = torch.optim.Adam(params, lr=2e-3)
    x = [torch.as_tensor(_standardise(data[k], n_train)) for k in names]
    y_class = {k: torch.as_tensor(factors[k]) for k in CLASSES}
    coords = np.stack([factors[k] for k in COORDINATES], 1).astype(np.float32)
    mean, std = coords[:n_train].mean(0), coords[:n_train].std(0)
    y_coord = torch.as_tensor((coords - mean) / std)

    def forward(rows):
        return head(torch.cat([b(xi[rows]) for b, xi in zip(branches, x)], dim=1))

    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for rows in torch.randperm(n_train, generator=generator).split(batch_size):
            out, start, loss = forward(rows), 0, 0.0
            for k, n in CLASSES.items():
                loss = loss + F.cross_entropy(out[:, start : start + n], y_class[k][rows])
                start += n
            loss = loss + F.mse_loss(out[:, start:], y_coord[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()

    with torch.no_grad():
        out = forward(torch.arange(n_train, len(y_coord)))
    predictions, start = {}, 0
    for k, n in CLASSES.items():
        predictions[k] = out[:, start : start + n].argmax(1).numpy()
        start += n
    guess = out[:, start:].numpy() * std + mean
    for i, k in enumerate(COORDINATES):
        predictions[k] = guess[:, i]
    return predictions


def score(factor: str, predicted: np.ndarray, truth: np.ndarray) -> float:
    """Accuracy for a class factor, R^2 for a coordinate (1 = exact, 0 = no better than the mean)."""
    if factor in CLASSES:
        return float((predicted == truth).mean())
    return float(1 - ((predicted - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum())


def fit_probe(
    data: dict[str, np.ndarray],
    factors: dict[str, np.ndarray],
    n_train: int,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, float]:
    """The scores (``score``) on the held-out scenes of the probe of ``fit_predict``."""
    predictions = fit_predict(data, factors, n_train, epochs, batch_size, seed)
    return {k: score(k, predictions[k], factors[k][n_train:]) for k in FACTORS}


def probe_table(
    data: dict[str, np.ndarray],
    factors: dict[str, np.ndarray],
    n_train: int,
    combined: bool = True,
    progress: bool = False,
    predictions: bool = False,
    **fit,
) -> dict[str, dict[str, float]] | tuple[dict, dict]:
    """Scores of a probe per projection (rows) and factor (columns), plus one probe that sees all the
    projections together (row ``"all together"``). With ``predictions``, also each probe's predictions
    for the held-out scenes (``fit_predict``): ``(table, predictions)``."""
    jobs = [(name, {name: x}) for name, x in data.items()] + ([("all together", data)] if combined else [])
    if progress:
        from wmlib.progress import progress as bar

        jobs = bar(jobs, desc="training probes")
    guesses = {name: fit_predict(subset, factors, n_train, **fit) for name, subset in jobs}
    table = {name: {k: score(k, g[k], factors[k][n_train:]) for k in FACTORS} for name, g in guesses.items()}
    return (table, guesses) if predictions else table


def score_interval(factor: str, predicted: np.ndarray, truth: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of ``score`` over the held-out scenes."""
    from wmlib.stats import interval

    rows = np.stack([np.asarray(predicted, float), np.asarray(truth, float)], 1)
    return interval(rows, lambda r: score(factor, r[:, 0], r[:, 1]), seed=seed)


def difference_interval(
    factor: str, a: np.ndarray, b: np.ndarray, truth: np.ndarray, seed: int = 0
) -> tuple[float, float]:
    """95% paired bootstrap interval of ``score(a) - score(b)``: the same held-out scenes are redrawn for
    both probes, so what the scenes share does not count as a difference."""
    from wmlib.stats import interval

    rows = np.stack([np.asarray(a, float), np.asarray(b, float), np.asarray(truth, float)], 1)
    return interval(rows, lambda r: score(factor, r[:, 0], r[:, 2]) - score(factor, r[:, 1], r[:, 2]), seed=seed)
