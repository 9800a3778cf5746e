"""Sharing a video: link-preview tags, oEmbed and the embeddable player page."""
