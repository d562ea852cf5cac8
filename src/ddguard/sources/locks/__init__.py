"""Lock files: uv.lock, poetry.lock, pdm.lock, pylock.toml (PEP 751), Pipfile.lock."""
