"""Piccolo app of the social tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.social.tables import Bookmark, Follow, Hashtag, Like, Notification, Share, VideoStats

APP_CONFIG = AppConfig(
    app_name="social",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Like, Bookmark, Share, VideoStats, Follow, Notification, Hashtag],
    migration_dependencies=["nichevid.accounts.piccolo_app", "nichevid.media.piccolo_app"],
    commands=[],
)
