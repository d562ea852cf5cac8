"""Where requirements and deployment targets come from: every file ddguard reads, as data."""
