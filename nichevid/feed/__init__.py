"""The swipe feed: home page shell, next-batch fragments and single-video pages."""
