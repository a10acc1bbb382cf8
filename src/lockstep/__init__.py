"""lockstep: a Git-native, reproducible ML workflow built on DVC, Hydra and click."""

__version__ = "0.1.0"
