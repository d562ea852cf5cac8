"""Deployment targets declared in a project's files (Dockerfiles, CI, serverless, ...)."""
