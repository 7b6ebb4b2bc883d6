"""The toy Platonic-representation family: Z's canonical layout, training, features and the shipped family."""

import shutil

import numpy as np
import pytest

from wmlib.prh import families
from wmlib.world import make_scene, sample_scenes

OBJECTS = [
    dict(shape="cube", colour="red", size="large", position=(-1.0, 1.0)),
    dict(shape="sphere", colour="blue", size="small", position=(0.6, 2.0)),
    dict(shape="cylinder", colour="green", size="small", position=(0.0, 1.5)),
]


def test_z_features_give_each_object_a_slot_left_to_right():
    scenes = sample_scenes(200, seed=0)
    z = families.z_features(scenes)
    assert z.shape == (200, 3 * 16) and z.dtype == np.float32
    slots = z.reshape(200, 3, 16)
    present = np.arange(3)[None, :] < scenes.n_objects[:, None]  # objects fill the first slots
    for cols in (slice(0, 3), slice(3, 11), slice(11, 13)):  # shape, colour and size are one-hot
        assert np.array_equal(slots[..., cols].sum(-1), present.astype(np.float32))
    assert not slots[~present].any()  # empty slots are zeros
    x = slots[..., 13]
    assert ((x[:, 1:] >= x[:, :-1]) | ~present[:, 1:]).all()  # sorted by x
    assert abs(slots[..., 13:][present].mean()) < 0.2 and 0.7 < slots[..., 13:][present].std() < 1.3


def test_z_features_do_not_depend_on_the_order_objects_are_listed_in():
    z = families.z_features(make_scene(OBJECTS))
    assert np.array_equal(z, families.z_features(make_scene(OBJECTS[::-1])))
    assert np.array_equal(z, families.z_features(make_scene([OBJECTS[1], OBJECTS[0], OBJECTS[2]])))
    changed = [dict(OBJECTS[0], colour="pink"), *OBJECTS[1:]]
    assert not np.array_equal(z, families.z_features(make_scene(changed)))


@pytest.fixture(scope="module")
def small_images():
    return families.image_data(1000, seed=11), families.image_data(300, seed=12)


def test_image_training_lowers_the_held_out_loss_and_raises_capability(small_images):
    train, held_out = small_images
    model, history, saved = families.train_image_encoder("classifier", 8, 150, train, snapshots=(0, 150))
    assert [h["step"] for h in history][-1] == 150 and history[-1]["seconds"] > 0
    trained = families.image_loss(model, held_out)

    def capability(state):
        model.load_state_dict(state)
        layers = families.image_features(model, held_out.images)
        return families.best_probe(
            [x[:200] for x in layers], held_out.scenes[:200], [x[200:] for x in layers], held_out.scenes[200:]
        )

    after = capability(saved[150])
    before = capability(saved[0])
    assert trained < families.image_loss(model, held_out) - 0.3  # the model now holds the step-0 weights
    assert after > before + 0.02


@pytest.mark.parametrize("objective", ["autoencoder", "contrastive"])
def test_the_other_image_objectives_learn(small_images, objective):
    train, held_out = small_images
    model, _, saved = families.train_image_encoder(objective, 8, 40, train, snapshots=(0,))
    trained = families.image_loss(model, held_out)
    model.load_state_dict(saved[0])
    assert trained < 0.8 * families.image_loss(model, held_out)


@pytest.mark.parametrize("objective", families.TEXT_OBJECTIVES)
def test_text_training_lowers_the_held_out_loss(objective):
    data, held_out = families.text_data(300, seed=21), families.text_data(40, seed=22)
    model, _, saved = families.train_text_model(objective, 16, 60, data, snapshots=(0,))
    trained = families.text_loss(model, held_out)
    model.load_state_dict(saved[0])
    assert trained < 0.9 * families.text_loss(model, held_out)


def test_every_objective_starts_from_the_same_encoder():
    a, b = families.build_image_encoder("autoencoder", 8), families.build_image_encoder("contrastive", 8)
    assert all(np.array_equal(x, y) for x, y in zip(a.blocks.state_dict().values(), b.blocks.state_dict().values()))
    masked, contrastive = families.build_text_model("masked", 16), families.build_text_model("contrastive", 16)
    pairs = zip(masked.bert.state_dict().values(), contrastive.bert.state_dict().values())
    assert all(np.array_equal(x, y) for x, y in pairs)


def test_features_have_one_array_per_block_or_layer():
    model = families.build_image_encoder("classifier", 8)
    layers = families.image_features(model, families.images(sample_scenes(5, seed=0)))
    assert [x.shape for x in layers] == [(5, 32), (5, 64), (5, 128)]  # 2 x 2 grid of 8, 16, 32 channels
    for objective in families.TEXT_OBJECTIVES:
        text = families.build_text_model(objective, 32)
        layers = families.text_features(text, ["we see a small red ball.", "two objects: a large blue box and a tube."])
        assert [x.shape for x in layers] == [(2, 32)] * (1 + families.TEXT_LAYERS)  # token embeddings too


def test_bad_choices_are_refused():
    with pytest.raises(ValueError, match="allowed: autoencoder, classifier, contrastive"):
        families.build_image_encoder("gan", 8)
    with pytest.raises(ValueError, match="multiple of 16"):
        families.build_text_model("masked", 20)
    with pytest.raises(ValueError, match="needs a language model"):
        families.bits_per_byte(families.build_text_model("contrastive", 16), ["a red ball."])
    with pytest.raises(ValueError, match="between 0 and steps=10"):
        families.train_text_model("next-token", 16, 10, snapshots=(20,))


@pytest.fixture(scope="module")
def shipped():
    return families.load_features()


def test_the_shipped_family_has_every_model_promised(shipped):
    image, text = shipped.names("image"), shipped.names("text")
    trained = len(families.IMAGE_STEPS) - 1
    assert len(image) == len(families.IMAGE_WIDTHS) * (1 + len(families.IMAGE_OBJECTIVES) * trained)
    assert len(text) == len(families.TEXT_WIDTHS) * (2 + len(families.TEXT_OBJECTIVES) * (len(families.TEXT_STEPS) - 1))
    n = families.SPLITS["eval"][0]
    for m in shipped.models:
        layers = shipped.layers[m["name"]]
        assert len(layers) == (3 if m["modality"] == "image" else 1 + families.TEXT_LAYERS)
        assert all(x.shape[0] == n and x.shape[1] <= families.FEATURE_DIM for x in layers)
        assert np.isfinite(np.stack([x.sum(1) for x in layers])).all()
        assert 0 <= m["capability"] <= 1 and m["parameters"] > 0 and m["train_seconds"] is not None
        assert (m["lm_score"] is None) == (m["modality"] == "image" or m["objective"] == "contrastive")
    scenes, _, _ = families.eval_set()
    assert np.array_equal(shipped.z, families.z_features(scenes))


def test_the_shipped_untrained_models_are_what_the_code_builds_today(shipped):
    """A change to the renderer, the captions, the models or the seeds would make the shipped family stale."""
    _, images, texts = families.eval_set()
    fresh = families._reduce(
        families.image_features(families.build_image_encoder("classifier", 8), images)[2], families.FEATURE_DIM
    )[:100]
    stored = shipped.layers["image/untrained/w8/0"][2][:100]
    assert np.allclose(fresh @ fresh.T, stored @ stored.T, rtol=1e-2, atol=1e-2 * np.abs(fresh @ fresh.T).max())
    fresh = families.text_features(families.build_text_model("next-token", 16), texts)[0]
    assert np.allclose(fresh, shipped.layers["text/untrained-gpt2/w16/0"][0], atol=1e-2, rtol=1e-2)


def test_the_loader_refuses_a_tampered_file(shipped, tmp_path):
    from wmlib.checkpoints import ChecksumError

    shutil.copytree(families.features_path(), tmp_path / "prh-toy")
    assert len(families.load_features(tmp_path / "prh-toy").models) == len(shipped.models)
    path = tmp_path / "prh-toy" / "features.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="does not match its manifest"):
        families.load_features(tmp_path / "prh-toy")


def test_alignment_tables_agree_with_wmlib_alignment(shipped):
    from wmlib.prh.alignment import best_layer_pair, mutual_knn, prepare_layers

    image, text = shipped.names("image")[-1], shipped.names("text")[-1]
    fast = families.alignment_matrix(shipped, [image], [text])[0, 0]
    assert fast == pytest.approx(best_layer_pair(shipped.layers[image], shipped.layers[text])[0])
    to_z = families.alignment_to_z(shipped, [image])[0]
    prepared = prepare_layers(shipped.layers[image])  # one clipping threshold for all of a model's layers
    assert to_z == pytest.approx(max(mutual_knn(x, shipped.z) for x in prepared))


def test_weighted_z_scales_categories_and_positions_apart():
    z = families.z_features(sample_scenes(50, seed=0))
    assert np.array_equal(families.weighted_z(z), z)
    w = families.weighted_z(z, categories=2.0, positions=0.0).reshape(50, 3, 16)
    assert np.array_equal(w[..., : families.N_CATEGORICAL], 2 * z.reshape(50, 3, 16)[..., : families.N_CATEGORICAL])
    assert not w[..., families.N_CATEGORICAL :].any()
    with pytest.raises(ValueError, match="not both 0"):
        families.weighted_z(z, 0, 0)


def test_same_features_capability_reads_z_from_z_and_little_from_noise():
    z = families.z_features(families.eval_scenes())
    noise = np.random.default_rng(0).normal(size=(len(z), 24)).astype(np.float32)
    family = families.Family([{"name": "z"}, {"name": "noise"}], {"z": [z], "noise": [noise]}, z)
    truth, chance = families.same_features_capability(family, ["z", "noise"])
    assert truth > 0.95 and chance < 0.45


@pytest.fixture(scope="module")
def replicas():
    return families.load_replicas()


def test_the_replicas_are_independent_final_and_untrained_models(replicas):
    seeds = {m["seed"] for m in replicas.models}
    assert seeds == set(families.REPLICA_SEEDS)
    for modality, objectives, widths, untrained in (
        ("image", families.IMAGE_OBJECTIVES, families.IMAGE_WIDTHS, 1),
        ("text", families.TEXT_OBJECTIVES, families.TEXT_WIDTHS, 2),
    ):
        meta = [m for m in replicas.models if m["modality"] == modality]
        assert len(meta) == len(seeds) * len(widths) * (len(objectives) + untrained)
        assert {m["steps"] for m in meta} == {
            0,
            max(families.IMAGE_STEPS if modality == "image" else families.TEXT_STEPS),
        }
    groups = families.replica_groups(replicas)
    assert len(groups["image: classifier"]) == len(seeds) * len(families.IMAGE_WIDTHS)
    assert not set(groups["image: without classifier"]) & set(groups["image: classifier"])


def test_rho_table_and_training_gain_on_made_up_measures(replicas):
    rng = np.random.default_rng(0)
    measures = {
        m["name"]: {
            "capability": rng.random(),
            "cross-modal": rng.random(),
            "objective": m["objective"],
            "competence": None if m["objective"] == "untrained" else rng.random(),
        }
        for m in replicas.models
    }
    groups = families.replica_groups(replicas)
    table = families.rho_table(measures, groups, "competence", "cross-modal", n_resamples=500)
    assert "image: untrained" not in table and "image: autoencoder" in table  # no competence untrained
    n, rho, low, high = table["image: autoencoder"]
    assert n == len(families.REPLICA_SEEDS) * len(families.IMAGE_WIDTHS) and low <= rho <= high
    for name in measures:
        measures[name]["twice"] = 2 * measures[name]["capability"]
    assert families.rho_table(measures, groups, "capability", "twice", n_resamples=500)["text: masked"][1:] == (1, 1, 1)
    gain = families.training_gain(replicas, measures, "capability", n_resamples=500)
    assert set(gain) == {f"image: {o}" for o in families.IMAGE_OBJECTIVES} | {
        f"text: {o}" for o in families.TEXT_OBJECTIVES
    }
    printed = families.format_table({"gain": gain, "rho": table}, "title")
    assert printed.count("\n") == len(set(gain) | set(table)) + 1 and "image: autoencoder" in printed
