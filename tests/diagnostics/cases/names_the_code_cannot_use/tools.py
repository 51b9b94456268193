def search(query: str) -> str:
    """Search for something."""
    return query
