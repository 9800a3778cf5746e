"""Piccolo app of the feed tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.feed.tables import WatchEvent

APP_CONFIG = AppConfig(
    app_name="feed",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[WatchEvent],
    migration_dependencies=["nichevid.accounts.piccolo_app", "nichevid.media.piccolo_app"],
    commands=[],
)
