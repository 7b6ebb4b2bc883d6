"""CLIP (notebook 02): images and captions of the toy world brought into one space by contrastive learning.

- ``contrastive``: the toy CLIP (its encoders, the symmetric InfoNCE loss, training, zero-shot and
  retrieval), and the same measurements on a real CLIP;
- ``lit``: locked-image tuning (Zhai et al. 2022) on frozen features of pretrained encoders;
- ``figures``: embeddings on the unit sphere.
"""
