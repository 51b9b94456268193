"""Where each key of a definition was written, so every diagnostic can name ``file:line:col``."""

from __future__ import annotations

from dataclasses import dataclass, field

from dagent_gen.diagnostics import Location

KeyPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Locations by key path (``("agents", "researcher", "tools", 1)``), most specific first."""

    file: str
    locations: dict[KeyPath, Location] = field(default_factory=dict)

    def add(self, path: KeyPath, location: Location) -> None:
        self.locations.setdefault(path, location)

    def locate(self, path: KeyPath) -> Location:
        """The location of ``path``, or of its nearest recorded parent, or the file itself."""
        for end in range(len(path), 0, -1):
            found = self.locations.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1)
