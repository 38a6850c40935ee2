"""Pylo views."""
