"""The toy CLIP: tokenizer, loss, training, and the shipped checkpoint's recorded scores."""

import numpy as np
import pytest

from wmlib import registry
from wmlib.checkpoints import verify_checkpoint
from wmlib.clip import contrastive
from wmlib.encoders import pooled


@pytest.fixture(scope="module")
def words():
    return contrastive.vocabulary()


def test_every_toy_world_word_is_one_token(words):
    tok = contrastive.tokenizer(words)
    assert len(words) > 80
    assert all(len(tok.tokenize(w)) == 1 for w in words)
    ids = tok("a small red ball rests on the ground.")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id and len(ids) == 2 + 8 + 1  # 8 words and "."


def test_the_tokenizer_is_the_same_every_time(words):
    a, b = contrastive.tokenizer(words), contrastive.tokenizer(words)
    assert a.get_vocab() == b.get_vocab()
    text = "two objects: a large cyan tube hangs in mid-air behind a small pink box."
    assert a(text)["input_ids"] == b(text)["input_ids"]


def test_fast_pixels_equal_the_processor():
    from wmlib.world import camera_image, sample_scenes

    images = (camera_image(sample_scenes(4, seed=0), size=contrastive.IMAGE_SIZE) * 255).round().astype(np.uint8)
    proc = contrastive.processor()
    slow = proc(images=list(images), return_tensors="pt")["pixel_values"]
    assert np.allclose(contrastive.pixel_values(images).numpy(), slow.numpy(), atol=1e-5)


def test_the_loss_by_hand_equals_transformers_clip_loss():
    import torch

    model, proc = contrastive.build(width=32, layers=1, image_size=64, patch=8)
    from wmlib.world import captions, sample_scenes

    scenes = sample_scenes(6, seed=1)
    tokens = proc.tokenizer(captions(scenes), padding=True, return_tensors="pt")
    pixels = contrastive.pixel_values(contrastive.photos(model, scenes))
    with torch.no_grad():
        out = model(**tokens, pixel_values=pixels, return_loss=True)
        ours = contrastive.clip_loss(
            torch.nn.functional.normalize(out.image_embeds, dim=-1),
            torch.nn.functional.normalize(out.text_embeds, dim=-1),
            model.logit_scale,
        )
    assert abs(ours.item() - out.loss.item()) < 1e-5
    assert abs(model.logit_scale.exp().item() - 1 / 0.07) < 1e-3  # CLIP's initial temperature


def test_random_embeddings_cost_about_log_n():
    import torch

    torch.manual_seed(0)
    n = 256
    x = torch.nn.functional.normalize(torch.randn(n, 64), dim=-1)
    y = torch.nn.functional.normalize(torch.randn(n, 64), dim=-1)
    loss = contrastive.clip_loss(x, y, torch.tensor(0.0)).item()  # temperature 1
    assert abs(loss - np.log(n)) < 0.05


def test_a_short_training_run_lowers_the_loss():
    model, proc = contrastive.build(width=32, layers=1, seed=0, image_size=64, patch=8)
    history = contrastive.train(
        model, proc, steps=40, batch_size=32, n_scenes=100, lr=3e-3, progress=False, log_every=10
    )
    assert history[-1]["loss"] < history[0]["loss"] - 0.3
    assert not model.training
    with pytest.raises(ValueError, match="groups of 4"):
        contrastive.train(model, proc, steps=1, batch_size=30, n_scenes=10, progress=False)


def test_text_delay_holds_the_text_tower_still_then_lets_it_learn():
    import torch

    def run(steps, text_delay):
        model, proc = contrastive.build(width=32, layers=1, seed=0, image_size=64, patch=8)
        start = {n: p.detach().clone() for n, p in model.named_parameters()}
        contrastive.train(
            model, proc, steps=steps, batch_size=8, n_scenes=20, lr=3e-3, text_delay=text_delay, progress=False
        )
        return {
            part: any(not torch.equal(p, start[n]) for n, p in model.named_parameters() if n.startswith(part))
            for part in ("vision_model.", "text_model.", "text_projection.")
        }

    assert run(steps=4, text_delay=4) == {"vision_model.": True, "text_model.": False, "text_projection.": False}
    assert all(run(steps=4, text_delay=3).values())  # the last step is past the delay
    with pytest.raises(ValueError, match="text_delay"):
        run(steps=3, text_delay=4)


def test_build_refuses_a_partial_patch():
    with pytest.raises(ValueError, match="whole number of patches"):
        contrastive.build(image_size=64, patch=12)


def test_contrast_scenes_come_in_groups_that_differ_in_one_object():
    scenes = contrastive.contrast_scenes(50, seed=3)
    assert len(scenes) == 200
    for g in range(50):
        group = scenes[4 * g : 4 * g + 4]
        base = group[0]
        changed = [
            np.flatnonzero((group.shape[j] != base.shape[0]) | (group.size[j] != base.size[0])) for j in range(1, 4)
        ]
        assert all(len(c) == 1 for c in changed) and len({int(c[0]) for c in changed}) == 1  # one object, the same one
        k = int(changed[0][0])
        assert set(group.shape[:3, k]) == {0, 1, 2}  # the object in all three shapes
        assert group.size[3, k] == 1 - group.size[0, k] and group.shape[3, k] == group.shape[0, k]
        assert (group.colour == base.colour).all() and np.allclose(group.light, base.light)


def test_class_prompts_ensemble_templates_and_synonyms():
    shapes = contrastive.class_prompts("shape")
    assert len(shapes) == 3 and "a photo of a box." in shapes[1] and "a photo of a block." in shapes[1]
    assert len(shapes[1]) == len(contrastive.PROMPTS["shape"]) * 3  # every template with cube, box and block
    assert contrastive.class_prompts("shape", ensemble=False) == [
        ["a photo of a sphere."],
        ["a photo of a cube."],
        ["a photo of a cylinder."],
    ]
    assert len(contrastive.class_prompts("colour")) == 8
    with pytest.raises(ValueError, match="unknown factor"):
        contrastive.class_prompts("weight")


def test_classify_picks_the_nearest_class_mean():
    import torch

    prompts = [torch.tensor([[1.0, 0.0], [0.8, 0.6]]), torch.tensor([[0.0, 1.0]])]
    images = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.866]])
    assert contrastive.classify(images, prompts).tolist() == [0, 1, 1]


def test_top1_counts_a_true_caption_even_if_it_is_not_the_own_one():
    sim = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.1], [0.0, 0.1, 0.7]])  # image 1 picks caption 0
    truth = np.eye(3, dtype=bool)
    assert contrastive.top1(sim, truth) == {"image_to_text": 2 / 3, "text_to_image": 1.0, "image_to_own_caption": 2 / 3}
    truth[1, 0] = True  # caption 0 is also true of scene 1
    assert contrastive.top1(sim, truth)["image_to_text"] == 1.0


def test_real_photos_and_similarity_through_the_processor():
    """The real-mode cell, on a tiny CLIP built from a config: the same processor path as ViT-B/32."""
    from wmlib import tiny

    names, images, texts = contrastive.real_photos()
    assert names[:2] == ["page", "chelsea"] and len(images) == len(texts) == 8
    assert all(im.mode == "RGB" and min(im.size) > 100 for im in images)
    model, proc = tiny.clip()
    sim = contrastive.similarity(model, proc, images, [f"This is {t}" for t in texts])
    assert sim.shape == (8, 8) and bool(((sim <= 1 + 1e-5) & (sim >= -1 - 1e-5)).all())


def test_the_shipped_checkpoint_matches_its_manifest_and_its_scores():
    import wmlib

    folder = registry.checkpoint_dir(registry.get("toy-clip"))
    manifest = verify_checkpoint(folder)  # sha256 of every file
    assert manifest["command"].startswith("python -m wmlib.clip.contrastive train")
    assert sum(f["bytes"] for f in manifest["files"].values()) < 5 * 1024**2
    model, proc = wmlib.load("toy-clip")
    scores = contrastive.evaluate(model, proc)
    assert scores == pytest.approx(manifest["scores"], abs=1e-3)  # what it scores is what it says
    # Floors well under what it scores (issue 6 asks for 0.95 on every factor; shape is not there yet).
    assert scores["zero_shot_colour"] >= 0.95 and scores["zero_shot_size"] >= 0.9
    assert scores["zero_shot_shape"] > 0.45  # chance: 1/3
    assert scores["retrieval_image_to_text"] > 0.5 and scores["retrieval_text_to_image"] > 0.5  # chance: ~0.001


def test_the_conv_stem_makes_the_same_patches_and_survives_save_and_load(tmp_path):
    import torch
    from transformers import CLIPModel

    model, proc = contrastive.build(width=32, layers=1, image_size=64, patch=8, stem=(8, 8, 16))
    assert isinstance(model, CLIPModel)
    stem = model.vision_model.embeddings.patch_embedding
    x = torch.randn(2, 3, 64, 64)
    assert stem(x).shape == (2, 32, 8, 8)  # one 32-d vector per 8x8 patch, as the patchify layer gives
    model.save_pretrained(tmp_path)
    again = contrastive.ToyCLIPModel.from_pretrained(tmp_path)
    with torch.no_grad():
        assert torch.allclose(
            pooled(model.get_image_features(pixel_values=x)),
            pooled(again.get_image_features(pixel_values=x)),
            atol=1e-6,
        )
    plain, _ = contrastive.build(width=32, layers=1, image_size=64, patch=8, stem=None)
    assert isinstance(plain.vision_model.embeddings.patch_embedding, torch.nn.Conv2d)
    with pytest.raises(ValueError, match="patch_size"):
        contrastive.build(width=32, layers=1, image_size=64, patch=8, stem=(8, 16))


def test_toy_clip_class_is_one_class():
    model, _ = contrastive.build(width=32, layers=1, image_size=64, patch=8)
    assert type(model) is contrastive.ToyCLIPModel  # isinstance checks hold across builds and loads


def test_shape_only_groups_differ_in_shape_alone():
    scenes = contrastive.contrast_scenes(30, seed=2, n_objects=1, size=False)
    assert len(scenes) == 90
    for g in range(30):
        group = scenes[3 * g : 3 * g + 3]
        assert set(group.shape[:, 0]) == {0, 1, 2}
        assert (group.colour == group.colour[0]).all() and (group.size == group.size[0]).all()
        assert np.allclose(group.position[:, 0, [0, 2]], group.position[0, 0, [0, 2]])


def test_group_loss_sees_only_the_group():
    import torch

    torch.manual_seed(0)
    logits = torch.randn(6, 6)
    loss = contrastive.group_loss(logits, 3)
    moved = logits.clone()
    moved[0, 3:] += 100  # outside image 0's group: must not count
    moved[4, :3] -= 100
    assert torch.allclose(loss, contrastive.group_loss(moved, 3))
    blocks = [logits[i : i + 3, i : i + 3] for i in (0, 3)]
    by_hand = (
        sum(
            torch.nn.functional.cross_entropy(b, torch.arange(3), reduction="sum")
            + torch.nn.functional.cross_entropy(b.T, torch.arange(3), reduction="sum")
            for b in blocks
        )
        / 12
    )
    assert torch.allclose(loss, by_hand)


def test_weight_decay_spares_gains_biases_and_the_temperature():
    model, _ = contrastive.build(width=32, layers=1, image_size=64, patch=8)
    named = dict(model.named_parameters())
    assert not contrastive.decays("logit_scale", named["logit_scale"])
    assert all(not contrastive.decays(n, p) for n, p in named.items() if n.endswith(("bias", "layer_norm1.weight")))
    assert contrastive.decays("text_projection.weight", named["text_projection.weight"])


def test_training_within_groups_needs_the_groups():
    model, proc = contrastive.build(width=32, layers=1, seed=0, image_size=64, patch=8)
    with pytest.raises(ValueError, match="within_groups"):
        contrastive.train(
            model, proc, steps=1, batch_size=6, n_scenes=12, hard_negatives=False, within_groups=True, progress=False
        )
    with pytest.raises(ValueError, match="groups of 3"):
        contrastive.train(model, proc, steps=1, batch_size=8, n_scenes=12, size_negatives=False, progress=False)
    history = contrastive.train(
        model,
        proc,
        steps=3,
        batch_size=6,
        n_scenes=12,
        n_objects=1,
        size_negatives=False,
        within_groups=True,
        progress=False,
        log_every=1,
    )
    assert history[0]["loss"] < np.log(3) + 0.5  # each pair competes with the 2 others of its group only


def test_retrieval_chance_is_the_share_of_true_captions():
    truth = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]], bool)
    assert contrastive.retrieval_chance(truth) == {
        "image_to_text": 6 / 16,
        "text_to_image": 6 / 16,
        "image_to_own_caption": 1 / 4,
    }
    hits = contrastive.top1_hits(
        np.eye(4)[[1, 1, 2, 3]], truth
    )  # every image picks a true caption; image 0 not its own
    assert hits["image_to_text"].all() and hits["image_to_own_caption"].tolist() == [False, True, True, True]


def test_the_shipped_shape_study_matches_its_manifest():
    manifest, results = contrastive.load_shape_study()
    assert manifest["command"].startswith("python -m wmlib.clip.contrastive shape-study")
    assert set(results) == set(contrastive.STUDY_ARMS)
    n = manifest["settings"]["test"]["n"]
    for run in manifest["runs"]:
        flags = results[run["arm"]][run["seed"]]
        assert all(len(flags[f]) == n for f in contrastive.FACTORS)
        assert flags["shape"].mean() == pytest.approx(run["zero_shot_shape"], abs=1e-4)
