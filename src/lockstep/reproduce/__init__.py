"""Reproducing a past commit: re-run its pipeline in a worktree with its locked environment and
verify every output hash against its dvc.lock."""
