import socket


class Connection:
    def __init__(self, host):
        self.host = host


def send(
    data: str,
    sock: socket.socket,
    connection: Connection,
) -> str:
    """Send data."""
    return data
