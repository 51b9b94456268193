def search(query, limit: int = 3) -> str:
    """Search."""
    return query
