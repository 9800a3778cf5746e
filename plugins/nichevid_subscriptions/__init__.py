"""Creator subscriptions: monthly tiers, subscribers-only videos, badges on comments.

A creator defines tiers (price, perks, badge); a member subscribes through any
payment provider that takes subscriptions; the provider's subscription events
(trial, activation, renewal, failed payment, cancellation, end) keep each
subscription's paid period, and each paid period moves to the creator's earnings
minus the platform's cut. Videos with visibility ``subscribers`` play only for
live subscribers of their minimum tier or a higher one.
"""
