"""The operators' home page: what the instance runs on, what it holds, and every admin page."""
