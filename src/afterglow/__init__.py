"""Afterglow: ketamine-for-PTSD clinic platform."""

__version__ = "0.1.0"
