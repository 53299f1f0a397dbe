"""The paper's two uses of SAM2 masklets: refining a network's labels, and standalone."""
