"""Z as a table, the kernel of Z, and the torch datasets."""

import numpy as np
import pytest

from wmlib.world.data import ImageCaptionDataset, VideoCaptionDataset, factor_table, z_kernel
from wmlib.world.scene import COLOUR_NAMES, MAX_OBJECTS, SIZES, make_scene, sample_scenes


def test_factor_table_is_z_column_by_column():
    s = sample_scenes(50, seed=0, moving=True)
    table = factor_table(s)
    assert all(len(v) == 50 for v in table.values())
    for k in range(MAX_OBJECTS):
        assert np.array_equal(table[f"shape_{k}"] >= 0, s.present[:, k])
        assert np.isnan(table[f"x_{k}"][~s.present[:, k]]).all()
        np.testing.assert_array_equal(table[f"vy_{k}"][s.present[:, k]], s.velocity[s.present[:, k], k, 1])
    np.testing.assert_array_equal(table["n_objects"], s.n_objects)


def test_kernel_is_a_normalised_psd_similarity():
    s = sample_scenes(300, seed=1)
    K = z_kernel(s)
    assert K.shape == (300, 300)
    np.testing.assert_allclose(np.diag(K), 1, atol=1e-6)
    np.testing.assert_allclose(K, K.T, atol=1e-6)
    assert K.min() >= 0 and K.max() <= 1 + 1e-6
    assert np.linalg.eigvalsh(K.astype(np.float64)).min() > -1e-4


def test_kernel_ignores_the_order_of_objects():
    s = sample_scenes(40, seed=2, n_objects=3)
    perm = [2, 0, 1]
    shuffled = s.with_(
        shape=s.shape[:, perm],
        colour=s.colour[:, perm],
        size=s.size[:, perm],
        position=s.position[:, perm],
        velocity=s.velocity[:, perm],
    )
    np.testing.assert_allclose(z_kernel(s), z_kernel(shuffled, s), atol=1e-6)


def test_kernel_falls_as_more_factors_differ():
    base = dict(shape="sphere", colour="red", size="small", position=(0.0, 1.0))
    scenes = [
        make_scene([base]),
        make_scene([dict(base, colour="blue")]),
        make_scene([dict(base, colour="blue", shape="cube")]),
        make_scene([dict(base, colour="blue", shape="cube", size="large", position=(1.0, 2.5))]),
    ]
    from wmlib.world.scene import Scene

    row = z_kernel(Scene.concat(scenes))[0]
    assert row[0] > row[1] > row[2] > row[3]


def test_kernel_in_chunks_is_the_same():
    s = sample_scenes(100, seed=3)
    np.testing.assert_allclose(z_kernel(s, chunk=7), z_kernel(s), atol=1e-6)


def test_kernel_rejects_a_bad_width():
    with pytest.raises(ValueError, match="sigma must be positive"):
        z_kernel(sample_scenes(2), sigma=0)


def test_image_dataset_items_and_determinism():
    data = ImageCaptionDataset(40, seed=5, size=32)
    image, caption, z = data[3]
    assert image.shape == (3, 32, 32) and 0 <= image.min() and image.max() <= 1
    assert isinstance(caption, str) and caption
    assert int(z["n_objects"]) == data.scene.n_objects[3]
    again = ImageCaptionDataset(40, seed=5, size=32)
    assert data.images.tobytes() == again.images.tobytes() and data.captions == again.captions
    assert ImageCaptionDataset(40, seed=6, size=32).images.tobytes() != data.images.tobytes()


@pytest.mark.parametrize("projection, channels", [("shadow", 1), ("depth", 1)])
def test_image_dataset_other_projections(projection, channels):
    image, _, _ = ImageCaptionDataset(5, seed=0, projection=projection, size=16)[0]
    assert image.shape == (channels, 16, 16)


def test_datasets_work_with_a_torch_dataloader():
    from torch.utils.data import DataLoader

    images, captions, z = next(iter(DataLoader(ImageCaptionDataset(10, seed=0, size=16), batch_size=4)))
    assert images.shape == (4, 3, 16, 16) and len(captions) == 4 and z["x_0"].shape == (4,)
    videos, captions, z = next(iter(DataLoader(VideoCaptionDataset(6, seed=0, n_frames=5, size=16), batch_size=3)))
    assert videos.shape == (3, 5, 3, 16, 16) and len(captions) == 3


def test_video_dataset_items_and_determinism():
    data = VideoCaptionDataset(12, seed=1, n_frames=6, size=16)
    video, caption, z = data[0]
    assert video.shape == (6, 3, 16, 16)
    colour = COLOUR_NAMES[int(z["colour_0"])]
    size = SIZES[int(z["size_0"])]
    assert f"{size} {colour}" in caption  # the caption is about this clip's object
    again = VideoCaptionDataset(12, seed=1, n_frames=6, size=16, chunk=5)  # chunking changes nothing
    assert data.videos.tobytes() == again.videos.tobytes() and data.captions == again.captions
