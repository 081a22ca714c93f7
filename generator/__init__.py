"""Vestka: a static-site generator for the news archives of NGOs."""

__version__ = "0.1.0"
