"""The edit benchmark: its measures, and a claim that fails where it should."""

import numpy as np

from wmlib.frame2frame import benchmark as B


def rows(e_success, e_dist, other_dist, n=20):
    out = []
    for i in range(n):
        out += [{"edit": i, "kind": "drop", "method": B.METHODS[0], "frame_index": 3, "success": e_success,
                 "distance": e_dist, "distance_outside": 0.0, "bystander_kept": np.nan},
                {"edit": i, "kind": "drop", "method": B.METHODS[1], "frame_index": 15, "success": True,
                 "distance": other_dist, "distance_outside": 0.0, "bystander_kept": 1.0},
                {"edit": i, "kind": "drop", "method": B.METHODS[2], "frame_index": 15, "success": True,
                 "distance": other_dist, "distance_outside": 0.0, "bystander_kept": 0.0}]
    return out


def test_the_claim_needs_success_and_preservation():
    assert B.claim_holds(rows(True, 0.01, 0.05))["holds"]
    assert not B.claim_holds(rows(True, 0.06, 0.05))["holds"]     # keeps less
    assert not B.claim_holds(rows(False, 0.0, 0.05))["holds"]     # keeps the source by never editing
    summary = B.summarise(rows(True, 0.01, 0.05))
    assert summary[B.METHODS[1]]["bystander_kept"] == 1.0 and summary[B.METHODS[0]]["bystander_kept"] is None
    assert "earliest satisfying" in B.table(summary)


def test_the_swept_region_covers_what_the_true_edit_moves():
    from wmlib.frame2frame.edits import sample_edits
    from wmlib.video.clips import render_clips

    clips = sample_edits(4, seed=2)
    true = render_clips(clips)
    for v in true:
        region = B.swept_region(v)
        assert region.any() and not region.all()
        assert np.abs(v - v[:1]).sum(-1)[:, ~region].max() <= 0.05


def test_an_untrained_model_does_not_pass():
    from test_frame2frame_pipeline import tiny_pipeline

    class Sixteen:
        # the benchmark's clips have 16 frames: wrap the tiny 4-frame model to return 16
        def __init__(self, pipe):
            self.pipe = pipe

        def __call__(self, image, prompts, seed=0, **kw):
            return np.repeat(self.pipe(image, prompts, seed=seed, num_inference_steps=2), 4, axis=1)

    clips = B.sample_edits(4, seed=B.SEED)  # the benchmark's first 4 edits: the tiny model must know their words
    prompts = [B.temporal_caption(clips.scene, i, clips.targets[i]) for i in range(4)]
    result = B.run(Sixteen(tiny_pipeline(prompts=prompts)), n=4, progress=False)
    assert not result["claim"]["holds"]
    assert result["summary"]["true video, earliest satisfying"]["success"] == 1.0
