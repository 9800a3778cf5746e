"""User safety and well-being: block and mute, comment controls, break reminders.

* :mod:`.blocks`: who blocks or mutes whom, and what that hides from a viewer.
* :mod:`.prefs`: a member's comment controls (who may comment, refused words, hidden
  like counts) and their well-being choices.
* :mod:`.wellbeing`: time spent in the feed per day, from the feed's own watch events.

Other packages call :mod:`nichevid.safety.services`, never these tables.
"""
