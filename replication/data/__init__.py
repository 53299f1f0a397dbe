"""Video datasets: readers, label files, fetching and checksum verification."""
