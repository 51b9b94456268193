def count_lines(text: str) -> int:
    """Count the lines of a text.

    Args:
        text: The text.
    """
    return len(text.splitlines())
