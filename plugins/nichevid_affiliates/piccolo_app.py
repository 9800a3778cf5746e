"""Piccolo app of the affiliate tables; depends on the core apps its rows refer to."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid_affiliates.tables import Click, Conversion, Link

APP_CONFIG = AppConfig(
    app_name="affiliates",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Link, Click, Conversion],
    migration_dependencies=[
        "nichevid.accounts.piccolo_app",
        "nichevid.media.piccolo_app",
        "nichevid.payments.piccolo_app",
    ],
    commands=[],
)
