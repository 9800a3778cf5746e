"""No English-only error messages in the code that answers members and API clients.

Routes, API controllers and the services behind them must write every message an
answer can carry with the gettext helpers, so it follows the request's language.
This reads the source of every module but the operator-facing ones listed below: an
exception built with a plain string or an f-string (directly, or through a module
constant) fails, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nichevid"
# Modules whose messages are for operators and developers (the command line, start-up,
# settings, jobs, logs, benchmarks of the recommender); every other module is checked.
OPERATOR_FACING = (
    "accounts/cli.py",
    "app.py",
    "backup.py",
    "cli.py",
    "db.py",
    "default_storage.py",
    "demo.py",
    "jobs/",
    "logs.py",
    "plugins.py",
    "plugins_report.py",
    "privacy/cli.py",
    "recommend/cli.py",
    "recommend/evaluate/",
    "recommend/model.py",
    "recommend/settings.py",
    "recommend/sync.py",
    "recommend/train.py",
    "recommend/training.py",
    "runtime.py",
    "scaffold/",
    "settings.py",
    "storage.py",
    "storage_cli.py",
    "storage_copy.py",
    "testing/",
)
# The ledger's own checks speak to the plugins that post (their errors are typed, and a
# plugin answers its members in its own words), and webhook refusals speak to payment
# providers' servers.
DEVELOPER_FACING = (
    "payments/accounts.py",
    "payments/events.py",
    "payments/ledger.py",
    "payments/moves.py",
    "payments/rules.py",
    "payments/settings.py",
    "payments/stripe_provider.py",
    "payments/test_provider.py",
)
# Reasons the processing job records with a failed video (ffmpeg's findings, the upload
# limits): written once, in no request's language, and shown as recorded.
RECORDED = ("media/images.py", "media/probe.py", "media/tools.py", "media/validate.py")
# Messages that never reach an answer: programming errors, contracts for plugin authors,
# and internal signals that callers catch and turn into a translated message.
INTERNAL = {
    # Logged and kept as the postponed erasure's reason for operators.
    ("privacy/erase.py", "plugins could not delete their data: "),
    ("accounts/guards.py", "requires_role needs roles from {ROLES}, got {roles!r}"),
    ("feed/eventbuffer.py", "{len(self._rows)} watch events are waiting to be written"),
    ("media/covers.py", "the video was deleted meanwhile"),
    ("media/services.py", "could not find a free video slug"),
    ("media/services.py", "give slug or video_id"),
    ("media/services.py", "the video was deleted meanwhile"),
    ("media/services.py", "this video is not visible to you"),
    # Caught by the callers, which answer 404 in the page's language.
    ("media/schedule.py", "the video was deleted meanwhile"),
    # A plugin passing an interval the core does not know: a bug, never a member's input.
    ("payments/checkout.py", "interval is {interval!r}; use one of {INTERVALS}"),
    # Only reached by a plugin cancelling at a provider that takes no subscriptions.
    ("payments/providers.py", "{self.label} does not take subscriptions"),
    # Only reached by a plugin changing a subscription at a provider that cannot.
    ("payments/providers.py", "{self.label} cannot change subscriptions"),
    (
        "social/notifications.py",
        "notification kinds are lower-case words of 1-16 letters, not {kind!r}",
    ),
}
TRANSLATING = {"gettext", "ngettext", "pgettext", "_"}


def answering_modules() -> list[Path]:
    """The modules checked: all of the package but the operator-facing ones."""
    skipped = OPERATOR_FACING + DEVELOPER_FACING + RECORDED
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.relative_to(PACKAGE).as_posix().startswith(skipped)
    ]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _plain_text(node: ast.expr, constants: dict[str, str]) -> str | None:
    """The text of ``node`` when it is an untranslated message, else ``None``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        # One word is a field name or a code ("avatar", "role"), not a sentence.
        return node.value if " " in node.value.strip() else None
    if isinstance(node, ast.JoinedStr):
        words = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
        return ast.unparse(node)[2:-1] if " " in words.strip() else None
    if isinstance(node, ast.BinOp):
        return _plain_text(node.left, constants) or _plain_text(node.right, constants)
    if isinstance(node, ast.BoolOp):  # ``reason or "Not accepted."``
        return next(filter(None, (_plain_text(part, constants) for part in node.values)), None)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None


def _is_exception(call: ast.Call, raised: bool) -> bool:
    name = _name(call.func)
    return raised or name.endswith(("Error", "Exception")) or name in ("_fail",)


def untranslated(source: str, relative: str) -> list[str]:
    """``file:line: message`` for each exception of ``source`` built from plain text."""
    tree = ast.parse(source)
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str) and " " in node.value.value
        for target in node.targets
        if isinstance(target, ast.Name)
    }  # fmt: skip
    raised = {id(node.exc) for node in ast.walk(tree) if isinstance(node, ast.Raise) and node.exc}
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not _is_exception(node, id(node) in raised):
            continue
        if _name(node.func) in TRANSLATING:
            continue
        values = [*node.args, *(k.value for k in node.keywords if k.arg in (None, "detail"))]
        for value in values:
            text = _plain_text(value, constants)
            if text is not None and (relative, text) not in INTERNAL:
                problems.append(f"{relative}:{node.lineno}: {text!r}")
    return problems


def test_answering_modules_raise_only_translated_messages() -> None:
    modules = answering_modules()
    # The scope must really cover the API: a renamed module would silently drop out.
    names = {path.relative_to(PACKAGE).as_posix() for path in modules}
    assert {
        "media/api.py",
        "media/tus/routes.py",
        "feed/events_api.py",
        "share/routes.py",
        "comments/services.py",
        "search/services.py",
        "media/plain_upload.py",
    } <= names
    assert not any(name.startswith(("cli.py", "settings.py", "testing/")) for name in names)
    problems = []
    for path in modules:
        relative = path.relative_to(PACKAGE).as_posix()
        problems += untranslated(path.read_text(encoding="utf-8"), relative)
    assert not problems, (
        "Write these messages with nichevid.i18n.gettext (named %(placeholders)s), "
        "or list them in INTERNAL if no answer ever carries them:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    "source",
    [
        'raise NotFoundException("No such video.")',
        'raise HTTPException(status_code=400, detail=f"{name} is wrong.")',
        'raise CommentError(400, "Too long " + "by far.")',
        'NO = "Nothing here at all."\ndef f():\n    raise NotFoundException(NO)',
        'def fail():\n    return UploadError(404, "No such upload.")',
        'raise _fail(410, "This upload has expired.")',
        'raise UploadError(400, reason or "The upload was not accepted.")',
    ],
)
def test_the_check_finds_plain_messages(source: str) -> None:
    assert untranslated(source, "x/routes.py"), source


@pytest.mark.parametrize(
    "source",
    [
        'raise NotFoundException(gettext("No such video."))',
        'raise HTTPException(status_code=400, detail=gettext("%(n)s is wrong.", n=name))',
        'raise AccountError(gettext("That username is taken."), "username")',
        "raise HTTPException(status_code=400, detail=str(exc)) from exc",
        'raise CommentError(404, no_comment(), headers={"Retry-After": "30"})',
    ],
)
def test_the_check_lets_translated_messages_pass(source: str) -> None:
    assert untranslated(source, "x/routes.py") == [], source
