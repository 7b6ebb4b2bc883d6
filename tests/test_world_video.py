"""Videos: the physics survives rendering, so it can be measured back out of the pixels."""

import numpy as np
import pytest

from wmlib.world import render as R
from wmlib.world.physics import simulate
from wmlib.world.scene import make_scene, sample_scenes
from wmlib.world.video import frames_as_scenes, project, render_video

SIZE = 128
METRES_PER_PIXEL = R.FRONT.ortho_height / SIZE


def centroid_track(scene, trajectory):
    """Height (metres) of the object's pixel centroid in each frame of an orthographic front view."""
    flat = frames_as_scenes(scene, trajectory)
    _, _, ids = R.render(flat, SIZE, R.FRONT, shadows=False)
    rows = np.array([np.nonzero(ids[t] == 0)[0].mean() for t in range(len(flat))])
    return R.FRONT.look_at[1] + (SIZE / 2 - 0.5 - rows) * METRES_PER_PIXEL


@pytest.mark.parametrize("gravity", [9.81, 4.0])
def test_gravity_is_recovered_from_the_rendered_video(gravity):
    scene = make_scene(
        [dict(shape="sphere", colour="red", size="small", position=(-0.6, 2.0, 1.5), velocity=(0.8, 0.5, 0))],
        gravity=gravity,
    )
    fps = 30
    traj = simulate(scene, n_frames=40, fps=fps)
    y = centroid_track(scene, traj)
    flight = traj.times[: np.argmax(np.diff(y) > 0.05) or len(y)]  # frames before the first bounce
    first_bounce = np.flatnonzero(np.diff(traj.velocity[0, :, 0, 1]) > 0)[0]
    t, h = traj.times[: first_bounce + 1], y[: first_bounce + 1]
    assert len(t) >= 8 and len(flight) > 0
    g_fit = -2 * np.polyfit(t, h, 2)[0]
    assert g_fit == pytest.approx(gravity, rel=0.02)


def test_bounce_heights_in_the_video_follow_the_restitution():
    e = 0.7
    scene = make_scene([dict(shape="sphere", colour="blue", size="small", position=(0.0, 2.0, 1.5))], restitution=e)
    traj = simulate(scene, n_frames=300, fps=100)
    y = centroid_track(scene, traj) - 0.2  # height of the ball's bottom above the ground
    # Split the track at the ground contacts seen in the pixels; the apex is the top of each hop.
    airborne = y > 2 * METRES_PER_PIXEL
    starts = np.flatnonzero(airborne[1:] & ~airborne[:-1]) + 1
    ends = np.flatnonzero(~airborne[1:] & airborne[:-1]) + 1
    apex = [y[a:b].max() for a, b in zip(starts, ends[ends > starts[0]])]
    assert len(apex) >= 3
    ratios = np.array(apex[1:3]) / np.array(apex[:2])
    assert np.allclose(ratios, e**2, rtol=0.08)


def test_render_video_shapes_and_projections():
    scene = sample_scenes(3, seed=0, moving=True)
    traj = simulate(scene, n_frames=5)
    assert render_video(scene, traj, "camera", 16).shape == (3, 5, 16, 16, 3)
    assert render_video(scene, traj, "shadow", 16).shape == (3, 5, 16, 16)
    assert render_video(scene, traj, "depth", 16).shape == (3, 5, 16, 16)
    first = render_video(scene, traj, "camera", 16)[:, 0]
    assert np.array_equal(first, project(scene, "camera", 16))  # frame 0 is the scene itself


def test_the_object_moves_in_the_video_as_far_as_it_moves_in_the_world():
    scene = sample_scenes(30, seed=1, moving=True, n_objects=1)
    traj = simulate(scene, n_frames=8)
    video = render_video(scene, traj, "camera", 32)
    change = np.abs(video[:, -1] - video[:, 0]).max(axis=(1, 2, 3))
    moved = np.linalg.norm(traj.position[:, -1, 0] - traj.position[:, 0, 0], axis=-1)
    assert (change[moved > 0.3] > 0.2).all() and (moved > 0.3).sum() >= 10


def test_bad_video_input():
    scene = sample_scenes(2, seed=0, moving=True)
    with pytest.raises(ValueError, match="allowed: camera, shadow, depth"):
        render_video(scene, simulate(scene, n_frames=3), "lidar")
    with pytest.raises(ValueError, match="2 clips but the scene batch has 1"):
        render_video(scene[:1], simulate(scene, n_frames=3))
