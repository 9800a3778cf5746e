"""Yes-or-no choices a creator makes per video, as a box on the upload and edit forms.

A choice is kept as the presence of a row in a table with a unique ``video`` column
(:class:`VideoFlag`), and travels as an option (:mod:`nichevid.media.options`):
``<prefix>_<name>`` is ``1`` when the box is ticked, and a hidden ``<prefix>_shown``
goes with the box, so an unticked box, which browsers do not send, still says no.
Scripts may send the option alone (``1`` or ``0``) in an upload's metadata; without
either the choice stays as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from piccolo.table import Table

from nichevid.accounts.services import has_role
from nichevid.plugins import hookimpl

YES = ("1", "on", "true", "yes")
NO = ("", "0", "off", "false", "no")


class VideoFlag:
    """Which videos are marked, for a table with a unique ``video`` column."""

    def __init__(self, table: type[Table]) -> None:
        self.table = table

    async def which(self, video_ids: list[int]) -> set[int]:
        """The marked ones among ``video_ids``."""
        if not video_ids:
            return set()
        column = self.table.video  # type: ignore[attr-defined]
        rows = await self.table.select(column).where(column.is_in(video_ids))
        return {int(row["video"]) for row in rows}

    async def marked(self, video_id: int) -> bool:
        """Whether ``video_id`` is marked."""
        return await self.table.exists().where(self.table.video == video_id)  # type: ignore[attr-defined]

    async def mark(self, video_id: int, on: bool) -> None:
        """Mark ``video_id`` or clear it (both idempotent, safe when run at once)."""
        if not on:
            await self.table.delete().where(self.table.video == video_id)  # type: ignore[attr-defined]
            return
        name = self.table._meta.tablename
        await self.table.raw(
            f"INSERT INTO {name} (video, created_at) VALUES ({{}}, CURRENT_TIMESTAMP) "  # noqa: S608
            "ON CONFLICT (video) DO NOTHING",
            video_id,
        )


@dataclass(frozen=True)
class VideoChoice:
    """A box on the video forms for creators, backed by a :class:`VideoFlag`.

    ``label``, ``hint`` and ``invalid`` are called when a form is drawn or checked, so
    they speak the reader's language.
    """

    option: str
    flag: VideoFlag
    label: Callable[[], str]
    hint: Callable[[], str]
    invalid: Callable[[], str]

    @property
    def shown(self) -> str:
        """The hidden field that goes with the box."""
        return self.option.split("_", 1)[0] + "_shown"

    async def fields(self, user: Any, video: Any, values: dict[str, str] | None) -> str | None:
        """The box on a creator's form, ticked as the video is (or as the form was sent)."""
        if user is None or not has_role(user, "creator"):
            return None
        ticked = video is not None and await self.flag.marked(int(video.id))
        if values is not None and (self.option in values or self.shown in values):
            ticked = values.get(self.option, "").strip().lower() in YES
        name = self.option
        return (
            f'<input type="hidden" name="{self.shown}" value="1">'
            f'<label class="nv-check"><input type="checkbox" id="{name}" name="{name}" value="1"'
            f'{" checked" if ticked else ""} aria-describedby="{name}-hint"> '
            f"{escape(self.label())}</label>"
            f'<p class="nv-hint" id="{name}-hint">{escape(self.hint())}</p>'
        )

    def choice(self, options: dict[str, str]) -> bool | None:
        """Ticked, unticked, or ``None`` when the options do not say."""
        if self.option in options:
            return options[self.option].strip().lower() in YES
        return False if self.shown in options else None

    def check(self, options: dict[str, str]) -> str | None:
        """Why the value sent cannot be taken, or ``None``."""
        raw = options.get(self.option)
        if raw is not None and raw.strip().lower() not in YES + NO:
            return self.invalid()
        return None

    async def saved(self, video: Any, options: dict[str, str]) -> None:
        """Keep the choice sent; leave it alone when the form had no box."""
        chosen = self.choice(options)
        if chosen is not None:
            await self.flag.mark(int(video.id), chosen)


FormHooks = tuple[
    Callable[..., Awaitable[str | None]],
    Callable[..., str | None],
    Callable[..., Awaitable[None]],
]


def form_hooks(choice: VideoChoice) -> FormHooks:
    """The three hooks of a choice's box, for a plugin module to take as its own::

    video_form_fields, video_options_check, video_options_saved = form_hooks(CHOICE)
    """

    @hookimpl
    async def video_form_fields(
        request: Any, user: Any, video: Any, values: dict[str, str] | None
    ) -> str | None:
        return await choice.fields(user, video, values)

    @hookimpl
    def video_options_check(options: dict[str, str]) -> str | None:
        return choice.check(options)

    @hookimpl
    async def video_options_saved(video: Any, options: dict[str, str]) -> None:
        await choice.saved(video, options)

    return video_form_fields, video_options_check, video_options_saved
