class Box:
    @staticmethod
    def ping(text: str) -> str:
        """Echo."""
        return text
