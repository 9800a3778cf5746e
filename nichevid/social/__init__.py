"""The social layer: likes, bookmarks, shares, follows, notifications, profiles, hashtags.

Other packages call :mod:`nichevid.social.services`, never the tables. To tell a member
about something that happened to them (a comment, a reply, a mention), call::

    from nichevid.social.services import notify

    await notify(recipient, kind, actor, video=None, text="")

``recipient`` and ``actor`` are user rows or ids (``actor`` may be ``None`` for the
site itself), ``video`` a video row or id, ``text`` a short excerpt (cut at 500
characters). ``kind`` is ``comment``, ``reply``, ``mention``, ``like`` or ``follow``,
or another lower-case word of up to 16 letters (shown with its ``text`` alone). It
returns whether a notification was stored: nobody is told of their own doing, and a
``like``, ``follow`` or ``mention`` by the same actor on the same video is told once.
The call is a plain async function: it needs no request and works in jobs.

The package also answers the ``may_view_video`` hook (followers see ``followers``
videos), listens to ``video_ready`` (the members a caption mentions are told), fills
the ``video_actions``, ``nav``, ``profile_header`` and ``profile_content`` slots, and
reads their data in ``prepare_cards`` and ``prepare_profile`` (see
:mod:`nichevid.social.slots`).
"""
