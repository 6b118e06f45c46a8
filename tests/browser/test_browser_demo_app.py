"""Steps against the sample municipal web app (login with secrets, server-side validation)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from dxrpa.demo.webapp import DEFAULT_USERS, SampleApp, start_app
from dxrpa.errors import BusinessError

from .conftest import Harness


@pytest.fixture(scope="module")
def app() -> Iterator[SampleApp]:
    running = start_app()
    yield running
    running.stop()


def test_login_and_server_side_validation_is_business_error(h: Harness, app: SampleApp) -> None:
    user, password = next(iter(DEFAULT_USERS.items()))
    login: list[dict[str, Any]] = [
        {"goto": "{{ env.APP_URL }}/login"},
        {"fill": {"label": "ユーザーID", "value": "{{ secret.APP_USER }}"}},
        {"fill": {"label": "パスワード", "value": "{{ secret.APP_PASSWORD }}"}},
        {"click": {"role": "button", "name": "ログイン"}},
        {"goto": "{{ env.APP_URL }}/applications/new"},
        {"expect": {"visible": {"role": "heading", "name": "住民票の写し等交付申請"}}},
    ]
    secrets = {"APP_USER": user, "APP_PASSWORD": password}
    env = {"APP_URL": app.url}
    h.run_item(login, secrets=secrets, env=env)
    started = time.perf_counter()
    with pytest.raises(BusinessError) as err:
        h.run_item(
            [
                {"fill": {"label": "氏名", "value": "{{ item.氏名 }}"}},
                {"click": {"role": "button", "name": "次へ"}},
                {
                    "expect": {
                        "url": "/applications/new/step2",
                        "business_error": "申請者の入力に誤りがあります",
                        "error_text": {"css": "#error-summary"},
                    },
                    "timeout_ms": 10_000,
                },
            ],
            item={"氏名": "山田 太郎"},
            env=env,
        )
    assert "申請者の入力に誤りがあります: 入力内容に誤りがあります" in str(err.value)
    assert time.perf_counter() - started < 5  # failed as soon as the page showed its error
