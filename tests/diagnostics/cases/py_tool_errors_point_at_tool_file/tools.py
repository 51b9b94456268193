def search(query, *more: str) -> str:
    """Search."""
    return query
