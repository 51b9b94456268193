from typing import Annotated

from pydantic import Field


def ping(
    text: str,
    times: Annotated[int, Field(default=1, ge=1)],
) -> str:
    """Echo the text."""
    return text * times
