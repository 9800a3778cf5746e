"""Captions: WebVTT subtitle tracks a creator attaches to a video, one per language.

Files are checked and re-written by :mod:`nichevid.captions.webvtt`, stored under the
video's storage prefix (so deleting a video deletes them) and shown by the player as
``<track>`` elements. Other packages use :mod:`nichevid.captions.services`.
"""
