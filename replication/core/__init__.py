"""Layer 1, the utilities every other layer uses: errors, settings, atomic outputs and staging,
hashes and downloads, stage records and not-run markers, the device, the executor."""
