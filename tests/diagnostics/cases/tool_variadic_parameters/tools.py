def search(*queries: str, **options: int) -> str:
    """Search."""
    return ""
