"""Frame2Frame (Rotstein et al., CVPR 2025): edit an image by generating a video that starts from it,
then pick the frame where the edit is done.

- ``edits``: the toy edits (drop, move a cube, send a ball or cylinder ("roll", a slide here), bring
  two objects together), their captions, and the step-1 temporal caption, offline for the toy world
  and the paper's VLM instruction for a real VLM;
- ``pipeline``: the toy image-to-video model (step 2), and SDEdit with it;
- ``probe``: reads the objects back out of a frame, so that an edit's success can be measured;
- ``scorers``: how a frame is scored against a caption and against the source (toy probe, CLIP);
- ``select``: the frame-selection strategies (step 3) and ``frame2frame``, the three steps in one call;
- ``real``: CogVideoX-5b-I2V with the paper's pre-processing;
- ``benchmark``: Frame2Frame against SDEdit and the temporal-caption ablation, graded by the simulator;
- ``figures``: the notebook's pictures (candidates, edits side by side, the benchmark, the manifold);
- ``train``: ``python -m wmlib.frame2frame.train`` trains and ships the toy image-to-video model.
"""
