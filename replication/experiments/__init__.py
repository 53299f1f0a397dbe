"""Runs over the whole pipeline, above the approaches and the report: the training-noise seeds
and the CI regression profile."""
