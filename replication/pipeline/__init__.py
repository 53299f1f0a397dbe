"""Layer 4, the pipeline made from params: its settings, the method specs, scoring every method
of a benchmark, and the code each stage of dvc.yaml depends on."""
