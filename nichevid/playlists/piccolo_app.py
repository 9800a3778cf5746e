"""Piccolo app of the playlists tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.playlists.tables import Playlist, PlaylistItem

APP_CONFIG = AppConfig(
    app_name="playlists",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Playlist, PlaylistItem],
    migration_dependencies=["nichevid.accounts.piccolo_app", "nichevid.media.piccolo_app"],
    commands=[],
)
