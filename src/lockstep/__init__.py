"""lockstep: a Git-native, reproducible ML workflow built on DVC, Hydra and click.

The ground floor (cli, errors, io, paths, config, options, compose, gitrepo, metric_rules,
bootstrap, encoding, swap, ...) holds what every part shares; features and models are what a
saved model is made of (their import paths are frozen: saved models name them) and modelfile
saves and loads it; contract/ is the data contract; stages/ the pipeline; review/, registry/,
reproduce/, serve/ and monitor/ the capabilities built on it.
"""

__version__ = "0.1.0"
