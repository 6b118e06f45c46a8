"""Shared set-up for the robot benchmarks: an isolated home, the example robot, the sample app."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium") or ""


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"


def prepare_home(home: Path, *, robot_text: str | None = None) -> None:
    (home / "robots").mkdir(parents=True, exist_ok=True)
    text = robot_text or (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    (home / "robots" / "juminhyo_entry.yaml").write_text(text, encoding="utf-8")


def bench_env(home: Path, app_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "APP_URL": app_url,
            "APP_USER": "staff01",
            "APP_PASSWORD": "demo-pass",
            "DXRPA_HOME": str(home),
            "DXRPA_BROWSER__EXECUTABLE": CHROMIUM,
        }
    )
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def shared_session(text: str) -> str:
    return text.replace(
        "browser: {headless: true, allowed_domains: [127.0.0.1, localhost]}",
        "browser: {headless: true, allowed_domains: [127.0.0.1, localhost], session: shared}",
    )
