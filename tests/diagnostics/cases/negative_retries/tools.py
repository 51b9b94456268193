def search(query: str) -> str:
    """Search for something."""
    return query


def fetch(url: str) -> str:
    """Fetch a page."""
    return url
