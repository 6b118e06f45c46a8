"""Issue 12, secrets as taint: robots see only the env/secrets they declare, secrets never reach a
shown or stored value, every encoding of a secret is redacted (logs, traces), URLs lose their
userinfo password and query values, and a CPU-bound template cannot outlive its budget."""

# ruff: noqa: F811  (the real-app fixtures of tests/engine are imported and then used as arguments)
from __future__ import annotations

import base64
import html
import json
import sqlite3
import time
import zipfile
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import pytest

from dxrpa.cli import main
from dxrpa.demo.webapp import start_app
from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.secrets import allowed_env
from dxrpa.engine.templating import TemplateProblem, render
from dxrpa.errors import DefinitionErrors, ExitCode
from dxrpa.i18n import set_lang
from dxrpa.log import MASK, Redactor, my_number_spans, redact, redact_url
from tests.engine.conftest import robot_env, sample_app  # noqa: F401  (real app + home fixtures)

PASSWORD = 'Pa"ss/w&rd+ 4821é'  # quotes, slash, ampersand, plus, space, non-ASCII: every encoding differs
PIN = "Pin&9-7/3+zz"  # a non-secret value typed into a password field
MY_NUMBER = "123456789018"


def _encodings(value: str) -> dict[str, str]:
    """Every form in which a browser, a trace or a template may carry ``value`` (test-side list)."""
    raw = value.encode()
    forms = {
        "raw": value,
        "json": json.dumps(value)[1:-1],
        "json-utf8": json.dumps(value, ensure_ascii=False)[1:-1],
        "quote": quote(value, safe=""),
        "quote-path": quote(value),
        "quote_plus": quote_plus(value),
        "form": urlencode({"password": value}).split("=", 1)[1],
        "base64": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "html": html.escape(value),
        "reversed": value[::-1],
    }
    for user in ("staff01", "u", "ab"):  # Basic auth at every alignment
        token = base64.b64encode(f"{user}:{value}".encode()).decode()
        start = -(-(len(user) + 1) // 3) * 4  # the first group holding password bytes only
        forms[f"basic-{user}"] = token[start:].rstrip("=")[:-4]
    return forms


# --------------------------------------------------------------------------- redactor


@pytest.mark.parametrize("form", sorted(_encodings(PASSWORD)))
def test_redactor_masks_every_encoding(form: str) -> None:
    r = Redactor()
    r.add(PASSWORD)
    encoded = _encodings(PASSWORD)[form]
    user = form.removeprefix("basic-")
    basic = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    carrier = basic if form.startswith("basic-") else encoded
    out = r(f"before {carrier} after")
    assert encoded not in out and MASK in out
    assert out.startswith("before ") and out.endswith(" after")


def test_redactor_masks_basic_auth_header_whole() -> None:
    r = Redactor()
    r.add(PASSWORD)
    header = "Authorization: Basic " + base64.b64encode(f"staff01:{PASSWORD}".encode()).decode()
    assert r(header) == f"Authorization: Basic {MASK}"


@pytest.mark.parametrize(
    "written",
    [
        "1234－5678－9018",  # full-width hyphen
        "1234　5678　9018",  # ideographic space
        "1234.5678.9018",
        "1234/5678/9018",
        "1234ー5678ー9018",
        "1234‐5678‐9018",
        "1234 5678 9018",
        "1234-5678-9018",
        "１２３４５６７８９０１８",  # full-width digits
        "１２３４－５６７８－９０１８",
        "1234_5678_9018",
        "123456 789018",  # 6 + 6
        "1234  5678  9018",  # two spaces
        "1234\n5678\n9018",  # a line break inside (a cell of three lines)
        "1 2 3 4 5 6 7 8 9 0 1 8",  # one digit at a time
        "1234・5678・9018",
    ],
)
def test_my_number_separators_after_nfkc(written: str) -> None:
    text = f"番号: {written} です"
    assert redact(text) == f"番号: {MASK} です"
    assert my_number_spans(text) == [(4, 4 + len(written))]


def test_a_my_number_inside_a_longer_run_of_groups_is_found() -> None:
    """Windows overlap: 9812 1234 5678 starts a twelve-digit run that fails the check digit, and
    must not hide the My Number that starts four digits later."""
    assert redact("番号 9812 1234 5678 9018 です") == f"番号 9812 {MASK} です"
    assert redact("1234567890189") == "1234567890189"  # thirteen digits: not a My Number


def test_non_my_number_digits_survive() -> None:
    for text in ("123456789012", "1234-5678-9012", "1234ー5678ー9012", "電話 03-1234-5678"):
        assert redact(text) == text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://bob:hunter22@host.example/p?token=abc&x=1#frag",
            "https://bob:***@host.example/p?token=***&x=***#frag",
        ),
        ("http://h/p?pin=Pin&9-7/3+zz", "http://h/p?pin=***&***"),
        ("http://127.0.0.1:8000/applications?q=123456", "http://127.0.0.1:8000/applications?q=***"),
        ("http://127.0.0.1:8000/login", "http://127.0.0.1:8000/login"),
        ("about:blank", "about:blank"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


# --------------------------------------------------------------------------- static checks

BASE = """
name: taint_check
title: t
department: 市民課
baseline: {minutes_per_item: 1}
secrets: [APP_PASSWORD]
env: [APP_URL]
item:
"""


def _problems(body: str, head: str = BASE, lang: str = "en") -> list[str]:
    set_lang(lang)
    with pytest.raises(DefinitionErrors) as info:
        parse_robot("robots/taint_check.yaml", head + body)
    return [str(e) for e in info.value.errors]


def test_undeclared_env_is_a_definition_error_with_line() -> None:
    (msg,) = _problems('  - goto: "{{ env.APP_URL }}/{{ env.DXRPA_DATABASE_URL }}"\n')
    assert msg.startswith("robots/taint_check.yaml:9:")
    assert "env 'DXRPA_DATABASE_URL' is used but not declared" in msg


@pytest.mark.parametrize(
    "name", ["DXRPA_DATABASE_URL", "PGPASSWORD", "OTHER_ROBOT_PASSWORD", "API_TOKEN", "SIGNING_KEY"]
)
def test_credentials_can_never_be_declared_under_env(name: str) -> None:
    head = BASE.replace("env: [APP_URL]", f"env: [APP_URL, {name}]")
    (msg,) = _problems('  - goto: "{{ env.APP_URL }}"\n', head)
    assert ":7:" in msg and name in msg


@pytest.mark.parametrize(
    "step",
    [
        '  - expect: {text: "{{ secret.APP_PASSWORD|reverse }}"}',
        '  - log: "pw {{ secret.APP_PASSWORD }}"',
        "  - set: {x: \"{{ secret['APP_PASSWORD']|list|join(',') }}\"}",
        '  - extract: {css: "#x", into: y, what: attribute, attribute: "{{ secret.APP_PASSWORD }}"}',
        '  - if: {condition: "1", then: [{log: "{{ secret.APP_PASSWORD|upper }}"}]}',
    ],
)
def test_secret_in_shown_or_stored_step_is_refused(step: str) -> None:
    msgs = _problems(step + "\n")
    assert any("a secret cannot be used in" in m and ":9:" in m for m in msgs)
    assert all(PASSWORD not in m for m in msgs)


@pytest.mark.parametrize(
    "value",
    [
        "{{ secret.APP_PASSWORD|join('.') }}",
        "{{ secret.APP_PASSWORD[:4] }}{{ secret.APP_PASSWORD[4:] }}",
        "{{ secret['APP_PASSWORD']|reverse }}",
        "{{ secret.APP_PASSWORD.replace('a', 'b') }}",
        "{{ secret.APP_PASSWORD ~ 'x' }}",
        "{% if secret.APP_PASSWORD %}x{% endif %}",
    ],
)
def test_a_secret_transformed_anywhere_is_refused_even_in_fill(value: str) -> None:
    """A split or reversed secret typed into a field and read back would be a form no redactor knows."""
    msgs = _problems(f'  - fill: {{label: 氏名, value: "{value}"}}\n')
    assert any("a secret can only be used whole" in m and ":9:" in m for m in msgs), msgs
    (ja,) = _problems(f'  - fill: {{label: 氏名, value: "{value}"}}\n', lang="ja")
    assert "シークレットはそのままの形" in ja and "dxrpa secrets set" in ja


def test_a_whole_secret_in_fill_or_a_url_is_fine() -> None:
    for step in (
        '  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}',
        '  - goto: "{{ env.APP_URL }}/login?token={{ secret.APP_PASSWORD }}"',
    ):
        parse_robot("robots/taint_check.yaml", BASE + step + "\n")


def test_whole_secret_or_env_mapping_is_refused() -> None:
    msgs = _problems('  - fill: {css: "#a", value: "{{ secret }} {{ env|list }}"}\n')
    assert any("'secret' may only be used as secret.NAME" in m for m in msgs)
    assert any("'env' may only be used as env.NAME" in m for m in msgs)


def test_cli_validate_reports_undeclared_env(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    robot = tmp_path / "taint_check.yaml"
    robot.write_text(BASE + '  - goto: "{{ env.HOME }}"\n', encoding="utf-8")
    assert main(["robots", "validate", str(robot)]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert f"{robot}:9" in err and "HOME" in err


# --------------------------------------------------------------------------- template budget


def test_nested_loop_template_stops_within_budget() -> None:
    started = time.monotonic()
    template = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    with pytest.raises(TemplateProblem, match="rendering budget"):
        render(template, {})
    silent = "{% set xs = range(100000)|list %}{% for i in xs %}{% for j in xs %}{% endfor %}{% endfor %}"
    with pytest.raises(TemplateProblem, match="rendering budget"):
        render(silent, {})
    for huge in ("{{ 'x' * 1000000000 }}", "{{ '%0999999999d' % 1 }}", "{{ 'ab'|zfill(10**9) }}"):
        with pytest.raises(TemplateProblem, match="rendering budget"):
            render(huge, {})
    assert time.monotonic() - started < 10
    assert render("{% for i in range(3) %}{{ i }}{% endfor %} {{ '%03d' % 7 }}", {}) == "012 007"


# --------------------------------------------------------------------------- real runs

LEAKY = """
name: taint_run
title: 秘密の扱い(テスト)
department: 市民課
baseline: {minutes_per_item: 1}
secrets: [APP_USER, APP_PASSWORD]
env: [APP_URL]
data:
  csv: data/taint.csv
  key: ref
setup:
  - goto: "{{ env.APP_URL }}/login"
  - fill: {label: ユーザーID, value: "{{ secret.APP_USER }}"}
  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}
  - click: {role: button, name: ログイン}
item:
  - goto: "{{ env.APP_URL }}/applications?token={{ secret.APP_PASSWORD }}"
  - goto: "{{ env.APP_URL }}/login"
  - fill: {label: ユーザーID, value: "{{ item.個人番号 }}"}
  - fill: {label: パスワード, value: "{{ item.暗証 }}"}
  - click: {role: button, name: ログイン}
  - expect: {text: この文言は表示されない}
    timeout_ms: 1500
retries: 0
"""


def _members(root: Path) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in root.rglob("*"):
        if path.is_file():
            out.append((str(path), path.read_bytes()))
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as z:
                    out.extend((f"{path}!{n}", z.read(n)) for n in z.namelist())
    return out


def _run_app_robot(home: Path, monkeypatch: pytest.MonkeyPatch, robot: str) -> int:
    (home / "data").mkdir(exist_ok=True)
    csv = f"ref,暗証,個人番号\r\n1,{PIN},{MY_NUMBER}\r\n"
    (home / "data" / "taint.csv").write_text(csv, encoding="utf-8")
    app = start_app(users={"staff01": PASSWORD})
    monkeypatch.setenv("APP_URL", app.url)
    monkeypatch.setenv("APP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SOME_OTHER_SECRET", "other-robots-secret")
    try:
        (home / "robots" / "taint_run.yaml").write_text(robot, encoding="utf-8")
        assert main(["robots", "register", "robots/taint_run.yaml"]) == 0
        return main(["--verbose", "run", "taint_run"])
    finally:
        app.stop()


@pytest.mark.parametrize("snapshots", ["false", "true"])  # DOM snapshots are opt-in: both are scrubbed
def test_failure_trace_and_var_hold_no_encoding_of_secret_or_password_field(
    robot_env: Path, monkeypatch: pytest.MonkeyPatch, snapshots: str
) -> None:
    monkeypatch.setenv("DXRPA_BROWSER__TRACE_SNAPSHOTS", snapshots)
    robot = LEAKY
    assert _run_app_robot(robot_env, monkeypatch, robot) == ExitCode.ITEMS_FAILED
    var = robot_env / "var"
    traces = list(var.rglob("*-trace.zip"))
    assert traces, "the failure must leave a trace to inspect"
    with zipfile.ZipFile(traces[0]) as z:
        names = z.namelist()
        assert any(n.endswith(".trace") for n in names) and any(n.endswith(".network") for n in names)
        events = z.read(next(n for n in names if n.endswith("trace.trace"))).decode()
    assert '"method":"fill"' in events.replace(" ", ""), "the trace still records the fill actions"
    needles = {
        f"{label} of {what}": form
        for what, value in (("secret", PASSWORD), ("pin", PIN))
        for label, form in _encodings(value).items()
    }
    needles |= {"my number": MY_NUMBER, "my number hyphen": "1234-5678-9018"}
    leaks = [
        (where, label)
        for where, data in _members(var)
        for label, needle in needles.items()
        if needle.encode() in data
    ]
    assert leaks == []


def test_url_with_secret_query_is_stored_redacted(robot_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    robot = LEAKY
    robot = robot.replace(
        '  - goto: "{{ env.APP_URL }}/login"\n  - fill: {label: ユーザーID, value: "{{ item',
        '  - goto: "{{ env.APP_URL }}/nowhere?ref={{ item.ref }}&pin={{ item.暗証 }}"\n'
        '  - fill: {label: ユーザーID, value: "{{ item',
        1,
    )
    # the page at /nowhere answers 404: a business error naming the status (exit 10), stored with its URL
    assert _run_app_robot(robot_env, monkeypatch, robot) == ExitCode.ITEMS_FAILED
    db = sqlite3.connect(robot_env / "var" / "dxrpa.db")
    try:
        stored = "\n".join(
            str(v)
            for table in ("runs", "work_items", "item_attempts")
            for row in db.execute(f"SELECT * FROM {table}")
            for v in row
        )
    finally:
        db.close()
    assert quote_plus(PIN) not in stored and PIN not in stored and quote(PIN, safe="") not in stored
    assert "pin=***" in stored or "?ref=***" in stored


def test_secret_reaching_a_shown_value_at_run_time_is_a_definition_error(
    robot_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The static check cannot see ``vars`` built from a secret-filled field read back by extract."""
    robot = """
name: taint_run
title: 秘密の扱い(テスト)
department: 市民課
baseline: {minutes_per_item: 1}
secrets: [APP_USER, APP_PASSWORD]
env: [APP_URL]
item:
  - goto: "{{ env.APP_URL }}/login"
  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}
  - extract: {label: パスワード, what: value, into: echoed}
  - log: "echo {{ vars.echoed|reverse }}"
outputs: [echoed]
retries: 0
"""
    code = _run_app_robot(robot_env, monkeypatch, robot)
    out = capsys.readouterr()
    assert code == ExitCode.DEFINITION
    shown = out.err + out.out
    assert "item step 3 (extract)" in shown or "item 手順 3 (extract)" in shown
    assert "holds a secret" in shown or "シークレットの値が含まれる" in shown
    everything = b"".join(data for _, data in _members(robot_env / "var"))
    for form in _encodings(PASSWORD).values():
        assert form.encode() not in everything


def test_env_holds_declared_names_only() -> None:
    """A dynamic lookup (``env[vars.name]``) is refused statically; the mapping a robot gets at run
    time holds its declared names only, never another robot's secret or dxrpa's settings."""
    for use in ("{{ env[vars.name] }}", "{{ env|length }}", "{% for k in env %}{{ k }}{% endfor %}"):
        msgs = _problems(f'  - goto: "{{{{ env.APP_URL }}}}/{use}"\n')
        assert any("'env' may only be used as env.NAME" in m for m in msgs)
    environ = {"APP_URL": "http://x", "PGPASSWORD": "p", "DXRPA_DATABASE_URL": "postgresql://u:p@h/d"}
    assert allowed_env(["APP_URL", "NOT_SET"], environ) == {"APP_URL": "http://x"}


def test_cpu_bound_item_template_ends_fast_and_run_finishes(
    robot_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    robot = """
name: taint_run
title: 重いテンプレート(テスト)
department: 市民課
baseline: {minutes_per_item: 1}
env: [APP_URL]
data:
  items: [{ref: "1"}, {ref: "2"}]
  key: ref
item:
  - goto: "{{ env.APP_URL }}/login"
  - fill:
      label: ユーザーID
      value: "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
limits: {item_timeout_seconds: 300}
retries: 0
"""
    started = time.monotonic()
    code = _run_app_robot(robot_env, monkeypatch, robot)
    assert time.monotonic() - started < 60
    assert code == ExitCode.DEFINITION
    db = sqlite3.connect(robot_env / "var" / "dxrpa.db")
    try:
        (status,) = db.execute("SELECT status FROM runs").fetchone()
        errors = [r[0] for r in db.execute("SELECT error_message FROM item_attempts")]
    finally:
        db.close()
    assert status not in ("running", None)
    assert any("rendering budget" in (e or "") for e in errors)


def test_item_time_limit_holds_for_a_loop_of_cpu_bound_steps(
    robot_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each render stays within its budget, but 100 000 of them would run for an hour: the item
    limit must still cut the item off (steps that never await used to starve the timeout)."""
    robot = """
name: taint_run
title: 重いループ(テスト)
department: 市民課
baseline: {minutes_per_item: 1}
item:
  - for_each:
      in: "range(100000)|list"
      as: n
      steps:
        - set: {x: "{% for i in range(20000) %}{% endfor %}{{ n }}"}
limits: {item_timeout_seconds: 3}
retries: 0
"""
    started = time.monotonic()
    code = _run_app_robot(robot_env, monkeypatch, robot)
    assert time.monotonic() - started < 45
    assert code == ExitCode.ITEMS_FAILED
    db = sqlite3.connect(robot_env / "var" / "dxrpa.db")
    try:
        errors = [r[0] for r in db.execute("SELECT error_message FROM item_attempts")]
    finally:
        db.close()
    assert any("3" in (e or "") and ("秒" in (e or "") or " s" in (e or "")) for e in errors), errors
