"""Pulsebridge benchmarks: ``make bench`` (``python -m bench``) starts the real server on a
throw-away PostgreSQL database and prints absolute figures next to ratios measured in the same
run on the same machine. See ``bench/README.md``."""
