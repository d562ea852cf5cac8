"""Writers: edits ddguard makes to a project's files (``ddguard fix``), byte for byte."""
