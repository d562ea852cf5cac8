"""Deployment targets declared in a project's files (Dockerfiles, CI, serverless, ...)."""

from __future__ import annotations

from ddguard.sources.targets.convert import to_target
from ddguard.sources.targets.walk import discover, read_file

__all__ = ["discover", "read_file", "to_target"]
