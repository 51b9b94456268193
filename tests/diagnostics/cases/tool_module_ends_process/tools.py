import os

print("connecting to the database...")
os._exit(3)


def ping(text: str) -> str:
    """Echo the text."""
    return text
