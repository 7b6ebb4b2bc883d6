"""The Platonic Representation Hypothesis (notebook 03; Huh et al. 2024): do models trained apart come to
measure the world alike?

- ``alignment``: the kernel-alignment metrics (mutual k-NN and the paper's others), on features as arrays;
- ``families``: families of toy image and text models trained on the toy world, and how aligned they are
  with each other and with the kernel of Z;
- ``colour``: the paper's colour experiment (co-occurrence statistics of pixels and of words, laid out
  beside CIELAB);
- ``layers``: layer-wise features of real pretrained models (DINOv2, Pythia) and their best-aligned layers;
- ``image_weights``: the family's trained image encoders kept as weights, so that they can see new frames;
- ``figures``: alignment with Z against how well a model's features predict the next state.
"""
