"""Diffusion in a few functions (wmlib.video.diffusion): each hand-written formula agrees with the
diffusers scheduler it explains, the DDIM trace is the pipeline's own sampling, and the guidance sweep
and the figures come out as the notebook uses them."""

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from toy_pipelines import tiny_video_pipeline  # noqa: E402

from wmlib.video import diffusion as D  # noqa: E402
from wmlib.video.pipeline import scheduler  # noqa: E402

PROMPTS = ["the small red ball is thrown to the right and bounces once.", "the large blue cube goes straight up."]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def tiny_pipeline(seed=0, frames=4):
    return tiny_video_pipeline(PROMPTS, seed, frames)


def latents(seed=0, shape=(2, 4, 4, 8, 8)):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("t", [0, 1, 250, 500, 998, 999])
def test_v_target_is_the_schedulers_velocity_and_recover_inverts_it(t):
    ddpm = scheduler("ddpm")
    x0, eps = latents(1), latents(2)
    ab = D.alpha_bar(ddpm, t)
    v = D.v_target(x0, eps, ab)
    torch.testing.assert_close(v, ddpm.get_velocity(x0, eps, torch.tensor([t])))
    x_t = ddpm.add_noise(x0, eps, torch.tensor([t]))
    x0_back, eps_back = D.recover(x_t, v, ab)
    torch.testing.assert_close(x0_back, x0, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(eps_back, eps, atol=1e-4, rtol=1e-4)


def test_alpha_bar_refuses_a_timestep_out_of_range():
    ddpm = scheduler("ddpm")
    assert D.alpha_bar(ddpm, torch.tensor(10)) == D.alpha_bar(ddpm, 10)
    for bad in (-1, 1000, 2.5, "3", True):
        with pytest.raises(ValueError, match="0..999"):
            D.alpha_bar(ddpm, bad)


@pytest.mark.parametrize("steps", [1, 4, 25])
def test_ddim_step_by_hand_is_the_schedulers_step(steps):
    ddim = scheduler("ddim")
    ddim.set_timesteps(steps)
    x, v = latents(3), latents(4)
    for t in ddim.timesteps:  # includes the last step, whose previous alpha-bar is final_alpha_cumprod
        ab_t, ab_prev = D.ddim_alphas(ddim, t)
        expected = ddim.step(v, t, x).prev_sample
        torch.testing.assert_close(D.ddim_step(x, v, ab_t, ab_prev), expected, atol=1e-5, rtol=1e-5)
    assert D.ddim_alphas(ddim, ddim.timesteps[-1])[1] == pytest.approx(float(ddim.final_alpha_cumprod))


def test_ddim_alphas_needs_set_timesteps():
    with pytest.raises(ValueError, match="set_timesteps"):
        D.ddim_alphas(scheduler("ddim"), 500)


def test_forward_noise_uses_one_noise_for_every_timestep():
    ddpm = scheduler("ddpm")
    x0 = latents(5)
    ts = [0, 100, 500, 999]
    xt = D.forward_noise(x0, ts, ddpm, seed=3)
    assert xt.shape == (4, *x0.shape)
    torch.testing.assert_close(xt[0], x0, atol=0.05, rtol=0)  # t = 0 is almost clean: noise scaled by 0.006
    noises = [(xt[i] - D.alpha_bar(ddpm, t) ** 0.5 * x0) / (1 - D.alpha_bar(ddpm, t)) ** 0.5 for i, t in enumerate(ts)]
    for n in noises[2:]:
        torch.testing.assert_close(n, noises[1], atol=1e-4, rtol=1e-4)
    assert torch.equal(xt, D.forward_noise(x0, ts, ddpm, seed=3))
    with pytest.raises(ValueError, match="at least one"):
        D.forward_noise(x0, [], ddpm)


def test_x0_error_gain_explodes_for_eps_and_stays_below_one_for_v():
    gain = D.x0_error_gain(scheduler("ddpm"))
    assert len(gain["timesteps"]) == 1000
    assert np.all(gain["v"] <= 1) and np.all(np.diff(gain["eps"]) > 0)
    assert gain["eps"][-1] > 1e3 and gain["eps"][0] < 0.01


def test_ddim_trace_is_the_pipelines_sampling_and_keeps_what_the_scheduler_predicted():
    pipe = tiny_pipeline()
    _, expected = pipe(PROMPTS, num_inference_steps=5, guidance_scale=3.0, seed=7, return_latents=True)
    trace = D.ddim_trace(pipe, PROMPTS, keep=[0, 2, -1], num_inference_steps=5, guidance_scale=3.0, seed=7)
    torch.testing.assert_close(trace.final, expected)
    assert trace.steps == [0, 2, 4] and len(trace.timesteps) == 5
    assert trace.x_t.shape == trace.x0_hat.shape == (3, 2, 4, 4, 8, 8)
    # x̂0 is what recover() gives from the kept sample and the guided v at that step
    ddim = scheduler("ddim")
    ddim.set_timesteps(5)
    tokens = pipe.tokens(PROMPTS)
    x, t = trace.x_t[1], torch.full((2 * len(PROMPTS),), int(ddim.timesteps[2]))
    with torch.no_grad():  # classifier-free guidance by hand: the caption and the empty caption, then mixed
        cond, uncond = pipe.transformer(torch.cat([x, x]), torch.cat([tokens, torch.zeros_like(tokens)]), t).chunk(2)
    v = uncond + 3.0 * (cond - uncond)
    x0, _ = D.recover(trace.x_t[1], v, D.alpha_bar(ddim, ddim.timesteps[2]))
    torch.testing.assert_close(trace.x0_hat[1], x0, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("keep", [[], [5], [-6], [1.5]])
def test_ddim_trace_refuses_steps_it_does_not_take(keep):
    with pytest.raises(ValueError, match="keep"):
        D.ddim_trace(tiny_pipeline(), PROMPTS[0], keep=keep, num_inference_steps=5)


def test_encode_is_the_inverse_of_decode_in_the_denoisers_scale():
    pipe = tiny_pipeline()
    videos = np.random.default_rng(0).random((2, 4, 32, 32, 3), dtype=np.float32)
    z = D.encode(pipe, videos)
    assert z.shape == (2, 4, 4, 8, 8)
    with torch.no_grad():
        direct = pipe.autoencoder.encode(torch.from_numpy(videos[0, :1]).permute(0, 3, 1, 2)) * pipe.latent_scale
    torch.testing.assert_close(z[0, :1], direct)
    with pytest.raises(ValueError, match="B, T, H, W, 3"):
        D.encode(pipe, videos[0])


def test_guidance_sweep_measures_every_scale_on_the_same_prompts():
    from wmlib.video.physics import load_judge

    pipe = tiny_pipeline(frames=16)
    attributes = {"colour": np.array([0, 3]), "shape": np.array([0, 1]), "size": np.array([0, 1])}
    sweep = D.guidance_sweep(pipe, PROMPTS, attributes, load_judge(), scales=(1, 4), num_inference_steps=2)
    assert sweep.scales == [1.0, 4.0] and sweep.prompts == PROMPTS
    for s in sweep.scales:
        assert sweep.videos[s].shape == (2, 16, 32, 32, 3)
        assert sweep.results[s]["prompt_ok"].shape == (2,)
    assert all(0 <= x <= 1 for x in sweep.shares("prompt_ok") + sweep.shares("gravity_ok"))
    fig = D.plot_guidance(sweep)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="3 values for 2 prompts"):
        D.guidance_sweep(pipe, PROMPTS, {"colour": np.zeros(3)}, None)
    with pytest.raises(ValueError, match=">= 1"):
        D.guidance_sweep(pipe, PROMPTS, attributes, None, scales=(0.5,))


def test_figures_show_every_frame_asked_for():
    pipe = tiny_pipeline()
    ddpm = scheduler("ddpm")
    x = D.forward_noise(latents(0, (1, 4, 4, 8, 8)), [0, 500, 999], ddpm)
    frames = np.stack([pipe.decode(xi)[0] for xi in x])
    fig = D.plot_noising(frames, [0, 500, 999], [D.alpha_bar(ddpm, t) for t in (0, 500, 999)], (0, 3))
    assert len(fig.axes) == 3 * 2
    with pytest.raises(ValueError, match="frame_indices"):
        D.plot_noising(frames, [0, 500, 999], [1, 0.5, 0], (0, 4))
    trace = D.ddim_trace(pipe, PROMPTS[0], keep=[0, -1], num_inference_steps=3)
    fig = D.plot_trace(trace, pipe, frame_indices=(0, 3))
    assert len(fig.axes) == 2 * 4 + 2  # two kept steps (x_t and x̂0), then the final video's frames


def test_compare_shares_counts_a_change_only_beyond_twice_its_standard_error():
    n = 32
    same = np.zeros(n, bool)
    assert D.compare_shares(same, same) == (0.0, 0.0, "about the same")
    one_more = same.copy()
    one_more[0] = True
    assert D.compare_shares(same, one_more)[2] == "about the same"  # 1 of 32: within the noise
    many = same.copy()
    many[:12] = True
    diff, se, verdict = D.compare_shares(same, many)
    assert diff == pytest.approx(12 / 32) and verdict == "higher" and se > 0
    assert D.compare_shares(many, same)[2] == "lower"
    assert D.compare_shares(np.zeros(4, bool), np.ones(4, bool))[2] == "higher"  # every prompt changed
    with pytest.raises(ValueError, match="equally long"):
        D.compare_shares(same, same[:-1])
