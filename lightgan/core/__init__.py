"""The core every variant and trick builds on: the module and its step, players, hooks, losses and regularizers."""
