"""Thin adapters for the tools ddguard guards: build hooks, tox, pytest, PDM, Poetry, pip."""
