"""Folder watchers: notice new activity files and hand them to `recovery.ingest`.

`scanner` reads one folder safely (half-written files, unplugged drives,
junk), `service` runs the scanners on an APScheduler schedule, `folders`
adds and removes the folders to watch, and `rules` says which files count.
"""
