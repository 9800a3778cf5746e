"""Every core hook. Each docstring is the contract; ``docs/plugin_hooks.md`` is tested against it.

Calling conventions, by family:

* registration (``register_*``): every plugin may answer; the core collects the lists.
* who answers (``firstresult``): the first non-``None`` answer wins; defaults are ``trylast``.
* gates: every plugin is asked; any refusal wins and carries a user-facing reason.
* page slots: every answer is an HTML fragment, joined in plugin order.
* events: actions; a plugin that raises is logged and never breaks the request.

Gates, events and ``firstresult`` hooks may return an awaitable instead of a value;
the core awaits it. Registration hooks and page slots are collected while the app is
built or a template renders, so they return values. Hooks are
always called with keyword arguments, and evolve only by adding arguments.
"""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookspec

# ---------------------------------------------------------------- registration


@hookspec
def register_routes(settings: Any) -> list[Any] | None:
    """Return Litestar route handlers, controllers or routers to mount.

    Args:
        settings: The instance's :class:`nichevid.settings.Settings`.
    """


@hookspec
def register_piccolo_apps() -> list[str] | None:
    """Return dotted paths of the plugin's ``piccolo_app`` modules (each defines ``APP_CONFIG``).

    This is Piccolo's own convention (``APP_REGISTRY``, ``migration_dependencies``),
    so a plugin app may depend on core apps, e.g. ``"nichevid.accounts.piccolo_app"``.

    ``nichevid migrate`` runs their migrations; the tables are bound to the
    instance's database at start-up.
    """


@hookspec
def register_jobs() -> list[Any] | None:
    """Return :class:`nichevid.jobs.Job` definitions (background functions, by unique name)."""


@hookspec
def register_cron_jobs() -> list[Any] | None:
    """Return :class:`nichevid.jobs.CronJob` definitions (jobs run on a schedule)."""


@hookspec
def register_storage_backends() -> dict[str, Any] | None:
    """Return a mapping of storage backend name to a factory ``(settings) -> Storage``.

    An operator picks one by name with ``[storage] backend = "<name>"``.
    """


@hookspec
def register_settings() -> dict[str, Any] | None:
    """Return ``{plugin_name: msgspec.Struct type}`` validating ``[plugin.<plugin_name>]``.

    The validated section is passed back to the plugin as ``settings.plugin[name]``
    (a dict of the validated, defaulted values, plus ``"_parsed"``: the instance of
    the registered type). Fields typed :class:`nichevid.settings.Secret` accept
    ``{ env = "NAME" }``. Unknown keys stop start-up.
    """


@hookspec
def register_template_dirs() -> list[Any] | None:
    """Return directories of Jinja templates; looked up after the theme, before the core."""


@hookspec
def register_static_dirs() -> dict[str, Any] | None:
    """Return ``{name: directory}``; each is served at ``/static/plugins/<name>/``."""


@hookspec
def register_lifespan() -> list[Any] | None:
    """Return async context manager factories ``(app) -> AsyncContextManager``.

    They are entered after the core resources (database, Redis, jobs, storage) are
    ready and left before those are closed; put long-lived clients on ``app.state``.
    """


@hookspec
def register_middleware(settings: Any) -> list[Any] | None:
    """Return ASGI middleware (classes or ``DefineMiddleware``) run after sessions, before CSRF.

    Args:
        settings: The instance's :class:`nichevid.settings.Settings`.
    """


@hookspec
def register_cli_commands() -> list[Any] | None:
    """Return ``click`` commands or groups added to the ``nichevid`` command line."""


@hookspec
def register_payment_providers(settings: Any) -> dict[str, Any] | None:
    """Return ``{name: provider}``: :class:`nichevid.payments.providers.PaymentProvider` objects.

    Each provider starts checkouts (a redirect URL for an amount and a product) and
    verifies and parses the webhooks it sends to ``/payments/webhooks/<name>``; the
    core stores each event once and credits the ledger. A provider whose ``test_mode``
    is true is labelled "Test payments: no money moves" wherever a member sees it.
    The default registers the built-in ``test`` provider (``trylast``) while
    ``plugin.payments.test_provider`` is on; a name registered twice goes to the
    plugin registered last.

    Args:
        settings: The instance's :class:`nichevid.settings.Settings`.
    """


@hookspec
def register_readiness_checks() -> dict[str, Any] | None:
    """Return ``{name: async callable (app) -> None}`` run by ``/readyz``; raise to fail."""


# ---------------------------------------------------------------- who answers


@hookspec(firstresult=True)
def storage_backend(settings: Any) -> Any | None:
    """Return the :class:`nichevid.storage.Storage` holding media files, or ``None``.

    The default answers with local disk under the data directory (``trylast``).
    """


@hookspec(firstresult=True)
def may_view_video(video: Any, viewer: Any) -> bool | None:
    """Return ``True`` to let ``viewer`` watch ``video``, ``False`` to refuse, or ``None``.

    Asked by :func:`nichevid.media.services.may_view` only for a ``ready`` video whose
    visibility is ``followers`` or ``subscribers``, when ``viewer`` (a user row, or
    ``None`` when signed out) is not its owner. Public ready videos are open to all,
    private ones and videos that are not ready only to their owner: plugins are not
    asked. An age-restricted video (``video.age_restricted``) reaches plugins only
    when ``viewer`` is an adult: the core refuses everybody else first. When no plugin
    answers, the viewer is refused. The social package answers ``True`` for followers
    of the owner; ``subscribers`` videos stay the owner's until a subscriptions plugin
    answers for them.
    """


@hookspec
def may_view_videos(videos: list[Any], viewer: Any) -> dict[int, bool] | None:
    """Answer ``may_view_video`` for a whole page of videos at once: ``{video_id: verdict}``.

    Asked by :func:`nichevid.media.gates.viewable_ids` when a listing (the Following
    feed, a hashtag page, search results) holds gated videos, with the same videos
    ``may_view_video`` would be asked about (ready, ``followers`` or ``subscribers``,
    not the viewer's own, age limit already passed) and the same ``viewer``. Answer
    ``True`` or ``False`` for the videos you decide, in as few queries as you can (one),
    and leave the others out: each video left unanswered by every plugin is asked of
    ``may_view_video`` on its own. When several plugins answer for one video, the first
    in call order decides, as with ``may_view_video``; so answer exactly as your
    ``may_view_video`` would. May be async.
    """


@hookspec(firstresult=True)
def payment_event(resources: Any, event: Any, checkout: Any) -> Any:
    """Apply a stored subscription event of a provider, or return ``None`` if it is not yours.

    Asked by :func:`nichevid.payments.events.apply` for every event whose type is one
    of :data:`nichevid.payments.providers.SUBSCRIPTION_EVENT_TYPES` (trial started,
    activated, renewed, payment failed, cancelled, ended, and changed: a change of
    price applied at once, ``amount`` being the proration charged), and for refunds and
    chargebacks (``payment.refunded``, ``payment.charged_back``) of a checkout that
    started a subscription: their ``period_end`` names the period undone (0: the
    latest paid one); reverse that period's transaction with
    :func:`nichevid.payments.moves.reverse`, once, or answer ``"waiting"`` while it is
    not posted yet (the core asks again after the next event it applies).
    ``event`` is the stored
    ``payments.tables.PaymentEvent`` row (``type``, ``amount``, ``currency``,
    ``provider_ref``: the provider's id of the subscription, ``period_start`` and
    ``period_end`` in Unix seconds, ``received_at``); ``checkout`` is the
    ``payments.tables.Checkout`` row the member started the subscription with.
    Answer ``"applied"``, ``"ignored"``, ``"refused"`` or ``"waiting"`` (applied again by
    the next delivery or by reconciliation), or a pair ``(status, note)``. The core
    stores each event once and asks again only for events not ``applied`` or
    ``ignored``, so applying must be idempotent: post each paid period under a key
    of its own (``subscription:<provider>:<checkout>:<period_end>``). Events may come
    in any order (a renewal before the activation). Without an answer the event is
    ignored. May be async.
    """


@hookspec(firstresult=True)
def for_you_page(request: Any, cursor: str | None, size: int) -> Any:
    """Choose the next ``size`` For You videos for the viewer of ``request``, or ``None``.

    Answer ``(video_ids, next_cursor)``: the ids in the order to show, and the cursor
    the feed asks with next (``None`` at the end), or an awaitable of that; a third
    item ``{video_id: reason}`` puts each card's reason in its ``data-nv-reason``. ``cursor``
    is ``None`` for the first cards of the page, else a cursor you handed out earlier
    (raise ``ValueError`` with a user-facing message for one you did not). Answer
    ``None`` to leave the viewer to the next plugin; without any answer the core
    serves its popular-and-fresh order, the same for everybody (and cached). The
    recommender answers for members and for browsers that sent watch events.
    """


# ---------------------------------------------------------------- gates


@hookspec
def signup_accept(username: str, email: str) -> str | None:
    """Return ``None`` to allow a new account, or a user-facing reason to refuse it."""


@hookspec
def comment_accept(user: Any, video: Any, text: str, resources: Any) -> str | None:
    """Return ``None`` to let ``user`` post ``text`` on ``video``, or a user-facing reason.

    Asked by :func:`nichevid.comments.services.post_comment` after the text passed the
    core's checks and before anything is stored; ``user`` and ``video`` are the
    ``accounts.tables.User`` and ``media.tables.Video`` rows, ``resources`` the running
    :class:`nichevid.runtime.Resources` (settings, rate limiter). A refusal answers 403 with
    the reason, so say what the user can do. A moderation plugin refuses suspended
    accounts and comments matching its blocked words here. May be async.
    """


@hookspec
def upload_accept(user: Any, metadata: dict[str, str], resources: Any) -> str | None:
    """Return ``None`` to let ``user`` start an upload, or a user-facing reason to refuse.

    Asked before an upload is created (tus creation, a plain ``POST /api/videos``),
    so nothing is stored for a refused one; ``user`` is the ``accounts.tables.User``
    row, ``metadata`` what the client sent (``filename``, ``caption``, ``visibility``),
    ``resources`` the running :class:`nichevid.runtime.Resources`. A refusal answers
    403 with the reason, so say what the user can do (and until when). A moderation
    plugin refuses suspended accounts here. May be async.
    """


@hookspec
def video_options_check(
    user: Any, video: Any, visibility: str, options: dict[str, str], resources: Any
) -> str | None:
    """Return ``None`` to accept the plugin choices of a video, or a user-facing reason.

    Asked when a creator starts an upload (``video`` is ``None``: nothing exists yet)
    and when they save the video edit form (``video`` is the ``media.tables.Video`` row
    as stored before the change), after the core checked the caption and visibility.
    ``user`` is the ``accounts.tables.User`` row, ``visibility`` the audience chosen
    on the same form, ``options`` the fields plugins added with ``video_form_fields``
    (name to text, only names with a plugin prefix such as ``subscriptions_tier``;
    a field left out of the form is absent). Check only your own names. A refusal
    answers 400 with the reason and nothing is stored, so say what to choose instead.
    May be async.
    """


@hookspec
def review_video(video: Any, resources: Any) -> str | None:
    """Return ``None`` to publish ``video`` now, or a reason to hold it for review.

    Asked once, when the video's first rendition is stored and it would turn ``ready``
    (``video`` is the ``media.tables.Video`` row as it is then, ``resources`` the running
    :class:`nichevid.runtime.Resources`: settings, storage holding the original). Any
    reason holds it: its
    status becomes ``held`` instead of ``ready``, nobody but its owner sees it, and
    ``video_ready`` does not fire until a plugin releases it with
    :func:`nichevid.media.review.set_review_status`. The reason is logged, not shown.
    May be async.
    """


# ---------------------------------------------------------------- page slots


@hookspec
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    """Return an HTML fragment for the named page slot, or ``None``.

    Slots: ``head``, ``nav``, ``splash``, ``profile_header``, ``profile_content``,
    ``video_actions`` (the buttons beside a feed card; ``context`` holds ``video``, the
    card), ``video_overlay`` (over a feed card's picture, under its caption: a product tag,
    a badge; ``video`` as for ``video_actions``), ``video_head`` (in the ``<head>`` of a
    video's own page; ``context`` also holds ``base_url``), ``video_page`` (below the video
    on its own page), ``playlist_page`` (under a playlist's title on its page; ``context``
    holds ``playlist``, with ``id``, ``owner_id``, ``username`` and ``title``),
    ``comment_actions`` (beside a comment's actions; ``context`` holds ``comment``, with
    ``id`` and ``username``), ``comment_meta`` (after a comment's author;
    ``context`` holds ``comment``, with ``author_id``, and ``video``), ``hashtag_header``
    (under a hashtag page's title; ``context`` holds ``tag``, read your data for it in
    ``prepare_hashtag``), ``video_locked`` (on the page of a video the viewer may not watch;
    ``context`` holds ``video``, the video row, and ``creator``, its owner's username),
    ``admin_menu`` (on the operators' home ``/admin``, for moderators and admins: one
    ``<a>`` per page of yours; ``nichevid.admin.menu.admin_links`` writes them for the roles
    that may open each), ``upload_form``, ``settings_menu``, ``wallet`` (on the member's
    wallet page, below the balances), ``body_end`` (last in the ``<body>`` of every page:
    banners, dialogs). The fragment is inserted as is, so escape any user text in it. Slots
    render inside templates, so the answer must be a value, not an awaitable.
    ``context`` holds ``request`` and ``user`` (or ``None``), plus what the page shows.
    """


@hookspec
def video_form_fields(
    request: Any, user: Any, video: Any, values: dict[str, str] | None
) -> str | None:
    """Return HTML form fields to add to the upload form and the video edit form, or ``None``.

    ``video`` is ``None`` on the upload form and the ``media.tables.Video`` row on the
    edit form (show its current choice). ``values`` is ``None``, except when the edit
    form comes back after a refusal: then it holds the options as the creator posted
    them, and your fields show what they chose (not yet stored) instead of the video's
    current choice. ``user`` is the signed-in creator. Name each
    field with your plugin's prefix (``subscriptions_tier``): its value reaches
    ``video_options_check`` and ``video_options_saved`` as an option, sent with the
    upload's metadata or posted by the edit form. The fragment is inserted as is, so
    escape any user text in it. Unlike page slots this hook may be async, so read
    what the fields show here; a plugin that raises is logged and left out.
    """


# ---------------------------------------------------------------- events


@hookspec
def video_options_saved(video: Any, options: dict[str, str], resources: Any) -> None:
    """A video exists with the plugin choices its creator made: apply yours.

    Called once the upload of a new video completes (with the options its upload
    carried) and each time the video edit form saves (with the options posted), after
    ``video_options_check`` accepted them. ``video`` is the ``media.tables.Video`` row,
    ``options`` name to text (a name absent means the form did not show your field:
    keep what you have). Check again what may have changed since the upload started
    (a choice withdrawn meanwhile). May be async; a failure is logged, never breaks
    the upload or the form.
    """


@hookspec
def user_created(user: Any) -> None:
    """A new account was stored (``user`` is the ``accounts.tables.User`` row)."""


@hookspec
def export_user_data(user: Any) -> dict[str, Any] | None:
    """Return the files your plugin adds to ``user``'s data export, or ``None``.

    Answer ``{file name: content}``: each name is a relative path inside your own
    folder of the zip, ``plugins/<plugin name>/`` (letters, digits, ``._-`` and ``/``;
    no ``..``); each content is ``bytes`` (stored as is) or a JSON-serialisable value
    (stored as indented JSON). Called by the export job, so it may be async and may
    query. A plugin that raises, or answers a bad name or value, is left out and the
    export's ``manifest.json`` says so; the rest of the export is still built.
    ``user`` is the ``accounts.tables.User`` row.
    """


@hookspec
def user_deleting(user: Any, resources: Any) -> None:
    """``user``'s account is being erased: delete every row and file your plugin keeps of them.

    Called by the deletion job after the grace period, before the core deletes the
    account's own rows and media, so the user row still exists. May be async. Unlike
    other events, a plugin that raises stops the erasure: the account stays marked and
    the job tries again on its next run, so nothing is left behind silently. Must be
    idempotent. What the law requires you to keep (an audit log entry, a ledger line)
    must reference :func:`nichevid.core.secrets.pseudonym` of the id, never the user
    (``resources.settings`` holds the settings it needs; ``resources.storage`` the files).
    """


@hookspec
def user_logged_in(user: Any) -> None:
    """A user signed in with a password (and their code, with two-factor authentication)."""


@hookspec
def video_ready(video: Any) -> None:
    """A video became playable: its first rendition was stored and its status turned ``ready``.

    ``video`` is the ``media.tables.Video`` row as it is now. Fired each time the status
    turns ``ready`` (a new video, or a failed one processed again), never for the
    renditions that follow. Listeners should be idempotent, since one video may become
    ready more than once.
    """


@hookspec
def for_you_exclude(video_ids: list[int], viewer: Any, resources: Any) -> list[int] | None:
    """Return the ids among ``video_ids`` that For You must not show to ``viewer``, or ``None``.

    Every plugin is asked and every id any of them names is left out: a moderation
    plugin keeps limited-reach videos out of For You this way, and the safety package
    the creators a member blocks, mutes or is blocked by. ``viewer`` is the user row,
    or ``None`` for the order everybody shares and for visitors. A page of the shared
    order served to a member is asked again with the member; when any id is refused,
    that member gets a render of their own. A personal batch asks for its five picks
    and takes the next ones when any is refused. ``resources`` are the running
    :class:`nichevid.runtime.Resources` (settings). May be async; one query for all the ids.
    """


@hookspec
def subscribed_videos(viewer: Any, limit: int, resources: Any) -> list[int] | None:
    """Return the ids of subscribers-only videos ``viewer`` may watch through a subscription.

    Asked when For You chooses a signed-in member's next batch: up to
    ``plugin.recommend.subscribed_per_batch`` of them (newest first, not yet shown in
    the session, not hidden, not refused by ``for_you_exclude``) join the batch with the
    reason ``subscribed``, their media signed for the member. Answer at most ``limit``
    ids, best first (the newest), in as few queries as you can; every plugin's answers
    are joined, and each id is checked again with ``may_view_video``. ``viewer`` is the
    user row. May be async.
    """


@hookspec
def viewer_signals(request: Any, viewer: str, signals: list[Any]) -> None:
    """A viewer just told the site something about some videos.

    ``viewer`` is ``"u<user id>"`` for a member or ``"s<viewer cookie>"`` for a browser;
    ``signals`` pairs each video id with a :class:`nichevid.recommend.ratings.Signals`:
    the watch events the player sent (watch time, completion, skip), a like, a share,
    a comment. Fired after they are accepted, in the request that brought them; the
    recommender turns them into this session's feedback, so the very next batch
    reflects them.
    """


@hookspec
def prepare_cards(request: Any, cards: list[Any]) -> None:
    """A page of video cards is about to render: fetch what your slots show for all of them.

    Page slots render synchronously and cannot query, so a plugin that shows data on
    every card (a count, a badge) reads it here for the whole page in one query, and
    keeps it in ``request.scope`` under a key of its own for its ``extra_slot`` to read.
    ``cards`` are :class:`nichevid.media.listing.Card` objects (``id``, ``slug``, ...).
    """


@hookspec
def personal_choices(request: Any, video_ids: list[int]) -> dict[str, str] | None:
    """Name the versions of your personal parts that the signed-in member of ``request`` sees.

    The next batches of the For You feed are rendered once for every member
    (:mod:`nichevid.core.shared`): while such a batch renders, ``is_shared(request)``
    is true and a slot showing something personal returns what a member who did
    nothing sees through ``alternative(request, key, default, **versions)``. Before
    each member gets the batch, this hook answers ``{key: version}`` for the cards
    ``video_ids`` (one query for all of them), and those versions replace the
    defaults. May be async. Without an answer the defaults stay.
    """


@hookspec
def prepare_comments(request: Any, video: Any, author_ids: list[int]) -> None:
    """Comments of ``video`` are about to render: fetch what your comment slots show.

    As :func:`prepare_cards`, for the ``comment_meta`` and ``comment_actions`` slots:
    ``author_ids`` are the authors of the comments shown (one query for all of them);
    keep the data in ``request.scope`` under a key of your own. ``video`` is the
    ``media.tables.Video`` row. May be async.
    """


@hookspec
def prepare_profile(request: Any, member: Any) -> None:
    """A member's profile page is about to render: fetch what your profile slots show.

    As :func:`prepare_cards`, for the ``profile_header`` and ``profile_content`` slots:
    keep the data in ``request.scope`` under a key of your own. ``member`` is the
    ``accounts.tables.User`` row; the slots get ``member`` as its public profile (a
    dict with ``id`` and ``username``).
    """


@hookspec
def prepare_hashtag(request: Any, tag: str) -> None:
    """A hashtag's page is about to render: fetch what your ``hashtag_header`` slot shows.

    As :func:`prepare_cards`: keep the data in ``request.scope`` under a key of your
    own. ``tag`` is the hashtag as stored (lower case, without ``#``); the slot gets it
    as ``tag``. May be async.
    """
