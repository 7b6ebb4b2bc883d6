"""Figures of notebook 06: training, compounding error, imagined physics, planning."""

from __future__ import annotations

import numpy as np

MODEL, TRUE, BASELINE = "#264653", "#2a9d8f", "#e76f51"
CONTROL, ANALYTIC = "#e9c46a", "#8d99ae"
COLOURS = {"model": MODEL, "one-step model": CONTROL, "last frame held": BASELINE, "round trip": TRUE}
LABELS = {
    "model": "world model",
    "one-step model": "trained one step ahead only",
    "round trip": "true frames, autoencoder round trip",
}


def plot_training(manifest: dict):
    """The dynamics network's loss (latent squared error, averaged over the unrolled steps) while it
    trained, with the number of steps it was rolled out on its own predictions."""
    import matplotlib.pyplot as plt

    steps, _, loss, unroll = np.array(manifest["loss_history"]).T
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.plot(steps, loss, color=MODEL)
    ax.set_yscale("log")
    ax.set_xlabel("training step"), ax.set_ylabel("loss (log scale)", color=MODEL)
    twin = ax.twinx()
    twin.step(steps, unroll, color=BASELINE, where="post")
    twin.set_ylabel("steps rolled out", color=BASELINE)
    twin.set_ylim(0, unroll.max() + 1)
    ax.set_title("the memory network learning (the loss rises when it must dream further)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_compounding(pixel: dict[str, np.ndarray], position: dict[str, np.ndarray]):
    """Error against the horizon: mean |pixel error| (left) and distance of the object from its true
    place (right), for every curve given (the model, its one-step control, holding the last frame still,
    the autoencoder's round trip of the true frames)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 2.9))
    for ax, errors, label in ((axes[0], pixel, "mean |pixel error|"), (axes[1], position, "object off by (pixels)")):
        for name, values in errors.items():
            steps = np.arange(1, len(values) + 1)
            ax.plot(steps, values, "-o", ms=3, color=COLOURS.get(name, "0.5"), label=LABELS.get(name, name))
        ax.set_xlabel("steps ahead (dreamed on its own predictions)"), ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_gravity(model_g: np.ndarray, true_g: np.ndarray, truth: float, tolerance: float = 0.2):
    """Histograms of the gravity fitted on imagined and on true throws, with the band that counts as right."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 2.8))
    bins = np.linspace(0, 2 * truth, 31)
    ax.axvspan((1 - tolerance) * truth, (1 + tolerance) * truth, color="#dddddd", label="within 20%")
    for g, colour, name in ((true_g, TRUE, "true videos"), (model_g, MODEL, "dreamed videos")):
        ok = np.isfinite(g)
        ax.hist(
            np.clip(g[ok], bins[0], bins[-1]),
            bins=bins,
            color=colour,
            alpha=0.6,
            label=f"{name} ({ok.mean():.0%} measurable)",
        )
    ax.axvline(truth, color="black", lw=1, label=f"the world's gravity ({truth:.3f})")
    ax.set_xlabel("fitted gravity (pixels / frame²)"), ax.set_ylabel("throws")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_planning(summary: dict):
    """Share of the tasks solved (left) and median final distance to the target (right) of each agent,
    with their 95% intervals (``planning.summarise``)."""
    import matplotlib.pyplot as plt

    names = list(summary)[::-1]
    colours = [
        MODEL
        if "learned" in k
        else TRUE
        if "true" in k
        else ANALYTIC
        if "analytic" in k
        else CONTROL
        if "free" in k
        else BASELINE
        for k in names
    ]
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.4), sharey=True)
    for ax, key, label in (
        (axes[0], "success", "share of the tasks solved"),
        (axes[1], "median distance", "median final distance (m)"),
    ):
        values = np.array([summary[k][key] for k in names])
        low, high = np.array([summary[k][key + " ci"] for k in names]).T
        ax.barh(names, values, color=colours, xerr=[values - low, high - values], capsize=3)
        ax.set_xlabel(label + ", 95% interval")
    n = {summary[k]["tasks"] for k in names}
    fig.suptitle(f"{'/'.join(map(str, sorted(n)))} tasks", fontsize=9)
    fig.tight_layout()
    return fig


def plot_plan(true_frames: np.ndarray, dreamed: np.ndarray, target_column: float, title: str = ""):
    """What the agent imagined its plan would do (bottom) and what it did in the world (top), with the
    target region's centre marked."""
    import matplotlib.pyplot as plt

    T = min(len(true_frames), len(dreamed))
    fig, axes = plt.subplots(2, T, figsize=(0.95 * T, 2.4), squeeze=False)
    for t in range(T):
        for row, frames in enumerate((true_frames, dreamed)):
            ax = axes[row, t]
            ax.imshow(np.clip(frames[t], 0, 1), interpolation="nearest")
            ax.axvline(target_column, color="white", lw=0.8, ls="--")
            ax.set_xticks([]), ax.set_yticks([])
        axes[0, t].set_title(f"t={t}", fontsize=7)
    axes[0, 0].set_ylabel("world", fontsize=8)
    axes[1, 0].set_ylabel("imagined", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_motion(episodes, index: int = 0):
    """The object's true horizontal place x and height over time (metres against seconds) in one episode,
    from the world's state rather than its pictures, with each push marked where the hand gives it."""
    import matplotlib.pyplot as plt

    from wmlib.world.actions import ACTIONS

    t = episodes.trajectory.times
    x, height = episodes.trajectory.position[index, :, 0, 0], episodes.trajectory.position[index, :, 0, 1]
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.4), sharex=True)
    for ax, values, label in ((axes[0], x, "x, left to right (m)"), (axes[1], height, "height of its centre (m)")):
        ax.plot(t, values, "-o", ms=3, color=MODEL)
        low, high = float(values.min()), float(values.max())
        span = max(high - low, 0.1)  # metres; a still object gets a band around its line
        ax.set_ylim(low - 0.1 * span, high + 0.35 * span)  # room above the curve for the push labels
        ax.set_xlabel("time (s)"), ax.set_ylabel(label)
        fps = 1 / float(t[1] - t[0])
        top = ax.secondary_xaxis("top", functions=(lambda s, fps=fps: s * fps, lambda f, fps=fps: f / fps))
        top.set_xlabel("frame", fontsize=8), top.tick_params(labelsize=7)
        for step, (kind, strength) in enumerate(zip(episodes.actions.kind[index], episodes.actions.strength[index])):
            if ACTIONS[kind] != "none":
                ax.axvline(t[step], color=BASELINE, lw=0.8, ls="--")
                ax.annotate(
                    f"{ACTIONS[kind]} {strength:g} m/s",
                    (t[step], 1.0),
                    xycoords=("data", "axes fraction"),
                    fontsize=7,
                    color=BASELINE,
                    ha="left",
                    va="top",
                    xytext=(2, -2),
                    textcoords="offset points",
                )
    fig.suptitle("the world's true state (dashed: a push, given at the start of that frame interval)", fontsize=9)
    fig.tight_layout()
    return fig
