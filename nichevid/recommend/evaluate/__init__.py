"""Offline evaluation of the For You recommender: replay logged feedback with a temporal split.

``python -m nichevid.recommend.evaluate --kuairand DIR --out DIR`` (mounted as
``nichevid recommend eval``) reads a log, keeps each viewer's first interaction
with each video as one rating (:mod:`nichevid.recommend.ratings`), trains on the
earlier days, and scores rankings of the later days under two protocols; see
``docs/recommender.md``.
"""
