"""Class-agnostic masklets: storage (SA-V-style RLE, one file per video) and their sources."""
