"""Shared pytest configuration: the dagent-gen test kit's fixtures are available everywhere."""

pytest_plugins = ["dagent_gen.testing.pytest_plugin"]
