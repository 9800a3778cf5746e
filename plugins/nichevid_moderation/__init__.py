"""Moderation for nichevid: reports, a review queue, an append-only audit log, appeals,
pre-moderation and moderation statistics.

Enable it with ``[plugins] enabled = ["moderation"]``; settings live in
``[plugin.moderation]`` (see docs/operator.md).
"""
