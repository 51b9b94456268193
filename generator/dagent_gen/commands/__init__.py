"""Command-line commands beyond build/check/diff/eject, one module each."""
