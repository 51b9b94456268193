def grep(pattern: str) -> str:
    """Search."""
    return pattern
