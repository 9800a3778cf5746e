"""Advertising: promoted videos in the feed, brand takeovers and sponsored hashtag challenges."""
