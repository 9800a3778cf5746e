"""S3-compatible object storage for media (Amazon S3, MinIO, SeaweedFS, Garage, ...).

See ``docs/s3.md``.
"""
