"""Piccolo app of the accounts tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.accounts.tables import (
    ApiToken,
    CreatorRequest,
    EmailCheck,
    Invitation,
    InvitationUse,
    PasswordReset,
    RecoveryCode,
    TwoFactor,
    User,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        User,
        ApiToken,
        PasswordReset,
        TwoFactor,
        RecoveryCode,
        Invitation,
        InvitationUse,
        CreatorRequest,
        EmailCheck,
    ],
    migration_dependencies=[],
    commands=[],
)
