"""Downloads: creators let viewers save a video of theirs as an MP4 file."""
