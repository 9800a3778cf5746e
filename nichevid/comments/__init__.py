"""Comments on videos: one reply level, mentions and hashtags, newest and top orderings."""
