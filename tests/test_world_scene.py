"""Z: sampled from a seed or set by hand, with clear errors for what cannot be."""

import numpy as np
import pytest

from wmlib.world.scene import COLOUR_NAMES, MAX_OBJECTS, SHAPES, SIZE_RADIUS, WALL_Z, Scene, make_scene, sample_scenes


def test_sampled_scenes_cover_every_factor():
    s = sample_scenes(3000, seed=0)
    assert set(s.n_objects) == {1, 2, 3}
    assert set(s.shape[s.present]) == set(range(len(SHAPES)))
    assert set(s.colour[s.present]) == set(range(len(COLOUR_NAMES)))
    assert set(s.size[s.present]) == {0, 1}
    on_ground = np.isclose(s.position[..., 1], s.radius)[s.present]
    assert 0.4 < on_ground.mean() < 0.6  # half rest on the ground, half hang in the air


def test_objects_never_overlap_and_stay_in_the_room():
    s = sample_scenes(3000, seed=1)
    gap = np.linalg.norm(s.position[:, :, None] - s.position[:, None], axis=-1) - (
        s.radius[:, :, None] + s.radius[:, None]
    )
    both = s.present[:, :, None] & s.present[:, None] & ~np.eye(MAX_OBJECTS, dtype=bool)
    assert (gap[both] >= 0.1 - 1e-6).all()
    assert (s.position[..., 1] >= s.radius - 1e-6)[s.present].all()
    assert (s.position[..., 2] + s.radius < WALL_Z)[s.present].all()
    assert (s.light[:, 2] < s.position[..., 2].min(axis=1, initial=np.inf, where=s.present)).all()
    assert (s.position[~s.present] == 0).all()


def test_n_objects_can_be_fixed():
    assert (sample_scenes(100, seed=2, n_objects=1).n_objects == 1).all()
    assert set(sample_scenes(200, seed=2, n_objects=(2, 3)).n_objects) == {2, 3}


def test_moving_scenes_are_thrown_and_still_ones_are_not():
    assert (sample_scenes(10, seed=3).velocity == 0).all()
    v = sample_scenes(500, seed=3, moving=True)
    assert (np.abs(v.velocity[v.present]).sum(-1) > 0).all()
    assert (v.velocity[~v.present] == 0).all()


def test_same_seed_same_scenes():
    a, b = sample_scenes(20, seed=7, moving=True), sample_scenes(20, seed=7, moving=True)
    assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in Scene.__dataclass_fields__)


def test_make_scene_sets_every_factor_by_hand():
    s = make_scene(
        [
            dict(shape="cylinder", colour="pink", size="large", position=(0.5, 1.0, 2.0), velocity=(1, 2, 0)),
            dict(shape="cube", colour="cyan", size="small", position=(-0.5, 1.0)),
        ],
        light=(0.1, 0.2, -1.0),
        gravity=3.7,
        restitution=0.3,
        friction=0.1,
    )
    assert len(s) == 1 and s.n_objects[0] == 2
    assert s.describe() == ["large pink cylinder at (0.50, 1.00, 2.00)", "small cyan cube at (-0.50, 0.20, 1.00)"]
    assert s.velocity[0, 0].tolist() == [1, 2, 0]
    assert np.isclose(s.radius[0, 1], SIZE_RADIUS[0])  # (x, z) puts the object on the ground
    assert (s.gravity[0], s.restitution[0], s.friction[0]) == pytest.approx((3.7, 0.3, 0.1))


def test_indexing_and_concat_keep_batches():
    s = sample_scenes(10, seed=4)
    assert len(s[3]) == 1 and len(s[2:5]) == 3 and len(s[s.n_objects == 1]) == (s.n_objects == 1).sum()
    assert len(Scene.concat([s[:4], s[4:]])) == 10
    assert np.array_equal(Scene.concat([s[:4], s[4:]]).position, s.position)


@pytest.mark.parametrize(
    "obj, match",
    [
        (dict(colour="mauve"), "unknown colour 'mauve'; allowed: red, orange"),
        (dict(shape="pyramid"), "unknown shape 'pyramid'; allowed: sphere, cube, cylinder"),
        (dict(size="huge"), "unknown size 'huge'; allowed: small, large"),
        (dict(size=-1), "unknown size -1; allowed: small, large"),
        (dict(position=(0, -0.5, 1)), "sink into the ground"),
        (dict(position=(0, 1, 3.9)), "through the wall"),
        (dict(position=(1,)), r"position must be \(x, z\) or \(x, y, z\)"),
        (dict(mass=3), "unknown object field"),
    ],
)
def test_bad_objects_say_what_is_allowed(obj, match):
    with pytest.raises(ValueError, match=match):
        make_scene([dict(dict(shape="sphere", colour="red", size="small", position=(0, 1)), **obj)])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=0), "positive number of scenes"),
        (dict(n=5, n_objects=0), "1 to 3 objects"),
        (dict(n=5, n_objects=4), "1 to 3 objects"),
        (dict(n=5, n_objects=-1), "1 to 3 objects"),
        (dict(n=5, n_objects=(3, 2)), "range is empty"),
        (dict(n=5, gravity=0), "gravity must be positive"),
        (dict(n=5, restitution=1.0), r"restitution must be in \[0, 1\)"),
        (dict(n=5, friction=-0.1), "friction must be non-negative"),
    ],
)
def test_bad_sampling_arguments_say_what_is_allowed(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample_scenes(**kwargs)


def test_object_counts_outside_the_range_are_refused():
    with pytest.raises(ValueError, match="1 to 3 objects"):
        make_scene([])
    with pytest.raises(ValueError, match="1 to 3 objects"):
        make_scene([dict(position=(x, 1.0)) for x in (-1, -0.3, 0.3, 1)])


def test_the_fire_must_be_between_viewer_and_objects():
    with pytest.raises(ValueError, match="fire must be nearer"):
        make_scene([dict(position=(0, 1.0))], light=(0, 0.3, 2.0))


def test_vary_changes_one_object_and_keeps_the_rest():
    from wmlib.world.scene import vary

    scenes = sample_scenes(200, seed=5)
    slot = np.zeros(200, int)
    cubes = vary(scenes, slot, shape="cube")
    assert (cubes.shape[:, 0] == SHAPES.index("cube")).all()
    assert (cubes.shape[:, 1:] == scenes.shape[:, 1:]).all() and (cubes.colour == scenes.colour).all()
    assert np.array_equal(cubes.position, scenes.position) and np.array_equal(cubes.light, scenes.light)
    # A resting object stays on the ground when it grows or shrinks; one in the air never sinks.
    flipped = vary(scenes, slot, size=1 - scenes.size[:, 0])
    resting = np.isclose(scenes.position[:, 0, 1], scenes.radius[:, 0])
    assert np.allclose(flipped.position[resting, 0, 1], flipped.radius[resting, 0])
    assert (flipped.position[:, 0, 1] >= flipped.radius[:, 0] - 1e-6).all()
    assert (vary(scenes, slot, colour=np.arange(200) % 8).colour[:, 0] == np.arange(200) % 8).all()
    with pytest.raises(ValueError, match="hold an object"):
        vary(scenes, np.full(200, 2), shape="cube")  # some scenes have only one object
    with pytest.raises(ValueError, match="unknown shape"):
        vary(scenes, slot, shape="pyramid")
