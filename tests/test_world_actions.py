"""wmlib.world.actions: pushes, steps and rollouts against the world's own physics; physics' side walls."""

import math

import numpy as np
import pytest

from wmlib.video.clips import sample_clips
from wmlib.world import actions as A
from wmlib.world.actions import ACTIONS, Actions, push, random_actions, rollout, step
from wmlib.world.physics import SIDE_X, simulate
from wmlib.world.scene import SIZE_RADIUS, Scene, make_scene, sample_scenes


def ball(y=None, x=0.0, z=1.5, velocity=(0.0, 0.0, 0.0), size="small", shape="cube", **world):
    """One object; ``y=None`` puts it at rest on the ground."""
    position = (x, z) if y is None else (x, y, z)
    return make_scene([dict(shape=shape, size=size, position=position, velocity=velocity)], **world)


def nothing(n, steps):
    return Actions(np.zeros((n, steps), np.int64), np.zeros((n, steps), np.float32))


def one(kind, strength):
    return np.array([ACTIONS.index(kind)]), np.array([strength], np.float32)


# --- doing nothing is the world on its own -------------------------------------------------------


@pytest.mark.parametrize("source", ["scenes", "clips"])
def test_rollout_of_no_actions_is_the_simulation(source):
    scene = sample_scenes(200, seed=3, moving=True) if source == "scenes" else sample_clips(60, seed=1).scene
    frames = 16
    traj = simulate(scene, frames)
    played = rollout(scene, nothing(len(scene), frames - 1))
    assert played.position.shape == traj.position.shape and len(played) == frames
    assert np.allclose(played.times, traj.times)
    assert np.abs(played.position - traj.position).max() < 1e-5
    assert np.abs(played.velocity - traj.velocity).max() < 1e-4
    assert np.array_equal(played.bounces, traj.bounces)
    assert traj.bounces.sum() > 0  # the comparison covered bounces, not only flight


def test_rollout_is_a_chain_of_single_steps():
    scene = sample_scenes(40, seed=4, moving=True)
    acts = random_actions(40, 8, seed=4, p_none=0.2)
    played = rollout(scene, acts)
    now = scene
    assert np.array_equal(played.position[:, 0], scene.position)
    for t in range(acts.steps):
        now = step(now, acts.kind[:, t], acts.strength[:, t])
        assert np.array_equal(now.position, played.position[:, t + 1]), t
        assert np.array_equal(now.velocity, played.velocity[:, t + 1]), t


def test_same_start_and_actions_give_the_same_bytes():
    runs = [rollout(sample_scenes(100, seed=6, moving=True), random_actions(100, 10, seed=6)) for _ in range(2)]
    for name in ("times", "position", "velocity", "bounces"):
        assert getattr(runs[0], name).tobytes() == getattr(runs[1], name).tobytes(), name


def test_actions_change_the_outcome():
    scene = sample_scenes(50, seed=7, moving=True)
    idle = rollout(scene, nothing(50, 6))
    pushed = rollout(scene, random_actions(50, 6, seed=7, p_none=0.0))
    assert np.abs(idle.position[:, -1, 0] - pushed.position[:, -1, 0]).max(axis=1).min() > 0.01


# --- pushes: physics of a sudden change of velocity ------------------------------------------


@pytest.mark.parametrize("direction", ["right", "left"])
@pytest.mark.parametrize("strength, mu", [(1.0, 0.4), (2.0, 0.4), (1.5, 0.8)])
def test_a_sideways_push_slides_v_squared_over_2_mu_g(direction, strength, mu):
    scene = ball(friction=mu)
    sign = 1.0 if direction == "right" else -1.0
    pushed = push(scene, *one(direction, strength))
    assert pushed.velocity[0, 0, 0] == pytest.approx(sign * strength)
    assert pushed.velocity[0, 0, 1] == 0 and pushed.velocity[0, 0, 2] == 0
    g = float(scene.gravity[0])
    stop = strength**2 / (2 * mu * g)
    assert stop + float(scene.radius[0, 0]) < SIDE_X, "the slide must not reach a wall"
    frames = math.ceil(strength / (mu * g) * 12) + 3  # long enough to stop
    traj = rollout(scene, Actions.of([direction] + ["none"] * (frames - 1), strength))
    x, vx = traj.position[0, :, 0, 0], traj.velocity[0, :, 0, 0]
    # right after the push interval: speed s less one frame of friction, on the ground all the time
    assert vx[1] == pytest.approx(sign * (strength - mu * g / 12), abs=1e-4)
    assert np.all(traj.position[0, :, 0, 1] == scene.position[0, 0, 1])
    assert (x[-1] - x[0]) * sign == pytest.approx(stop, abs=3e-3)
    assert vx[-1] == 0 and vx[-2] == 0  # it stopped
    assert np.all(np.diff(x) * sign >= 0)  # friction never turns it back


def test_left_mirrors_right():
    scene = ball(x=0.0)
    right = rollout(scene, Actions.of(["right", "none", "right", "none"], 1.3))
    left = rollout(scene, Actions.of(["left", "none", "left", "none"], 1.3))
    assert np.allclose(right.position[0, :, 0, 0], -left.position[0, :, 0, 0], atol=1e-6)
    assert np.array_equal(right.position[0, :, 0, 1:], left.position[0, :, 0, 1:])


def test_up_lifts_an_object_from_the_ground():
    scene = ball(size="large")
    r, g = float(scene.radius[0, 0]), float(scene.gravity[0])
    pushed = push(scene, *one("up", 2.0))
    assert pushed.velocity[0, 0, 1] == pytest.approx(2.0)
    after = step(scene, *one("up", 2.0))
    # one frame of free flight: y = r + v t - g t²/2, vy = v - g t
    h = 1 / 12
    assert after.position[0, 0, 1] == pytest.approx(r + 2.0 * h - 0.5 * g * h * h, abs=1e-5)
    assert after.velocity[0, 0, 1] == pytest.approx(2.0 - g * h, abs=1e-5)
    assert after.position[0, 0, 0] == scene.position[0, 0, 0]  # straight up
    traj = rollout(scene, Actions.of(["up"] + ["none"] * 8, 2.0))
    y = traj.position[0, :, 0, 1]
    assert y.max() > r + 0.15 and y.max() <= r + 2.0**2 / (2 * g) + 1e-4  # at most the apex v²/2g


def test_up_does_nothing_in_the_air():
    scene = ball(y=1.2, velocity=(0.4, 0.3, 0.0))
    pushed = push(scene, *one("up", 2.0))
    assert np.array_equal(pushed.velocity, scene.velocity)
    assert np.array_equal(step(scene, *one("up", 2.0)).position, step(scene, *one("none", 0.0)).position)
    # but a sideways push does act in the air
    assert push(scene, *one("left", 1.0)).velocity[0, 0, 0] == pytest.approx(0.4 - 1.0)


def test_push_acts_on_the_chosen_slot_only():
    scene = sample_scenes(30, seed=8, n_objects=3, moving=True)
    kind, strength = np.full(30, 2), np.full(30, 1.5, np.float32)
    pushed = push(scene, kind, strength, slot=1)
    assert np.allclose(pushed.velocity[:, 1, 0], scene.velocity[:, 1, 0] + 1.5)
    assert np.array_equal(pushed.velocity[:, [0, 2]], scene.velocity[:, [0, 2]])
    assert np.array_equal(pushed.position, scene.position)
    assert np.array_equal(scene.velocity, sample_scenes(30, seed=8, n_objects=3, moving=True).velocity)  # not mutated


# --- the Actions batch ---------------------------------------------------------------------------


def test_vectors_have_the_right_signs_and_values():
    acts = Actions(np.array([[0, 1, 2, 3]]), np.array([[0.7, 1.5, 2.0, 0.5]], np.float32))
    v = acts.vectors()
    assert v.shape == (1, 4, 2) and v.dtype == np.float32
    assert np.allclose(v[0], [[0, 0], [-1.5, 0], [2.0, 0], [0, 0.5]])
    assert len(acts) == 1 and acts.steps == 4


def test_of_maps_names_to_kinds():
    acts = Actions.of(["right", "none", "up", "left"], 1.5)
    assert [ACTIONS[k] for k in acts.kind[0]] == ["right", "none", "up", "left"]
    assert acts.kind.shape == (1, 4) and np.all(acts.strength == 1.5)
    single = Actions.of("up", 2.0)
    assert single.kind.tolist() == [[3]] and single.strength.tolist() == [[2.0]]
    varied = Actions.of(["left", "right"], [0.5, 2.5])
    assert np.allclose(varied.vectors()[0], [[-0.5, 0], [2.5, 0]])


def test_random_actions_are_reproducible_and_follow_their_settings():
    a, b = random_actions(500, 16, seed=3), random_actions(500, 16, seed=3)
    assert np.array_equal(a.kind, b.kind) and a.strength.tobytes() == b.strength.tobytes()
    assert not np.array_equal(a.kind, random_actions(500, 16, seed=4).kind)
    assert a.kind.shape == (500, 16) and a.strength.dtype == np.float32
    none = a.kind == 0
    assert abs(none.mean() - 0.4) < 0.03  # the default p_none
    counts = np.bincount(a.kind[~none], minlength=4)[1:]
    assert counts.min() > 0.28 * (~none).sum()  # left, right and up alike
    assert np.all(a.strength[none] == 0)
    assert a.strength[~none].min() >= 0.5 and a.strength[~none].max() <= 2.5
    assert not (random_actions(100, 10, seed=1, p_none=0.0).kind == 0).any()
    assert (random_actions(100, 10, seed=1, p_none=1.0).kind == 0).all()
    narrow = random_actions(200, 10, seed=2, p_none=0.5, strength=(1.0, 1.2))
    live = narrow.strength[narrow.kind > 0]
    assert abs((narrow.kind == 0).mean() - 0.5) < 0.06
    assert live.min() >= 1.0 and live.max() <= 1.2


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, strength, match",
    [
        (np.zeros((2, 3), np.int64), np.zeros((2, 2)), "shape"),
        (np.zeros(3, np.int64), np.zeros(3), "shape"),
        (np.array([[0, 4]]), np.zeros((1, 2)), "kind must hold integers"),
        (np.array([[0, -1]]), np.zeros((1, 2)), "kind must hold integers"),
        (np.array([[0.0, 1.0]]), np.zeros((1, 2)), "kind must hold integers"),
        (np.array([[1, 2]]), np.array([[1.0, -0.5]]), "strength must be finite and >= 0"),
        (np.array([[1, 2]]), np.array([[1.0, np.nan]]), "strength must be finite and >= 0"),
        (np.array([[1, 2]]), np.array([[np.inf, 1.0]]), "strength must be finite and >= 0"),
    ],
)
def test_bad_actions_are_refused(kind, strength, match):
    with pytest.raises(ValueError, match=match):
        Actions(kind, strength)


def test_unknown_action_names_are_refused():
    with pytest.raises(ValueError, match=r"unknown action\(s\) \['jump'\]; allowed: none, left, right, up"):
        Actions.of(["left", "jump"])
    with pytest.raises(ValueError, match="unknown action"):
        Actions.of("Right")
    with pytest.raises(ValueError, match="strength must be finite"):
        Actions.of(["left"], -1.0)


def test_mismatched_shapes_and_empty_slots_are_refused():
    scene = sample_scenes(4, seed=1, n_objects=1)
    with pytest.raises(ValueError, match="4 scenes"):
        push(scene, np.zeros(3, np.int64), np.zeros(3))
    with pytest.raises(ValueError, match="need one action per scene"):
        push(scene, np.zeros(4, np.int64), np.zeros(5))
    with pytest.raises(ValueError, match="3 action sequences for 4 scenes"):
        rollout(scene, nothing(3, 5))
    with pytest.raises(ValueError, match="slot 1 is empty"):
        push(scene, np.full(4, 2), np.ones(4), slot=1)
    with pytest.raises(ValueError, match="slot 2 is empty"):
        rollout(scene, nothing(4, 2), slot=2)


def test_random_actions_refuse_a_bad_probability():
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p_none must be a probability"):
            random_actions(4, 4, p_none=p)


# --- physics.simulate's side walls ---------------------------------------------------------------


@pytest.mark.parametrize(
    "side_x", [True, 0.3, float(SIZE_RADIUS.max()) - 0.01, float("nan"), float("inf"), -2.0, "1.2", None]
)
def test_bad_side_x_is_refused(side_x):
    with pytest.raises(ValueError, match="side_x must be a number of metres larger than the largest radius"):
        simulate(ball(), 3, side_x=side_x)
    with pytest.raises(ValueError, match="side_x"):
        step(ball(), *one("right", 1.0), side_x=side_x)


def test_narrow_walls_hold_objects_thrown_hard_sideways():
    side = 1.25
    throws = [
        ball(y=1.0, x=0.0, velocity=(sign * speed, 2.0, 0.0), size=size)
        for sign in (-1.0, 1.0)
        for speed in (4.0, 9.0)
        for size in ("small", "large")
    ]
    sliding = [ball(x=0.5, velocity=(8.0, 0.0, 0.0), size="large"), ball(x=-0.5, velocity=(-8.0, 0.0, 0.0))]
    scene = Scene.concat(throws + sliding)
    traj = simulate(scene, 30, side_x=side)
    x, r = traj.position[:, :, 0, 0], scene.radius[:, None, 0]
    assert np.all(np.abs(x) + r <= side + 1e-4)
    assert np.all((np.abs(x) + r).max(axis=1) > side - 0.2)  # every one came near a wall
    vx = traj.velocity[:, :, 0, 0]
    assert np.all(np.any(np.sign(vx) == -np.sign(scene.velocity[:, None, 0, 0]), axis=1))  # and turned back
    # the default walls are wider: the same throws get further out there
    wide = simulate(scene, 30)
    assert (np.abs(wide.position[:, :, 0, 0]) + r).max() > side + 0.1
    assert np.array_equal(simulate(scene, 30, side_x=SIDE_X).position, wide.position)


def test_random_pushes_between_narrow_walls_stay_inside():
    scene = sample_scenes(200, seed=9, n_objects=1, moving=True)
    scene = scene.with_(position=scene.position * np.array([0.75, 1, 1], np.float32))  # start inside the walls
    assert np.all(np.abs(scene.position[:, 0, 0]) + scene.radius[:, 0] <= 1.25)
    traj = rollout(scene, random_actions(200, 16, seed=9, p_none=0.1, strength=(1.5, 3.0)), side_x=1.25)
    x, r = traj.position[:, :, 0, 0], scene.radius[:, None, 0]
    assert np.all(np.abs(x) + r <= 1.25 + 1e-4)
    assert (np.abs(x) + r > 1.2).any()  # some did reach the walls
    assert np.all(traj.position[:, :, 0, 1] >= scene.radius[:, None, 0] - 1e-6)  # never below the ground


def test_ground_tolerance_is_small():
    # 'up' counts an object as on the ground only within a centimetre of it
    assert 0 < A.GROUND_TOLERANCE <= 0.01
    hovering = ball(y=float(SIZE_RADIUS[0]) + 0.05)
    assert np.array_equal(push(hovering, *one("up", 2.0)).velocity, hovering.velocity)
