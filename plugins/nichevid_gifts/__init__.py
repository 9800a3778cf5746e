"""Coins and virtual gifts: members buy coin packs and send gifts to creators.

Coin packs are bought through any payment provider (``nichevid.payments.checkout``);
a gift moves coins from the sender's wallet to the creator's earnings, less the
platform's cut, through the ledger (``nichevid.payments.moves``). Gifts to accounts
the operator marks as nonprofit are donations and come with a printable receipt.
"""
