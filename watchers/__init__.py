"""Folder watchers: notice new activity files and hand them to `recovery.ingest`.

Filled in by the watcher work; the package exists so the layout is stable.
"""
