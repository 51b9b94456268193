"""Pure building blocks for regeneration that keeps hand edits (strings in, values out).

``three_way`` merges the last generated text, the file on disk and the new generated text;
``structure`` adds Python/Temporal awareness (syntax check, scope names, command sequences).
"""

from dagent_gen.merge.structure import (
    SequenceChange,
    TemporalCall,
    command_sequence_changes,
    enclosing_scopes,
    parse_error,
    temporal_calls,
)
from dagent_gen.merge.three_way import (
    Conflict,
    MergeResult,
    has_conflict_markers,
    merge3,
    resolve,
)

__all__ = [
    "Conflict",
    "MergeResult",
    "SequenceChange",
    "TemporalCall",
    "command_sequence_changes",
    "enclosing_scopes",
    "has_conflict_markers",
    "merge3",
    "parse_error",
    "resolve",
    "temporal_calls",
]
