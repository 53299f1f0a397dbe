"""SAM2 masklets: the source, loading a model, and obtaining its checkpoint."""
