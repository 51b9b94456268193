"""Tools that fail when imported."""

SETTINGS = {"region": "eu"}
ENDPOINT = SETTINGS["endpoint"]


def search(query: str) -> str:
    return query
