"""The frame autoencoder's picture of its codes: what the video model of notebook 04 denoises."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from wmlib.video import autoencoder  # noqa: E402


def test_codes_figure_shows_frame_every_channel_and_the_decoded_frame_on_one_scale():
    model = autoencoder.build(latent_channels=4, width=16, seed=0)
    frames = np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32)
    fig = autoencoder.codes_figure(model, frames)
    panels = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(panels) == 2 * (1 + 4 + 1)
    code_panels = [ax.images[0] for ax in panels if ax.images[0].get_array().shape == (8, 8)]
    assert len(code_panels) == 2 * 4
    assert len({image.get_clim() for image in code_panels}) == 1  # one colour scale, shown by one colour bar
    low, high = code_panels[0].get_clim()
    assert low == -high > -np.inf
    assert any(ax.get_ylabel() == "code value" for ax in fig.axes)
    plt.close(fig)
