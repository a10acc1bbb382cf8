"""The model registry: GTO-format Git tags read into versions and stages, the champion/challenger
promotion policy, promote/rollback, and `lockstep model get`."""
