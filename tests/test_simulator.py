"""wmlib.simulator: the acting world, the world model's plumbing, training, planning, evaluation, play."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from wmlib.simulator import episodes as E
from wmlib.simulator import evaluate as V
from wmlib.simulator import model as M
from wmlib.simulator import planning as P
from wmlib.simulator import play
from wmlib.simulator import train as TR
from wmlib.world.actions import ACTIONS
from wmlib.world.studio import VIEW_TOP, background, gravity_px
from wmlib.world.tracker import track


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def tiny():
    """A tiny world model with the cave's background plate (so its frames are not all black) and
    weights nudged off their "no change" start (so that a round trip compares something)."""
    model = M.build(width=16, blocks=1, seed=0)
    with torch.no_grad():
        model.autoencoder.background.copy_(torch.as_tensor(background()).permute(2, 0, 1))
        g = torch.Generator().manual_seed(1)
        for p in model.dynamics.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def at_rest(x=0.0, seed=0):
    """One scene of the acting world: an object resting on the ground at ``x``."""
    scene = E.sample_starts(1, seed, p_ground=1.0)
    position = scene.position.copy()
    position[0, 0, 0] = x
    return scene.with_(position=position)


# --- the acting world ----------------------------------------------------------------------------


def test_episodes_are_reproducible_by_seed():
    a, b, c = E.sample_episodes(20, 8, seed=3), E.sample_episodes(20, 8, seed=3), E.sample_episodes(20, 8, seed=4)
    assert a.trajectory.position.tobytes() == b.trajectory.position.tobytes()
    assert np.array_equal(a.actions.kind, b.actions.kind) and np.array_equal(a.actions.strength, b.actions.strength)
    assert not np.array_equal(a.trajectory.position, c.trajectory.position)
    assert len(a) == 20 and a.actions.steps == 8 and a.trajectory.position.shape[1] == 9


def test_objects_stay_in_view_under_random_pushes():
    episodes = E.sample_episodes(300, 16, seed=11)
    p, r = episodes.trajectory.position[:, :, 0], episodes.scene.radius[:, None, 0]
    assert episodes.scene.n_objects.tolist() == [1] * 300
    assert np.all(np.abs(p[..., 0]) + r <= E.SIDE_X + 1e-4)
    assert np.all(p[..., 1] + r <= VIEW_TOP)
    assert np.all(p[..., 1] >= r - 1e-5)  # and never below the ground
    assert np.all(p[..., 2] == p[:, :1, 2])  # everything moves in one plane
    # the pushes do move things: objects get near the walls, and some are lifted from the ground
    assert (np.abs(p[..., 0]) + r > E.SIDE_X - 0.05).any()
    ground = np.abs(p[:, 0, 1] - r[:, 0]) < 1e-6
    assert 0.3 < ground.mean() < 0.7  # half start on the ground, half in the air
    assert (p[ground, 1:, 1] > r[ground] + 0.1).any()


def test_render_gives_frames_in_the_unit_range():
    episodes = E.sample_episodes(6, 5, seed=2)
    frames = episodes.render(chunk=4)  # two chunks
    assert frames.shape == (6, 6, 32, 32, 3) and frames.dtype == np.float32
    assert frames.min() >= 0 and frames.max() <= 1
    assert np.array_equal(frames[:, 0], E.render_scene(episodes.scene))
    assert np.abs(frames - background()).sum(-1).max() > 0.5  # the object is visible
    assert np.array_equal(frames, episodes.render())


def test_pixel_x_and_column_to_x_are_inverse():
    assert float(E.pixel_x(0.0)) == pytest.approx(15.5)
    x = np.array([-1.2, -0.4, 0.0, 0.3, 1.1])
    columns = E.pixel_x(x)
    assert np.all(np.diff(columns) > 0)  # right is right
    assert np.allclose(P.column_to_x(columns), x, atol=1e-9)
    assert np.allclose(E.pixel_x(P.column_to_x(np.array([3.0, 15.5, 28.0]))), [3.0, 15.5, 28.0])
    # the camera sees the whole of the walls' span, and the tracker finds objects where pixel_x says
    assert E.pixel_x(-E.SIDE_X) >= -0.5 and E.pixel_x(E.SIDE_X) <= 31.5
    for x0 in (-0.8, 0.0, 0.6):
        column = track(E.render_scene(at_rest(x0)))[0][0, 0]
        assert column == pytest.approx(float(E.pixel_x(x0)), abs=0.7)


def test_sample_starts_refuses_a_bad_count():
    for n in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n must be a positive number of scenes"):
            E.sample_starts(n)


# --- the world model -----------------------------------------------------------------------------


def test_imagine_gives_one_frame_per_action(tiny):
    episodes = E.sample_episodes(5, 6, seed=1)
    frames = episodes.render()
    out = tiny.imagine(frames[:, :2], episodes.actions.vectors()[:, 1:])
    assert out.shape == (5, 5, 32, 32, 3) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert np.allclose(tiny.imagine(frames[:, :2], episodes.actions.vectors()[:, 1:], batch_size=2), out, atol=1e-5)
    one = tiny.imagine(frames[:1, :2], episodes.actions.vectors()[:1, 1:2])
    assert one.shape == (1, 1, 32, 32, 3)
    assert np.allclose(one[0, 0], out[0, 0], atol=1e-5)  # the first dream frame does not depend on later actions


@pytest.mark.parametrize(
    "context, actions, match",
    [
        ((2, 3, 32, 32, 3), (2, 4, 2), r"context must be \(batch, 2, H, W, 3\)"),
        ((2, 32, 32, 3), (2, 4, 2), "context must be"),
        ((2, 2, 32, 32, 1), (2, 4, 2), "context must be"),
        ((2, 2, 32, 32, 3), (2, 4, 3), r"actions must be \(batch, steps, 2\)"),
        ((2, 2, 32, 32, 3), (3, 4, 2), "with the context's batch 2"),
        ((2, 2, 32, 32, 3), (2, 2), "actions must be"),
        ((2, 2, 32, 32, 3), (2, 0, 2), "at least one action"),
    ],
)
def test_imagine_refuses_wrong_shapes(tiny, context, actions, match):
    with pytest.raises(ValueError, match=match):
        tiny.imagine(np.zeros(context, np.float32), np.zeros(actions, np.float32))


def test_save_and_load_round_trip(tiny, tmp_path):
    tiny.save_pretrained(tmp_path / "wm")
    assert {p.name for p in (tmp_path / "wm").iterdir()} == {"config.json", "model.safetensors"}
    loaded = M.WorldModel.from_pretrained(tmp_path / "wm")
    assert isinstance(loaded, M.WorldModel) and not loaded.training
    assert loaded.config == tiny.config == {"latent_channels": 4, "ae_width": 64, "width": 16, "blocks": 1}
    episodes = E.sample_episodes(3, 4, seed=5)
    frames, actions = episodes.render()[:, :2], episodes.actions.vectors()
    out = tiny.imagine(frames, actions)
    assert np.array_equal(loaded.imagine(frames, actions), out)
    fresh = M.build(width=16, blocks=1, seed=0)  # what the file replaced: a different model
    assert not np.array_equal(fresh.imagine(frames, actions), out)


def test_build_is_seeded():
    a, b, c = (M.build(width=16, blocks=1, seed=s) for s in (0, 0, 1))
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    # a fresh dynamics network predicts "no change" (its head starts at zero)
    z = torch.randn(2, 4, 8, 8)
    assert torch.equal(a.dynamics(torch.randn(2, 4, 8, 8), z, torch.randn(2, 2)), z)


# --- training ------------------------------------------------------------------------------------


def pooled_codes(frames):
    """Stand-in codes (N, T, 4, 8, 8) that carry the object's motion: 4x4-pooled differences from the
    empty cave plus their summed size (an untrained autoencoder's codes are nearly constant)."""
    d = frames - background()
    N, T = d.shape[:2]
    p = d.reshape(N, T, 8, 4, 8, 4, 3).mean((3, 5))
    codes = np.concatenate([p, np.abs(p).sum(-1, keepdims=True)], -1).transpose(0, 1, 4, 2, 3)
    return torch.as_tensor(4 * codes, dtype=torch.float32)


def unrolled_loss(model, codes, actions, k):
    """The training loss over every start frame of every episode, ``k`` steps ahead on its own predictions."""
    with torch.no_grad():
        losses = [
            (
                (model.rollout_codes(codes[:, s - 1], codes[:, s], actions[:, s : s + k]) - codes[:, s + 1 : s + k + 1])
                ** 2
            )
            .mean()
            .item()
            for s in range(1, codes.shape[1] - k)
        ]
    return float(np.mean(losses))


@pytest.fixture(scope="module")
def training_data():
    episodes = E.sample_episodes(40, 16, seed=1)
    return pooled_codes(episodes.render()), torch.as_tensor(episodes.actions.vectors())


def test_training_lowers_the_loss_and_leaves_the_autoencoder_alone(training_data):
    codes, actions = training_data
    model = M.build(width=16, blocks=1)
    autoencoder = {k: v.clone() for k, v in model.autoencoder.state_dict().items()}
    before = unrolled_loss(model, codes, actions, 3)
    history = TR.train_dynamics(
        model, codes, actions, steps=150, batch_size=8, lr=3e-3, unroll=3, progress=False, log_every=10
    )
    # The logged losses rise with the unroll curriculum (1 step ahead, then up to 3), so the fair
    # comparison is the same 3-step loss over all the data, before and after.
    assert unrolled_loss(model, codes, actions, 3) < 0.85 * before
    assert [h[0] for h in history] == list(range(10, 151, 10))
    assert all(np.isfinite(h[2]) and h[2] > 0 for h in history)
    assert all(a[1] <= b[1] for a, b in zip(history, history[1:]))  # seconds only grow
    assert not model.dynamics.training
    assert all(torch.equal(v, autoencoder[k]) for k, v in model.autoencoder.state_dict().items())


def test_training_is_reproducible_by_seed(training_data):
    codes, actions = training_data
    runs = []
    for _ in range(2):
        model = M.build(width=16, blocks=1)
        runs.append(
            TR.train_dynamics(
                model, codes[:10], actions[:10], steps=20, batch_size=4, unroll=2, progress=False, log_every=5
            )
        )
    assert [h[2] for h in runs[0]] == [h[2] for h in runs[1]]


def test_training_refuses_a_bad_unroll_or_mismatched_actions(training_data):
    codes, actions = training_data  # 17 frames: unroll 1..15
    model = M.build(width=16, blocks=1)
    for unroll in (0, 16):
        with pytest.raises(ValueError, match="unroll must be in 1..15 for episodes of 17 frames"):
            TR.train_dynamics(model, codes, actions, steps=1, unroll=unroll, progress=False)
    with pytest.raises(ValueError, match="need one action between each two frames"):
        TR.train_dynamics(model, codes, torch.zeros(40, 17, 2), steps=1, progress=False)
    with pytest.raises(ValueError, match="need one action between each two frames"):
        TR.train_dynamics(model, codes, actions[:39], steps=1, progress=False)


def test_encode_all_matches_encode(tiny):
    frames = E.sample_episodes(3, 3, seed=2).render()
    codes = TR.encode_all(tiny, frames, batch_size=5)
    assert codes.shape == (3, 4, 4, 8, 8)
    with torch.no_grad():
        assert torch.allclose(codes[1, 2], tiny.encode(frames[1, 2:3])[0], atol=1e-5)


# --- planning ------------------------------------------------------------------------------------


def test_tasks_are_reachable_and_far_enough():
    tasks = P.sample_tasks(200, seed=5)
    x0, r = tasks.scene.position[:, 0, 0], tasks.scene.radius[:, 0]
    assert len(tasks) == 200
    assert np.all(np.abs(tasks.target - x0) >= 0.5)
    assert np.all(np.abs(tasks.target) + r <= E.SIDE_X)
    assert np.all(tasks.scene.position[:, 0, 1] == r) and not tasks.scene.velocity.any()  # at rest on the ground
    far = P.sample_tasks(50, seed=5, min_distance=0.8)  # at most 0.9 m is always possible
    assert np.all(np.abs(far.target - far.scene.position[:, 0, 0]) >= 0.8)
    again = P.sample_tasks(200, seed=5)
    assert np.array_equal(again.target, tasks.target) and np.array_equal(again.scene.position, tasks.scene.position)


def test_pushes_become_actions():
    u = np.array([[-1.0, 0.05, -0.05, 2.0, 3.0, -9.0, 0.0, 0.1]])
    acts = P.pushes_to_actions(u)
    assert [ACTIONS[k] for k in acts.kind[0]] == ["left", "none", "none", "right", "right", "left", "none", "right"]
    assert np.allclose(acts.strength[0], [1.0, 0, 0, 2.0, P.MAX_PUSH, P.MAX_PUSH, 0, 0.1])
    # the horizontal push the model reads is the clipped signed push, and never upward
    v = acts.vectors()[0]
    assert np.allclose(v[:, 0], [-1.0, 0, 0, 2.0, 2.5, -2.5, 0, 0.1]) and not v[:, 1].any()


def test_the_true_world_imagines_what_happens():
    scene = at_rest(0.0)
    u = np.array([[1.5] + [0.0] * 5, [-1.5] + [0.0] * 5, [0.0] * 6])
    x = P.TrueWorld().final_x(scene, None, u)
    mu_g = float(scene.friction[0] * scene.gravity[0])
    assert x[0] == pytest.approx(1.5**2 / (2 * mu_g), abs=3e-3)  # slid to a stop
    assert x[1] == pytest.approx(-x[0], abs=1e-6) and x[2] == 0.0


def test_planning_with_the_true_simulator_succeeds():
    tasks = P.sample_tasks(6, seed=P.SEED)
    result = P.run_planner(P.TrueWorld(), tasks)
    assert result["success"].all(), result
    assert np.all(np.abs(result["final_x"] - tasks.target) <= P.TOLERANCE)
    assert np.all(np.abs(result["final_x"] - tasks.scene.position[:, 0, 0]) >= 0.5 - P.TOLERANCE)  # it moved them


def test_random_agent_is_reproducible_and_worse_than_planning():
    tasks = P.sample_tasks(60, seed=P.SEED)
    a, b = P.random_agent(tasks, seed=1), P.random_agent(tasks, seed=1)
    assert np.array_equal(a["final_x"], b["final_x"]) and np.array_equal(a["success"], b["success"])
    assert not np.array_equal(a["final_x"], P.random_agent(tasks, seed=2)["final_x"])
    assert a["success"].mean() < 0.5
    assert np.array_equal(a["success"], np.abs(a["final_x"] - tasks.target) <= P.TOLERANCE)


def test_the_analytic_push_slides_the_object_to_the_target():
    for x0, target in ((0.0, 0.5), (0.3, -0.2), (-0.6, -0.1)):
        scene = at_rest(x0)
        push = P.analytic_push(x0, 0.0, target)
        assert abs(push) <= P.MAX_PUSH
        x = P.TrueWorld().final_x(scene, None, np.array([[push] + [0.0] * 11]))[0]
        assert x == pytest.approx(target, abs=0.01)  # the friction law s²/(2 mu g) is the world's
    assert P.MU_G == pytest.approx(0.4 * 9.81)
    assert P.analytic_push(0.0, 0.0, 5.0) == P.MAX_PUSH  # beyond one push: the strongest, toward it


def test_the_physics_free_world_never_slows_and_overshoots_the_truth():
    scene = at_rest(-0.5)
    frames = np.repeat(E.render_scene(scene), 2, axis=0)
    u = np.array([[1.0, 0, 0, 0, 0, 0], [0.0] * 6])
    x = P.PhysicsFreeWorld().final_x(scene, frames, u)
    x0, v0 = P.observe(frames)
    assert abs(v0) < 1e-6 and x0 == pytest.approx(-0.5, abs=0.02)
    assert x[0] == pytest.approx(x0 + 1.0 * 6 / 12, abs=1e-6) and x[1] == pytest.approx(x0)
    assert x[0] > P.TrueWorld().final_x(scene, None, u)[0] + 0.2  # friction stops the real one sooner


def test_closed_loop_agents_see_the_frames_and_are_reproducible():
    tasks = P.sample_tasks(20, seed=P.SEED)
    a, b = P.analytic_agent(tasks), P.analytic_agent(tasks)
    assert np.array_equal(a["final_x"], b["final_x"])
    assert a["success"].mean() > P.random_agent(tasks)["success"].mean()
    assert np.allclose(a["distance"], np.abs(a["final_x"] - tasks.target))
    steps = []
    P.run_agent(lambda scene, frames, target, left, rng: steps.append(left) or [0.0], P.subset(tasks, 2))
    assert steps == list(range(P.STEPS, 0, -1)) * 2  # one push at a time, STEPS of them per task
    first = P.subset(tasks, 3)
    assert np.array_equal(first.target, tasks.target[:3]) and len(first) == 3


def test_summaries_carry_intervals():
    r = {"x": P.outcome(np.array([0.0, 0.1, 0.3, 1.0]), P.Tasks(E.sample_starts(4, 0, 1.0), np.zeros(4)))}
    s = P.summarise(r)["x"]
    assert s["success"] == 0.25 and s["tasks"] == 4 and s["distance"] == [0.0, 0.1, 0.3, 1.0]
    assert s["success ci"][0] <= 0.25 <= s["success ci"][1]
    assert s["median distance"] == pytest.approx(0.2)


# --- evaluation ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def thrown():
    return V.throws(20)


def test_gravity_is_read_off_true_throws_and_not_off_shuffled_ones(thrown):
    episodes, frames = thrown
    assert frames.shape == (20, V.HORIZON + 2, 32, 32, 3)
    assert not episodes.actions.kind.any()
    g = V.gravity(frames)
    truth = gravity_px()
    assert np.mean(np.abs(g - truth) <= 0.2 * truth) >= 0.8
    assert V.gravity_share(g) >= 0.8
    rng = np.random.default_rng(0)
    shuffled = np.stack([v[rng.permutation(len(v))] for v in frames])
    assert V.gravity_share(V.gravity(shuffled)) <= 0.2


def test_gravity_share_counts_nan_as_wrong():
    truth = gravity_px()
    assert V.gravity_share(np.array([np.nan, truth, 1.1 * truth, 2 * truth])) == pytest.approx(0.5)
    assert V.gravity_share(np.array([0.7 * truth])) == 0.0
    assert V.gravity_share(np.array([0.7 * truth]), tolerance=0.35) == 1.0


def test_compounding_error_of_the_truth_is_zero():
    episodes, frames = V.held_out_episodes(12)
    assert frames.shape == (12, V.HORIZON + 2, 32, 32, 3)
    error = V.compounding_error(frames[:, 2:], frames)
    assert error["model"].shape == (V.HORIZON,) and not error["model"].any()
    assert np.all(error["last frame held"] > 0)  # the objects do move
    assert error["last frame held"][-1] > error["last frame held"][0]  # and drift further from where they were


def test_place_off_is_zero_for_the_truth_and_grows_for_held_frames():
    episodes, frames = V.held_out_episodes(12)
    off = V.place_off(frames[:, 2:], frames)
    assert off.shape == (12, V.HORIZON) and np.nanmax(off) == 0
    held = V.place_off(np.repeat(frames[:, 1:2], V.HORIZON, axis=1), frames)
    # its mean over episodes is the "last frame held" curve of position_error
    np.testing.assert_allclose(np.nanmean(held, axis=0), V.position_error(frames[:, 2:], frames)["last frame held"])
    assert np.nanmean(held[:, -1]) > np.nanmean(held[:, 0]) > 0


def test_dream_has_one_frame_per_step_ahead(tiny):
    episodes, frames = V.held_out_episodes(3)
    imagined = V.dream(tiny, episodes, frames)
    assert imagined.shape == (3, V.HORIZON, 32, 32, 3)
    error = V.compounding_error(imagined, frames)
    assert error["model"].shape == (V.HORIZON,) and np.all(error["model"] > 0)


def test_permanence_of_true_frames(thrown):
    episodes, frames = thrown
    colour = episodes.scene.colour[:, 0]
    score = V.permanence(frames, colour)
    assert score["present"] == 1.0
    assert score["colour kept"] >= 0.9 and score["permanent"] == score["colour kept"]
    wrong = V.permanence(frames, (colour + 1) % 8)
    assert wrong["colour kept"] <= 0.1 and wrong["present"] == 1.0
    empty = np.broadcast_to(background(), frames[:4].shape)
    gone = V.permanence(empty, colour[:4])
    assert gone["present"] == 0.0 and gone["permanent"] == 0.0


def test_fall_gravity_is_fitted_on_the_true_fall_only():
    t = np.arange(16.0)
    g = gravity_px()
    fall = 20 - 0.5 * g * t**2
    height = np.where(t < 7, fall, 0.0)  # lands at frame 7 and stays
    frames = V.fall_frames(height)
    assert frames is not None and frames[0] == 0 and frames[-1] < 7 and len(frames) >= 5
    assert V.fit_on(height, frames) == pytest.approx(g, rel=1e-6)
    assert V.fall_frames(np.where(t < 3, fall, 0.0)) is None  # too short a fall to fit
    assert np.isnan(V.fit_on(np.full(16, np.nan), frames))


def test_round_trip_and_landing_of_true_throws(tiny, thrown):
    episodes, frames = thrown
    same = V.round_trip(tiny, frames[:2])
    assert same.shape == frames[:2].shape
    first, after = V.landing(frames)
    assert np.isfinite(first).mean() >= 0.8 and np.all(first[np.isfinite(first)] >= 1)


# --- play ----------------------------------------------------------------------------------------


def test_playground_steps_both_worlds(tiny):
    start = at_rest(-0.3)
    ground = play.Playground(tiny, start)
    assert len(ground.true_frames) == 1 and ground.actions == []
    true_frame, dream_frame = ground.step("right", 2.0)
    assert true_frame.shape == dream_frame.shape == (32, 32, 3)
    x = ground.scene.position[0, 0, 0]
    assert x > -0.3 + 0.05  # pushed right
    assert track(true_frame[None])[0][0, 0] > track(ground.true_frames[0][None])[0][0, 0]
    ground.step("none")
    ground.step("up", 1.0)
    assert ground.actions == ["right 2.0", "none", "up 1.0"]
    assert len(ground.true_frames) == len(ground.dream_frames) == 4
    assert ground.error() >= 0
    ground.reset()
    assert ground.scene is start and ground.actions == []
    assert len(ground.true_frames) == len(ground.dream_frames) == 1
    assert np.array_equal(ground.true_frames[0], E.render_scene(start)[0])
    # the same actions after a reset give the same frames
    again = play.Playground(tiny, start)
    assert np.array_equal(ground.step("right", 2.0)[0], again.step("right", 2.0)[0])


def test_playground_refuses_unknown_actions_and_batches(tiny):
    ground = play.Playground(tiny, at_rest())
    with pytest.raises(ValueError, match="unknown action 'jump'; allowed: none, left, right, up"):
        ground.step("jump")
    assert ground.actions == []  # nothing happened
    with pytest.raises(ValueError, match="one scene, got a batch of 2"):
        play.Playground(tiny, E.sample_starts(2))


def test_widget_buttons_act(tiny):
    box = play.widget(tiny, at_rest(-0.5))
    ground = box.playground
    buttons = {b.description: b for b in box.children[0].children}
    assert set(buttons) == {*ACTIONS, "reset"}
    x0 = ground.scene.position[0, 0, 0]
    buttons["right"].click()
    assert ground.actions == ["right 1.5"] and ground.scene.position[0, 0, 0] > x0
    box.children[1].value = 2.5
    buttons["left"].click()
    assert ground.actions == ["right 1.5", "left 2.5"] and len(ground.true_frames) == 3
    buttons["reset"].click()
    assert ground.actions == [] and len(ground.true_frames) == 1


def test_plot_motion_draws_the_true_place_and_height_over_time():
    from wmlib.simulator import figures
    from wmlib.world.actions import Actions

    demo = E.act(P.sample_tasks(1, seed=3).scene, Actions.of(["right"] + ["none"] * 5, [2.0] + [0.0] * 5))
    fig = figures.plot_motion(demo)
    x_axis, height_axis = fig.axes[:2]
    np.testing.assert_allclose(x_axis.lines[0].get_ydata(), demo.trajectory.position[0, :, 0, 0])
    np.testing.assert_allclose(height_axis.lines[0].get_xdata(), demo.trajectory.times)
    assert x_axis.get_xlabel() == "time (s)" and "(m)" in x_axis.get_ylabel() and "(m)" in height_axis.get_ylabel()
    assert len(x_axis.lines) == 2  # the path and the one push


def test_plot_side_by_side():
    frames = E.sample_episodes(1, 5, seed=3).render()[0]
    fig = play.plot_side_by_side(frames, frames[::-1], labels=["start", "left 1.5"], every=2)
    assert len(fig.axes) == 2 * 3


def test_the_unroll_starts_at_one_step_and_grows_to_its_maximum():
    steps = 1000
    ks = [TR.unroll_at(s, steps, 8, one_step=0.5) for s in range(steps)]
    assert set(ks[:500]) == {1}
    assert all(a <= b for a, b in zip(ks, ks[1:]))  # it never shrinks
    assert ks[749] in (7, 8) and set(ks[750:]) == {8}
    assert {TR.unroll_at(s, 10, 1) for s in range(10)} == {1}


def test_the_shipped_world_model_loads_verified_and_beats_holding_still():
    import wmlib
    from wmlib.checkpoints import read_manifest
    from wmlib.registry import checkpoint_dir, get

    model = wmlib.load("toy-world-model")
    manifest = read_manifest(checkpoint_dir(get("toy-world-model")))
    assert sum(f["bytes"] for f in manifest["files"].values()) <= 20 * 2**20
    episodes, frames = V.held_out_episodes(20, seed=5)
    place = V.position_error(V.dream(model, episodes, frames), frames)
    assert place["model"][0] < place["last frame held"][0]
    assert place["model"][7] < place["last frame held"][7]


def test_with_dynamics_swaps_only_the_memory_network(tiny, tmp_path):
    from safetensors.torch import save_file

    other = M.build(width=16, blocks=1, seed=3)
    save_file({k: v.contiguous() for k, v in other.dynamics.state_dict().items()}, str(tmp_path / "d.safetensors"))
    swapped = V.with_dynamics(tiny, tmp_path / "d.safetensors")
    for k, v in other.dynamics.state_dict().items():
        assert torch.equal(swapped.dynamics.state_dict()[k], v)
    for k, v in tiny.autoencoder.state_dict().items():
        assert torch.equal(swapped.autoencoder.state_dict()[k], v)
    assert not torch.equal(tiny.dynamics.stem.weight, other.dynamics.stem.weight)  # the original is untouched


def test_the_shipped_one_step_control_is_verified_and_drifts_further():
    import wmlib

    model = wmlib.load("toy-world-model")
    one_step = V.one_step_model(model)
    episodes, frames = V.held_out_episodes(40, seed=6)
    drift = V.position_error(V.dream(one_step, episodes, frames), frames)["model"]
    assert drift[0] < 1.0 and drift[15] > V.position_error(V.dream(model, episodes, frames), frames)["model"][15]


def test_agrees_widens_the_benchmark_interval_to_the_live_sample():
    figure = {"mean": 1.0, "ci": [0.9, 1.1], "n": 500}
    assert V.agrees(1.2, figure, 100) and not V.agrees(1.3, figure, 100) and not V.agrees(1.2, figure, 500)
    assert V.fmt({"share": 0.5, "ci": [0.4, 0.6]}, "share", pct=True) == "50% [40%, 60%]"
