"""Open a page the way a robot would see it, for ``dxrpa inspect``: with a robot given, in a
context guarded by its ``allowed_domains`` and after its ``setup:`` steps (the login)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Page

from dxrpa.browser import BrowserHandle
from dxrpa.config import Settings
from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.secrets import allowed_env, resolve_secrets
from dxrpa.engine.steps import StepContext, run_steps


@asynccontextmanager
async def open_for_inspection(
    browser: BrowserHandle, settings: Settings, url: str | None, robot_file: Path | None
) -> AsyncIterator[Page]:
    """A page at ``url`` (or where the robot's setup leaves it); closed on exit."""
    robot = parse_robot(robot_file).robot if robot_file else None
    if robot is not None:
        domains = robot.browser.allowed_domains
    else:
        domains = [urlsplit(url or "").hostname or "127.0.0.1"]
    with tempfile.TemporaryDirectory(prefix="dxrpa-inspect-") as tmp:
        folder = Path(tmp)
        context = await browser.new_context(
            allowed_domains=domains, downloads_dir=folder, timeout_ms=settings.browser.timeout_ms
        )
        try:
            if robot is not None and robot_file is not None:
                secrets = resolve_secrets(robot.name, robot.secrets, var_dir=settings.var_dir)
                ctx = StepContext(
                    page=context.page,
                    robot=robot,
                    item={},
                    variables={},
                    env=allowed_env(robot.env),
                    secrets=secrets,
                    run={"id": "inspect", "dry_run": True},
                    run_folder=folder,
                    dry_run=True,
                    timeout_ms=robot.browser.timeout_ms or settings.browser.timeout_ms,
                    source=str(robot_file),
                )
                await run_steps(robot.setup, ctx, "setup")
            if url:
                await context.page.goto(url)
            yield context.page
        finally:
            await context.close()
