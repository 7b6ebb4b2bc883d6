"""Act in the learned simulator, with the true one beside it.

``Playground`` keeps two worlds in step: the true simulator and the world model, which from the first
frame on sees only its own imagined frames (it dreams, it is never corrected). ``widget()`` puts
buttons on it; ``plot_side_by_side`` is the static picture for a page where widgets cannot run.
"""

from __future__ import annotations

import numpy as np

from wmlib.simulator.episodes import act, render_scene
from wmlib.world.actions import ACTIONS, Actions
from wmlib.world.scene import Scene


class Playground:
    """The true world and the model's dream of it, from the same start, under the same actions."""

    def __init__(self, model, scene: Scene):
        if len(scene) != 1:
            raise ValueError(f"the playground takes one scene, got a batch of {len(scene)}")
        self.model, self.start = model, scene
        self.reset()

    def reset(self) -> None:
        """Back to the start; the object is taken to have been at rest a frame before."""
        import torch

        self.scene = self.start
        first = render_scene(self.start)[0]
        self.true_frames, self.dream_frames, self.actions = [first], [first], []
        with torch.no_grad():
            z = self.model.encode(np.stack([first, first]))
        self.codes = [z[0:1], z[1:2]]

    def step(self, action: str, strength: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
        """Take ``action`` (one of ACTIONS) in both worlds; returns (true frame, imagined frame)."""
        import torch

        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}")
        actions = Actions.of([action], strength)
        moved = act(self.scene, actions)
        self.scene = moved.trajectory.frame(moved.scene, -1)
        self.true_frames.append(render_scene(self.scene)[0])
        with torch.no_grad():
            z = self.model.dynamics(self.codes[-2], self.codes[-1], torch.as_tensor(actions.vectors()[:, 0]))
            self.dream_frames.append(self.model.decode(z)[0].numpy())
        self.codes = [self.codes[-1], z]
        self.actions.append(f"{action} {strength:.1f}" if action != "none" else "none")
        return self.true_frames[-1], self.dream_frames[-1]

    def error(self) -> float:
        """Mean absolute pixel difference between the true and the imagined frame now."""
        return float(np.abs(self.true_frames[-1] - self.dream_frames[-1]).mean())


def plot_side_by_side(
    true_frames: np.ndarray, dream_frames: np.ndarray, labels: list[str] | None = None, every: int = 1
):
    """Two rows of frames (T, H, W, 3): the true simulator on top, the model's dream below."""
    import matplotlib.pyplot as plt

    idx = np.arange(0, len(true_frames), every)
    fig, axes = plt.subplots(2, len(idx), figsize=(1.1 * len(idx), 2.6), squeeze=False)
    for j, t in enumerate(idx):
        for row, frames in enumerate((true_frames, dream_frames)):
            ax = axes[row, j]
            ax.imshow(np.clip(frames[t], 0, 1), interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
        axes[0, j].set_title(f"t={t}" + (f"\n{labels[t]}" if labels and t < len(labels) else ""), fontsize=7)
    axes[0, 0].set_ylabel("true", fontsize=8)
    axes[1, 0].set_ylabel("dreamed", fontsize=8)
    fig.tight_layout()
    return fig


def widget(model, scene: Scene):
    """Buttons for the four actions, a strength slider and a reset; shows the true frame and the
    model's imagined frame after every action. Returns an ipywidgets box."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    play = Playground(model, scene)
    buttons = [widgets.Button(description=a, layout=widgets.Layout(width="70px")) for a in ACTIONS]
    strength = widgets.FloatSlider(
        value=1.5,
        min=0.5,
        max=2.5,
        step=0.25,
        description="strength (m/s)",
        continuous_update=False,
        style={"description_width": "initial"},
    )
    reset = widgets.Button(description="reset", button_style="warning", layout=widgets.Layout(width="70px"))
    out = widgets.Output()

    def draw():
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(5.2, 2.8))
            for ax, frame, title in zip(
                axes, (play.true_frames[-1], play.dream_frames[-1]), ("true simulator", "world model (dreaming)")
            ):
                ax.imshow(np.clip(frame, 0, 1), interpolation="nearest")
                ax.set_xticks([]), ax.set_yticks([])
                ax.set_title(title, fontsize=9)
            last = play.actions[-1] if play.actions else "start"
            fig.suptitle(f"step {len(play.actions)} ({last}): difference {play.error():.3f}", fontsize=9)
            plt.show()
            plt.close(fig)

    def on_action(button):
        play.step(button.description, strength.value)
        draw()

    def on_reset(_):
        play.reset()
        draw()

    for b in buttons:
        b.on_click(on_action)
    reset.on_click(on_reset)
    draw()
    box = widgets.VBox([widgets.HBox([*buttons, reset]), strength, out])
    box.playground = play  # so that a test or a curious learner can reach the state behind the buttons
    return box
