"""Plato's cave (notebook 01): what each projection of the toy world keeps of its reality Z.

- ``probe``: small probes that read Z's factors back out of a projection (camera, shadow, depth, LiDAR,
  caption), each beside its chance level;
- ``figures``: the cave drawn in 3-D, one scene through every projection, the fire's sliders.
"""
