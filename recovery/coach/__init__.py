"""The coach: picks a cool-down, warm-up or strength session for a run and a back.

Pure functions over plain dataclasses: no Flask, no database and no clock
inside (pass `now`).
"""
