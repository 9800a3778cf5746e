"""The notes table."""

from piccolo.columns import Serial, Varchar
from piccolo.table import Table


class Note(Table, tablename="nv_sample_note"):
    """A line of text."""

    id = Serial(primary_key=True)
    text = Varchar(length=200)
