"""The dashboard's Jinja templates: installed as `recovery.web.templates` (see pyproject.toml)."""
