"""Money: a double-entry ledger and the payment providers that feed it.

Other packages and plugins post through :mod:`nichevid.payments.ledger` and start
checkouts through :mod:`nichevid.payments.checkout`; see docs/payments.md.
"""
