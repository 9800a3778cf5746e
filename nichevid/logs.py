"""Structured logs: JSON lines in production, readable key=value lines on a terminal."""

from __future__ import annotations

import logging
import os
import sys

import structlog

from nichevid.settings import Settings

_configured = False


def configure_logging(settings: Settings) -> None:
    """Route stdlib and structlog records through one structlog renderer.

    ``NICHEVID_LOG_FORMAT=json`` forces JSON; the default is JSON unless stderr is a terminal.
    """
    global _configured
    if _configured:
        return
    _configured = True
    wanted = os.environ.get("NICHEVID_LOG_FORMAT")
    as_json = wanted == "json" or (wanted is None and not sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Piccolo announces the engine version on every connection; keep only its warnings.
    logging.getLogger("piccolo").setLevel(logging.WARNING)
