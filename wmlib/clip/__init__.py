"""CLIP (notebook 02): images and captions of the toy world brought into one space by contrastive learning.

- ``contrastive``: the toy CLIP (its encoders, the symmetric InfoNCE loss, training, zero-shot and
  retrieval), and the same measurements on a real CLIP;
- ``lit``: locked-image tuning (Zhai et al. 2022) on frozen features of pretrained encoders;
- ``nextstate``: how well a representation of two frames predicts the next state (the link to a world model),
  shared with notebook 03;
- ``figures``: embeddings on the unit sphere, and the next-state scores.
"""
