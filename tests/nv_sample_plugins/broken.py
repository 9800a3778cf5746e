"""A plugin that cannot be imported."""

import nichevid_module_that_does_not_exist  # noqa: F401
