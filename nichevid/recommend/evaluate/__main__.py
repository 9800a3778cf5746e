"""``python -m nichevid.recommend.evaluate``: the same as ``nichevid recommend eval``."""

from nichevid.recommend.evaluate.command import eval_command

if __name__ == "__main__":
    eval_command()
