"""The web console (``dxrpa serve``): robots, runs, schedules, OCR review and the manager dashboard.

Server-rendered Starlette + Jinja2 (autoescaped), a little vanilla JS, nothing loaded from the
internet. Every page reuses the services the CLI uses (registration, runner, scheduler, OCR
repository, reports); the console adds users, roles, sessions, CSRF and the audit of each change.
"""

from dxrpa.console.app import create_app

__all__ = ["create_app"]
