"""A plugin implementing a hook that does not exist."""

from nichevid.plugins import hookimpl


@hookimpl
def register_rotues(settings: object) -> list[object]:
    return []
