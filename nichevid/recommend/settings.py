"""Recommender settings: the ``[plugin.recommend]`` section.

Like every built-in plugin's section, a bad value stops start-up with one line;
``NICHEVID_PLUGIN__RECOMMEND__<KEY>`` sets a key from the environment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from nichevid.settings import plugin_section

SECTION = "recommend"

Positive = Annotated[int, msgspec.Meta(ge=1)]
NotNegative = Annotated[int, msgspec.Meta(ge=0)]
Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class RecommendSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How the model is trained, how candidates are gathered and how the feed is re-ranked."""

    # For You chosen per viewer (members and browsers that sent watch events); false: the
    # same popular-and-fresh order for everybody.
    personal: bool = True
    # Surprise algorithm: baseline, svd, svdpp or nmf; params are passed to it as they are.
    algorithm: Literal["baseline", "svd", "svdpp", "nmf"] = "baseline"
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    # Also fit graded feed and hour biases on top (what measures best offline).
    graded: bool = True
    # Ratings of this many days train a model; fewer than min_ratings leave the fallbacks on.
    window_days: Positive = 30
    min_ratings: Positive = 100
    # The worker trains at 17 minutes past every n-th hour (0: only `nichevid recommend train`).
    train_every_hours: NotNegative = 1
    # Model files live here (default: <data_dir>/models); the newest `keep_models` stay.
    model_dir: str = ""
    keep_models: Positive = 3
    # Web processes look for a newer model this often, in seconds.
    reload_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    # The catalogue of servable videos and the candidate pools are rebuilt this often...
    catalogue_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    # ...and newly published videos are looked for (one indexed query) at most this often.
    new_video_seconds: Annotated[float, msgspec.Meta(ge=0)] = 2.0
    # Candidates per viewer and batch, from each source, before ranking.
    candidates: Positive = 500
    # One ranking pass prepares this many batches after the one it serves; they are handed
    # out until the viewer's feedback or choices change (then ranking runs again).
    batches_ahead: NotNegative = 3
    # Re-rank: at most this many videos of one creator / one hashtag in a batch of five...
    per_creator: Positive = 1
    per_hashtag: Positive = 2
    # ...this share of the slots goes to exploration (fresh uploads, unseen hashtags)...
    exploration: Share = 0.2
    # ...a new video is explored until it had this many impressions...
    fresh_impressions: NotNegative = 200
    # ...and one hashtag may fill at most this share of the session's last `loop_window` cards.
    loop_share: Share = 0.4
    loop_window: Positive = 20
    # Subscribers-only videos a member may watch through a subscription join each of their
    # personal batches, at most this many (0: never; see `subscribed_videos`).
    subscribed_per_batch: NotNegative = 1
    # In-session feedback: how strongly a viewer stays near their trained taste (higher: less).
    fold_in_regularisation: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    # Hashtag affinity from this session's ratings is added with this weight.
    session_weight: Annotated[float, msgspec.Meta(ge=0)] = 0.5
    # A/B: viewers whose stable hash falls below `ab_share` get ranking config `ab_params`.
    ab_share: Share = 0.0
    ab_params: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.ab_params:
            return
        unknown = sorted(set(self.ab_params) - set(self.__struct_fields__))
        if unknown:
            raise ValueError(f"ab_params names settings that do not exist: {', '.join(unknown)}")
        merged = {**msgspec.to_builtins(self), **self.ab_params, "ab_params": {}}
        try:
            msgspec.convert(merged, RecommendSettings)
        except msgspec.ValidationError as exc:
            raise ValueError(f"ab_params: {exc}") from None


def recommend_settings(settings: Any) -> RecommendSettings:
    """The instance's ``[plugin.recommend]`` settings (defaults when not parsed)."""
    return plugin_section(settings, SECTION, RecommendSettings)
