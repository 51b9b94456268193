LIMIT = 10


class Search:
    def __call__(self, query: str) -> str:
        return query
