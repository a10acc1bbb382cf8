"""Hyperparameter search with Optuna, on this machine or on a Dask cluster.

``lockstep tune FAMILY`` searches the space in ``conf/tune/FAMILY.yaml`` with a seeded TPE sampler.
Each trial is scored by stratified k-fold cross-validation on the training split only (the same
folds and pipeline as the train stage), fold by fold, so a hopeless trial is pruned early. Trials
are kept in an Optuna journal file: an interrupted run resumes where it stopped, and a re-run with
the same seed, budget and one worker proposes the same trials. The result is a config, not a
model: ``conf/model/FAMILY_tuned.yaml``, plus ``reports/tuning.json`` and plot data.

Modules: ``space`` (the search-space config and its checks), ``objective`` (one CV fold of one
trial, run wherever a worker is), ``search`` (the ask-and-tell loop over local or Dask executors),
``results`` (the tuned config, the report and the plot data), ``command`` (the click command).
"""
