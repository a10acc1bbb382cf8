"""The pipeline: one module per dvc.yaml stage (ingest ... model_card), each with a click
``command`` named after the stage. Stages import downward only, and nothing outside this package
imports a stage; dvc.yaml lists as each stage's deps exactly the modules it imports."""
