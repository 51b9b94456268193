"""Property-based tests (hypothesis): hostile definitions, random merges."""
