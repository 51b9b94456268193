"""The error of a request the scripted model server refuses."""

from __future__ import annotations


class RequestError(Exception):
    """A request the real API would reject; rendered as an OpenAI error body."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status
