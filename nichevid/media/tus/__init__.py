"""Resumable uploads with the tus 1.0.0 protocol at ``/uploads/``.

* :mod:`.protocol`: header parsing and the constants ``OPTIONS`` advertises.
* :mod:`.services`: plain async functions (create, append, terminate, expire).
* :mod:`.routes`: the tus endpoint and ``GET /api/uploads/{upload_id}``.
* :mod:`.jobs`: the cron job deleting expired uploads.

Extensions: creation, creation-with-upload, termination, checksum (sha1, sha256,
md5) and expiration. The offset lives in the ``nv_upload`` row, so an upload resumes
after a restart and on whichever web process gets the next ``PATCH``.
"""
