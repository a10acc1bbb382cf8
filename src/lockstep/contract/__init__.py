"""The data contract: the dataset's config, the pandera schema built from it, record checks for
served batches, and pseudonymization of identifying columns."""
