"""The pipeline: one module per dvc.yaml stage (code, params, ingest ... model_card), each with a
click ``command`` named after the stage. Stages import downward only, and nothing outside this
package imports a stage; each stage's code dep in dvc.yaml is code/<stage>.sha256, the modules it
runs (written by the `code` stage, code.py)."""
