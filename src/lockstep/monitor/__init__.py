"""Monitoring a model after release: data and score drift of a batch against a reference."""
