"""`lockstep serve`: the HTTP app, where its model comes from (folder or registry stage, canary,
reload), the fast scoring path, the prediction log and the Prometheus metrics."""
