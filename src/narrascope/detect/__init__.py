"""Detectors that read the shared encoder pass: persuasion techniques (``techniques``), ..."""
