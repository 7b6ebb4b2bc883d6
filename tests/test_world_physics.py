"""wmlib.world.physics: free flight, bounces, friction, walls, determinism and input checks."""

import numpy as np
import pytest

from wmlib.world.physics import MAX_DT, SIDE_X, Trajectory, simulate
from wmlib.world.scene import SIZE_RADIUS, WALL_Z, Scene, make_scene, sample_scenes


def ball(y=1.5, x=0.0, z=1.5, velocity=(0.0, 0.0, 0.0), size="small", shape="sphere", **world) -> Scene:
    return make_scene([dict(shape=shape, size=size, position=(x, y, z), velocity=velocity)], **world)


def apexes(y: np.ndarray, vy: np.ndarray) -> np.ndarray:
    """Heights at the frames where the vertical velocity turns from up to down."""
    turn = np.flatnonzero((vy[:-1] > 0) & (vy[1:] <= 0))
    return np.maximum(y[turn], y[turn + 1])


# --- free flight -----------------------------------------------------------------------------


@pytest.mark.parametrize("gravities", [(9.81,), (5.0, 15.0)])
def test_fall_is_a_parabola_with_the_scenes_gravity(gravities):
    scene = Scene.concat([ball(y=1.8, gravity=g) for g in gravities])
    traj = simulate(scene, n_frames=16, fps=12)
    for b, g in enumerate(gravities):
        y, vy = traj.position[b, :, 0, 1], traj.velocity[b, :, 0, 1]
        first_up = int(np.argmax(vy > 0))  # the first frame after the first bounce
        assert first_up >= 4, "the ball should fall for several frames before it bounces"
        a = np.polyfit(traj.times[:first_up].astype(np.float64), y[:first_up].astype(np.float64), 2)[0]
        assert -2 * a == pytest.approx(g, rel=0.005)


def test_horizontal_velocity_is_constant_in_flight():
    traj = simulate(ball(y=1.8, velocity=(0.7, 1.0, -0.2)), n_frames=6, fps=12)
    assert traj.bounces[0, 0] == 0
    np.testing.assert_allclose(traj.velocity[0, :, 0, [0, 2]], [[0.7] * 6, [-0.2] * 6], atol=1e-6)


# --- bounces ---------------------------------------------------------------------------------


@pytest.mark.parametrize("e", [0.6, 0.8])
def test_bounce_heights_shrink_by_restitution_squared(e):
    scene = ball(y=1.5, restitution=e)
    r = float(scene.radius[0, 0])
    traj = simulate(scene, n_frames=600, fps=200)
    y, vy = traj.position[0, :, 0, 1], traj.velocity[0, :, 0, 1]
    heights = np.concatenate([[1.5 - r], apexes(y, vy) - r])  # the drop height is the first apex
    assert len(heights) >= 4
    ratios = heights[1:4] / heights[:3]
    np.testing.assert_allclose(ratios, float(scene.restitution[0]) ** 2, rtol=0.03)


def test_bounces_are_counted():
    scene = Scene.concat(
        [ball(y=1.5, restitution=0.6), ball(y=float(SIZE_RADIUS[0]), restitution=0.6), ball(y=1.5, restitution=0.0)]
    )
    traj = simulate(scene, n_frames=25, fps=12)  # 2 s
    assert traj.bounces[0, 0] >= 2
    assert traj.bounces[1, 0] == 0  # resting
    assert traj.bounces[2, 0] == 0  # e = 0: lands dead
    # The counted bounces are the times the ball turned upward (at fine frame rate, each is seen).
    fine = simulate(scene[0], n_frames=401, fps=200)
    vy = fine.velocity[0, :, 0, 1]
    assert fine.bounces[0, 0] == np.sum((vy[:-1] <= 0) & (vy[1:] > 0))


def test_bouncing_ends_in_rest():
    traj = simulate(ball(y=1.5, restitution=0.6), n_frames=49, fps=12)  # 4 s
    r = SIZE_RADIUS[0]
    assert traj.position[0, -1, 0, 1] == pytest.approx(r, abs=1e-6)
    assert traj.velocity[0, -1, 0, 1] == 0.0
    assert np.all(traj.position[0, -10:, 0, 1] == traj.position[0, -1, 0, 1])


def test_resting_object_stays_exactly_at_rest():
    scene = make_scene(
        [
            dict(shape="cube", size="large", position=(0.3, 1.2)),
            dict(shape="cylinder", size="small", position=(-1.0, 2.0)),
        ]
    )
    traj = simulate(scene, n_frames=30)
    assert np.array_equal(traj.position, np.broadcast_to(scene.position[:, None], traj.position.shape))
    assert not traj.velocity.any()
    assert not traj.bounces.any()


# --- friction --------------------------------------------------------------------------------


@pytest.mark.parametrize("velocity", [(2.0, 0.0, 0.0), (-1.2, 0.0, 0.9), (0.0, 0.0, 1.5)])
@pytest.mark.parametrize("mu", [0.2, 0.4, 0.8])
def test_sliding_stops_after_v_squared_over_2_mu_g(velocity, mu):
    x0 = -1.5 if velocity[0] >= 0 else 1.5
    scene = ball(y=float(SIZE_RADIUS[1]), x=x0, z=1.0, size="large", shape="cube", velocity=velocity, friction=mu)
    traj = simulate(scene, n_frames=30, fps=12)  # ~2.4 s: long enough to stop
    v = np.hypot(velocity[0], velocity[2])
    g = float(scene.gravity[0])
    path = traj.position[0, :, 0, [0, 2]].T.astype(np.float64)  # (T, 2)
    travelled = np.linalg.norm(path[-1] - path[0])
    assert travelled == pytest.approx(v**2 / (2 * float(scene.friction[0]) * g), rel=0.03)
    assert not traj.velocity[0, -1].any()
    # Friction slows but never reverses: every step goes the same way as the throw.
    steps = np.diff(path, axis=0) @ np.array([velocity[0], velocity[2]])
    assert np.all(steps >= 0)
    assert np.all(traj.position[0, :, 0, 1] == scene.position[0, 0, 1])  # stays on the ground


# --- walls and ground ------------------------------------------------------------------------


def test_walls_reflect_and_contain():
    scene = Scene.concat(
        [
            ball(y=1.0, velocity=(6.0, 1.0, 0.0)),
            ball(y=1.0, velocity=(-6.0, 1.0, 0.0)),
            ball(y=1.0, z=2.5, velocity=(0.0, 2.0, 5.0), size="large"),
            ball(y=0.2, z=3.0, velocity=(0.0, 0.0, 3.0)),
        ]
    )  # sliding into the wall
    traj = simulate(scene, n_frames=25, fps=12)
    r = scene.radius[:, None, :]
    x, z = traj.position[..., 0], traj.position[..., 2]
    assert np.all(np.abs(x) <= SIDE_X - r + 1e-4)
    assert np.all(z + r <= WALL_Z + 1e-4)
    vx, vz = traj.velocity[..., 0], traj.velocity[..., 2]
    assert (vx[0] < 0).any() and (vx[1] > 0).any()  # turned back by the side walls
    assert (vz[2] < 0).any() and (vz[3] < 0).any()  # turned back by the back wall


def test_thrown_scenes_stay_above_ground_and_inside_walls():
    scene = sample_scenes(500, seed=0, moving=True)
    traj = simulate(scene, n_frames=48)
    r = scene.radius[:, None, :]
    live = np.broadcast_to(scene.present[:, None, :], r.shape[:1] + (48,) + r.shape[2:])
    pos = traj.position
    assert np.all(pos[..., 1][live] >= (r + 0 * pos[..., 1])[live] - 1e-4)
    assert np.all((np.abs(pos[..., 0]) <= SIDE_X - r + 1e-4)[live])
    assert np.all((pos[..., 2] + r <= WALL_Z + 1e-4)[live])
    assert np.all(np.isfinite(pos)) and np.all(np.isfinite(traj.velocity))
    # Empty slots stay at zeros; thrown objects do move and bounce.
    assert not pos[~live].any() and not traj.velocity[~live].any()
    assert not traj.bounces[~scene.present].any()
    assert traj.bounces[scene.present].sum() > 0
    assert (traj.position[:, -1] != traj.position[:, 0])[scene.present].any()


# --- the Trajectory, determinism, input checks -----------------------------------------------


def test_trajectory_shapes_and_frame():
    scene = sample_scenes(7, seed=3, moving=True)
    traj = simulate(scene, n_frames=10, fps=24)
    assert isinstance(traj, Trajectory) and len(traj) == 10
    assert traj.position.shape == traj.velocity.shape == (7, 10, 3, 3)
    assert traj.position.dtype == traj.velocity.dtype == traj.times.dtype == np.float32
    assert traj.bounces.shape == (7, 3) and np.issubdtype(traj.bounces.dtype, np.integer)
    assert traj.times[0] == 0
    np.testing.assert_allclose(np.diff(traj.times), 1 / 24, rtol=1e-5)
    live = scene.present
    assert np.array_equal(traj.position[:, 0][live], scene.position[live])
    assert np.array_equal(traj.velocity[:, 0][live], scene.velocity[live])
    # Empty slots come out as zeros whatever the input held there (sample_scenes leaves values).
    assert not traj.position[~live[:, None].repeat(10, 1)].any()
    for t in (0, 4, 9, -1):
        f = traj.frame(scene, t)
        assert isinstance(f, Scene)
        assert np.array_equal(f.position, traj.position[:, t])
        assert np.array_equal(f.velocity, traj.velocity[:, t])
        assert np.array_equal(f.shape, scene.shape) and np.array_equal(f.light, scene.light)
    with pytest.raises(IndexError, match="10 frames"):
        traj.frame(scene, 10)
    with pytest.raises(ValueError, match="simulated for 7 scenes"):
        traj.frame(scene[:3], 0)


def test_one_frame_is_the_scene_itself():
    scene = sample_scenes(4, seed=1, moving=True)
    traj = simulate(scene, n_frames=1)
    assert len(traj) == 1 and not traj.bounces.any()
    live = scene.present
    assert np.array_equal(traj.position[:, 0][live], scene.position[live])
    assert np.array_equal(traj.velocity[:, 0][live], scene.velocity[live])


def test_same_scene_same_bytes():
    a = simulate(sample_scenes(200, seed=5, moving=True), n_frames=16)
    b = simulate(sample_scenes(200, seed=5, moving=True), n_frames=16)
    for name in ("times", "position", "velocity", "bounces"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name


def test_sub_step_size_barely_matters():
    scene = sample_scenes(100, seed=2, moving=True)
    coarse, fine = simulate(scene, dt=MAX_DT), simulate(scene, dt=1 / 2400)
    # Flight and ground contacts are exact; only wall hits and the onset of rest depend on dt.
    assert np.abs(coarse.position - fine.position).max() < 0.05


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_frames=0), "n_frames must be an int >= 1"),
        (dict(n_frames=2.5), "n_frames must be an int >= 1"),
        (dict(n_frames=True), "n_frames must be an int >= 1"),
        (dict(fps=0), "fps must be a finite number > 0"),
        (dict(fps=-12.0), "fps must be a finite number > 0"),
        (dict(fps=float("inf")), "fps must be a finite number > 0"),
        (dict(dt=0), r"dt must be in \(0, 0.01\] s: larger steps let fast objects pass through the ground"),
        (dict(dt=-0.001), r"dt must be in \(0, 0.01\]"),
        (dict(dt=0.02), r"dt must be in \(0, 0.01\]"),
        (dict(dt=float("nan")), r"dt must be in \(0, 0.01\]"),
    ],
)
def test_bad_input_raises_helpful_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(ball(), **kwargs)


def test_trajectory_clips_and_concat_round_trip():
    traj = simulate(sample_scenes(6, seed=2, moving=True), n_frames=5)
    parts = [traj.clips(slice(0, 2)), traj.clips(np.array([2, 3])), traj.clips(np.arange(6) >= 4)]
    again = Trajectory.concat(parts)
    assert [len(p.position) for p in parts] == [2, 2, 2]
    for name in ("times", "position", "velocity", "bounces"):
        assert np.array_equal(getattr(again, name), getattr(traj, name))
