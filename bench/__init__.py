"""Benchmarks for the recovery coach; each one runs as `.venv/bin/python -m bench.<name>` (see bench/README.md)."""
