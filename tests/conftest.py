"""Shared test settings: hypothesis is derandomized so tests never fail by chance."""

from hypothesis import settings

settings.register_profile("apogee", derandomize=True, deadline=None, max_examples=200)
settings.load_profile("apogee")
