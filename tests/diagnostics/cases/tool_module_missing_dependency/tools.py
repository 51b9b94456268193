import not_installed_dependency


def search(query: str) -> str:
    return not_installed_dependency.search(query)
