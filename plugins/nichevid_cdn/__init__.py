"""CDN adapter: media stays in the origin storage, browsers fetch it from a CDN.

See ``docs/cdn.md``.
"""
