"""Piccolo app of the comments table."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.comments.tables import Comment, CommentLike, CommentsClosed

APP_CONFIG = AppConfig(
    app_name="comments",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Comment, CommentLike, CommentsClosed],
    migration_dependencies=["nichevid.accounts.piccolo_app", "nichevid.media.piccolo_app"],
    commands=[],
)
