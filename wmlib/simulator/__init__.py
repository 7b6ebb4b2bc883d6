"""World simulators (notebook 06): a learned model of the toy world that an agent can act in.

- ``episodes``: the acting world: one object in the video camera's view, pushed by random actions;
- ``model``: the action-conditioned world model (a frame autoencoder and a latent dynamics network);
- ``train``: ``python -m wmlib.simulator.train`` trains and ships it;
- ``evaluate``: how good the simulation is (compounding error, physics, object permanence);
- ``planning``: agents that plan in a world model (random shooting, the cross-entropy method);
- ``play``: a widget to act in the learned simulator next to the true one;
- ``figures``: the notebook's pictures (training, compounding error, imagined gravity, planning).
"""
