"""Model performance without labels: calibration, CBPE, direct loss estimation, chunking."""
