"""Tables owned by the schedule feature (defined here so one metadata holds every table)."""

from __future__ import annotations
