"""Piccolo app of the ledger and payment tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.payments.tables import (
    Checkout,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentEvent,
    Payout,
)

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[LedgerAccount, LedgerTransaction, LedgerEntry, Checkout, PaymentEvent, Payout],
    migration_dependencies=["nichevid.accounts.piccolo_app"],
    commands=[],
)
