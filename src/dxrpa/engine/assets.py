"""Assets: per-environment values (本番 / 検証) of the ``env:`` names robots declare, such as
``APP_URL``. A run sees the asset of the configured environment (``settings.environment``) and,
for a name without one, the process environment variable as before. Secrets never go here: names
that look like secrets are refused with a pointer to ``dxrpa secrets set``."""

from __future__ import annotations

import os
import re

from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.store import assets_repo
from dxrpa.store.base import Store

ENVIRONMENTS = {"production": "本番", "staging": "検証"}
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
_SECRET_LIKE = re.compile(r"PASS|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|PIN\b|PIN_", re.IGNORECASE)
MAX_VALUE = 2000


def environment_text(environment: str) -> str:
    return tr(ENVIRONMENTS.get(environment, environment), environment)


def environment_of(word: str) -> str:
    """``production`` / ``staging`` from the English or the Japanese word (本番 / 検証)."""
    word = word.strip()
    for key, ja in ENVIRONMENTS.items():
        if word in (key, ja):
            return key
    raise UsageError(
        tr(f"環境 {word} はありません", f"no environment {word}"),
        hint=tr(
            "本番 (production) か 検証 (staging) を指定してください", "production (本番) or staging (検証)"
        ),
    )


def check_asset(name: str, value: str) -> None:
    """Refuse a name that is no environment name, that looks like a secret, or a too long value."""
    if not _NAME.match(name):
        raise UsageError(
            tr(f"名前 {name!r} は使えません", f"name {name!r} is not allowed"),
            hint=tr(
                "英大文字・数字・_ で、ロボットの env: に書く名前にしてください (例: APP_URL)",
                "capital letters, digits and _, as written under a robot's env: (e.g. APP_URL)",
            ),
        )
    if _SECRET_LIKE.search(name):
        raise UsageError(
            tr(
                f"{name} はシークレットの名前に見えます。アセットには保存しません",
                f"{name} looks like a secret",
            ),
            hint=tr(
                f"パスワードなどは dxrpa secrets set ROBOT {name} で秘密情報として保存してください",
                f"store it in the secret store: dxrpa secrets set ROBOT {name}",
            ),
        )
    if len(value) > MAX_VALUE or "\n" in value or "\r" in value:
        raise UsageError(
            tr(
                f"{name}: 値は 1 行 {MAX_VALUE} 文字までです",
                f"{name}: one line of at most {MAX_VALUE} characters",
            )
        )


def run_environ(store: Store, environment: str) -> dict[str, str]:
    """The environment a run's ``env:`` names are read from: the process environment with the
    configured environment's assets on top."""
    with store.session() as s:
        assets = assets_repo.values(s, environment)
    return {**os.environ, **assets}
