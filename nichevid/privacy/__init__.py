"""Privacy: data export, account deletion, watch-history retention and the site's policy pages.

The package is a built-in plugin of the core. Plugins take part through two hooks:
``export_user_data(user)`` adds files to a member's export, ``user_deleting(user, resources)``
deletes a plugin's rows and files before the account goes.
"""
