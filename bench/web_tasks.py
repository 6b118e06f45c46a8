"""Web-task suite: 20 small robots against 20 public-style pages served from 127.0.0.1, each run
the way staff run it (``dxrpa run`` in its own process, a fresh home, durability on).

    python bench/web_tasks.py            # all 20 tasks
    python bench/web_tasks.py --only popup,aria_grid

The pages copy what legacy municipal systems and the public practice apps are full of: new
windows, dialog chains, ARIA grids, spanning and paged tables, hover menus, late and AJAX
content, frames, shadow DOM, Basic authentication, cp932 pages, a CDN-only jQuery, HTTP 404 as a
business outcome and a CSV downloaded and looped over in the same run. No task waits a fixed
time. Prints tasks passed, median seconds per task (whole process) and retries per task.
"""

from __future__ import annotations

import argparse
import base64
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from _common import CHROMIUM, ROOT, machine

HTML = "text/html; charset=utf-8"


def page(body: str, title: str = "業務システム", head: str = "") -> bytes:
    return (
        f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f"<body>{body}</body></html>"
    ).encode()


PAGES: dict[str, tuple[int, str, bytes, dict[str, str]]] = {
    "/form": (
        200,
        HTML,
        page(
            '<form action="/done" method="get"><label for="n">氏名</label><input id="n" name="n">'
            '<label for="k">種別</label><select id="k" name="k"><option value="">選択</option>'
            "<option>転入</option><option>転出</option></select><button>登録</button></form>"
        ),
        {},
    ),
    "/done": (200, HTML, page('<p id="ok">登録しました</p>'), {}),
    "/late": (
        200,
        HTML,
        page(
            '<div id="c"></div><script>setTimeout(() => { c.innerHTML ='
            ' \'<button onclick="r.textContent=1">検索</button><span id="r"></span>\' }, 700)</script>'
        ),
        {},
    ),
    "/ajax": (
        200,
        HTML,
        page(
            '<ul id="l"></ul><script>fetch("/api/list").then(r => r.json()).then(xs =>'
            " { l.innerHTML = xs.map(x => '<li>' + x + '</li>').join('') })</script>"
        ),
        {},
    ),
    "/api/list": (200, "application/json", '["北区","南区","東区"]'.encode(), {}),
    "/frames": (200, HTML, page('<iframe id="f" src="/frame-inner"></iframe>'), {}),
    "/frame-inner": (
        200,
        HTML,
        page(
            '<label for="m">連絡事項</label><input id="m"><button '
            "onclick=\"o.textContent='受付:'+m.value\">送信</button><p id=o></p>"
        ),
        {},
    ),
    "/shadow": (
        200,
        HTML,
        page(
            '<x-card></x-card><script>customElements.define("x-card", class extends HTMLElement {'
            " connectedCallback() { this.attachShadow({mode: 'open'}).innerHTML ="
            " '<button onclick=\"this.nextElementSibling.textContent=\\'済\\'\">確定</button>"
            "<b></b>' } })</script>"
        ),
        {},
    ),
    "/popup": (200, HTML, page('<a href="/detail?no=A-7" target="_blank">詳細</a>'), {}),
    "/detail": (200, HTML, page('<h1>詳細画面</h1><p id="no">A-7</p>', title="詳細"), {}),
    "/dialogs": (
        200,
        HTML,
        page(
            "<button onclick=\"if (confirm('登録しますか')) { alert('登録しました');"
            " r.textContent='済' }\">登録</button>"
            "<button onclick=\"r2.textContent = prompt('世帯番号', '0001')\">番号</button>"
            "<p id=r></p><p id=r2></p>"
        ),
        {},
    ),
    "/grid": (
        200,
        HTML,
        page(
            '<div role="grid" aria-label="一覧"><div role="row"><span role="columnheader">番号</span>'
            '<span role="columnheader">氏名</span></div><div role="row"><span role="gridcell">1</span>'
            '<span role="gridcell">青木</span></div><div role="row"><span role="gridcell">2</span>'
            '<span role="gridcell">井上</span></div></div>'
        ),
        {},
    ),
    "/spans": (
        200,
        HTML,
        page(
            '<table id="t"><thead><tr><th rowspan="2">地区</th><th colspan="2">人口</th></tr>'
            "<tr><th>男</th><th>女</th></tr></thead><tbody><tr><td>北区</td><td>10</td><td>11</td></tr>"
            '<tr><td>南区</td><td colspan="2">非公表</td></tr></tbody></table>'
        ),
        {},
    ),
    "/paged": (
        200,
        HTML,
        page(
            '<table id="p"><thead><tr><th>番号</th></tr></thead><tbody></tbody></table><button id="nx"'
            ' onclick="show(pg+1)">次へ</button><script>let pg=0; function show(n) { pg=n; setTimeout(() => {'
            " document.querySelector('#p tbody').innerHTML = [1,2,3,4,5,6].slice(n*2, n*2+2).map(v =>"
            " '<tr><td>'+v+'</td></tr>').join(''); nx.disabled = (n+1)*2 >= 6 }, 60) } show(0)</script>"
        ),
        {},
    ),
    "/hover": (
        200,
        HTML,
        page(
            "<style>#m ul{display:none} #m:hover ul{display:block}</style><div id=m><span>メニュー</span>"
            '<ul><li><a href="#" onclick="r.textContent=\'届出\'">届出</a></li></ul></div><p id=r></p>'
        ),
        {},
    ),
    "/multi": (
        200,
        HTML,
        page(
            '<label for="d">必要書類</label><select id="d" multiple><option>住民票</option><option>印鑑証明'
            "</option><option>戸籍謄本</option></select>"
        ),
        {},
    ),
    "/basic": (200, HTML, page("<h1>庁内システム</h1>"), {"X-Basic": "clerk:s3cret"}),
    "/sjis": (
        200,
        "text/html; charset=shift_jis",
        '<html><body><p id="t">住民票の写し</p></body></html>'.encode("cp932"),
        {},
    ),
    "/cdn": (
        200,
        HTML,
        page(
            '<p id="r">未</p><script>if (window.$) $("#r")</script>',
            head=('<script src="https://code.jquery.example/jquery.min.js"></script>'),
        ),
        {},
    ),
    "/residents/404": (404, HTML, page("<h1>該当なし</h1>"), {}),
    "/export": (200, HTML, page('<a href="/list.csv">CSV出力</a>'), {}),
    "/list.csv": (
        200,
        "text/csv; charset=shift_jis",
        "番号,氏名\r\n1,青木\r\n2,井上\r\n".encode("cp932"),
        {"Content-Disposition": 'attachment; filename="list.csv"'},
    ),
    "/radios": (
        200,
        HTML,
        page(
            '<div id="g"></div><script>setTimeout(() => { g.innerHTML ='
            ' \'<label><input type="radio" name="p">'
            '窓口</label><label><input type="radio" name="p">郵送</label>\' }, 500)</script>'
        ),
        {},
    ),
    "/scroll": (
        200,
        HTML,
        page(
            '<div id="l" style="height:200px;overflow:auto"><div style="height:1200px">上</div>'
            '<p id="end">最後の行</p></div>'
        ),
        {},
    ),
}

JQUERY = "window.$ = (sel) => { document.querySelector(sel).textContent = '読込済'; };\n"

TASKS: dict[str, str] = {
    "form_entry": """
  - goto: "{{ env.APP_URL }}/form"
  - fill: {label: 氏名, value: 山田 太郎}
  - select: {label: 種別, value: 転入}
  - click: {role: button, name: 登録}
  - expect: {text: 登録しました}""",
    "late_button": """
  - goto: "{{ env.APP_URL }}/late"
  - click: {role: button, name: 検索}
  - expect: {text: "1"}""",
    "ajax_list": """
  - goto: "{{ env.APP_URL }}/ajax"
  - count: {css: "#l li", into: n}
  - wait: {text: 東区}
  - count: {css: "#l li", into: n}
  - assert: {that: "vars.n == 3"}""",
    "iframe": """
  - goto: "{{ env.APP_URL }}/frames"
  - frame:
      selector: "#f"
      steps:
        - fill: {label: 連絡事項, value: 至急}
        - click: {role: button, name: 送信}
        - expect: {text: "受付:至急"}""",
    "shadow_dom": """
  - goto: "{{ env.APP_URL }}/shadow"
  - click: {role: button, name: 確定}
  - expect: {text: 済}""",
    "popup": """
  - goto: "{{ env.APP_URL }}/popup"
  - popup:
      click: {role: link, name: 詳細}
      steps:
        - extract: {css: "#no", into: num}
  - assert: {that: "vars.num == 'A-7'"}""",
    "dialog_chain": """
  - goto: "{{ env.APP_URL }}/dialogs"
  - dialog: {contains: 登録しますか, then: [{contains: 登録しました}]}
  - click: {role: button, name: 登録}
  - expect: {text: 済}""",
    "prompt_default": """
  - goto: "{{ env.APP_URL }}/dialogs"
  - dialog: {default: true}
  - click: {role: button, name: 番号}
  - assert: {text: {css: "#r2"}, equals: "0001"}""",
    "aria_grid": """
  - goto: "{{ env.APP_URL }}/grid"
  - extract: {role: grid, name: 一覧, what: table, into: rows}
  - assert: {that: "vars.rows[1].氏名 == '井上'"}""",
    "span_table": """
  - goto: "{{ env.APP_URL }}/spans"
  - extract: {css: "#t", what: table, into: rows}
  - assert: {that: "vars.rows[1]['人口/女'] == '非公表'"}""",
    "paged_table": """
  - goto: "{{ env.APP_URL }}/paged"
  - wait: {selector: {css: "#p td", nth: 0}}
  - extract: {css: "#p", what: table, next: {css: "#nx"}, into: rows}
  - assert: {that: "vars.rows | length == 6"}""",
    "hover_menu": """
  - goto: "{{ env.APP_URL }}/hover"
  - hover: {text: メニュー}
  - click: {role: link, name: 届出}
  - expect: {text: 届出}""",
    "multi_select": """
  - goto: "{{ env.APP_URL }}/multi"
  - select: {label: 必要書類, value: [住民票, 戸籍謄本]}""",
    "basic_auth": """
  - goto: "{{ env.APP_URL }}/basic"
  - expect: {text: 庁内システム}""",
    "cp932_page": """
  - goto: "{{ env.APP_URL }}/sjis"
  - assert: {text: {css: "#t"}, equals: 住民票の写し}""",
    "cdn_asset": """
  - goto: "{{ env.APP_URL }}/cdn"
  - expect: {text: 読込済}""",
    "http_404": """
  - goto: "{{ env.APP_URL }}/residents/404"
  - expect: {status: 404, business_error: 未登録の番号です}""",
    "csv_loop": """
  - goto: "{{ env.APP_URL }}/export"
  - download: {text: CSV出力, save_as: downloads/list.csv, into: csv}
  - read_csv: {file: "{{ vars.csv }}", into: rows}
  - for_each:
      in: vars.rows
      as: row
      steps:
        - log: "{{ row.番号 }}"
  - assert: {that: "vars.rows | length == 2"}""",
    "late_radios": """
  - goto: "{{ env.APP_URL }}/radios"
  - check: {label: 郵送}""",
    "scroll_into_view": """
  - goto: "{{ env.APP_URL }}/scroll"
  - expect: {visible: {css: "#end"}}
  - extract: {css: "#end", into: last}""",
}
EXPECTED = {"http_404": "business_error"}  # the business outcome this task is about


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes, dict[str, str]]]] = PAGES

    def do_GET(self) -> None:
        status, ctype, body, headers = self.routes.get(self.path.split("?")[0], (404, "text/plain", b"-", {}))
        headers = dict(headers)
        wanted = headers.pop("X-Basic", None)
        if (
            wanted
            and self.headers.get("Authorization", "") != "Basic " + base64.b64encode(wanted.encode()).decode()
        ):
            status, body, headers = 401, b"auth", {"WWW-Authenticate": 'Basic realm="city"'}
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def robot_text(name: str, steps: str) -> str:
    browser = "{headless: true, allowed_domains: [127.0.0.1]}"
    extra = ""
    if name == "basic_auth":
        browser = (
            "{headless: true, allowed_domains: [127.0.0.1],"
            " http_credentials: {username: BASIC_USER, password: BASIC_PASS}}"
        )
        extra = "secrets: [BASIC_USER, BASIC_PASS]\n"
    if name == "cdn_asset":
        browser = (
            "{headless: true, allowed_domains: [127.0.0.1],"
            ' assets: {"https://code.jquery.example/jquery.min.js": data/jquery.min.js}}'
        )
    return (
        f"name: {name}\ntitle: {name}\ndepartment: 情報政策課\nbaseline: {{minutes_per_item: 1}}\n"
        f"browser: {browser}\nenv: [APP_URL]\n{extra}retries: 2\nretry_backoff_seconds: 0\nitem:{steps}\n"
    )


def dx(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxrpa", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
        cwd=env["DXRPA_HOME"],
    )


def run_task(name: str, steps: str, base: str, work: Path) -> tuple[bool, float, int, str]:
    home = work / name
    (home / "robots").mkdir(parents=True)
    (home / "data").mkdir()
    (home / "data" / "jquery.min.js").write_text(JQUERY, encoding="utf-8")
    (home / "robots" / f"{name}.yaml").write_text(robot_text(name, steps), encoding="utf-8")
    env = dict(os.environ)
    env.update(DXRPA_HOME=str(home), APP_URL=base, DXRPA_BROWSER__EXECUTABLE=CHROMIUM, DXRPA_LANG="en")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    for args, stdin in (
        (("robots", "register", f"robots/{name}.yaml", "--yes"), None),
        (("robots", "approve", name), None),
        *(
            (("secrets", "set", key), value)
            for key, value in (("BASIC_USER", "clerk"), ("BASIC_PASS", "s3cret"))
            if name == "basic_auth"
        ),
    ):
        done = dx(env, *args, stdin=stdin)
        if done.returncode != 0:
            return False, 0.0, 0, f"{' '.join(args)}: {done.stdout[-300:]}{done.stderr[-300:]}"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dxrpa", "run", name],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=home,
    )
    seconds = time.perf_counter() - started
    con = sqlite3.connect(home / "var" / "dxrpa.db")
    try:
        rows = con.execute("select attempt, status from item_attempts order by id").fetchall()
    finally:
        con.close()
    retries = max(0, len(rows) - 1)
    wanted = EXPECTED.get(name, "done")
    ok = bool(rows) and rows[-1][1] == wanted
    detail = "" if ok else (done.stdout[-400:] + done.stderr[-400:]).strip()
    return ok, seconds, retries, detail


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated task names")
    opts = parser.parse_args()
    names = [n for n in TASKS if not opts.only or n in opts.only.split(",")]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"web tasks — {machine()}; each task is `dxrpa run` in a fresh process and home")
    results: list[tuple[str, bool, float, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            ok, seconds, retries, detail = run_task(name, TASKS[name], base, Path(tmp))
            results.append((name, ok, seconds, retries, detail))
            print(f"  {'ok ' if ok else 'FAIL'} {name:18s} {seconds:5.2f} s  retries {retries}")
            if detail:
                print("       " + detail.replace("\n", "\n       ")[:800])
    server.shutdown()
    passed = sum(r[1] for r in results)
    print(f"tasks passed: {passed}/{len(results)}")
    print(
        f"median seconds per task (whole `dxrpa run` process): {statistics.median(r[2] for r in results):.2f}"
    )
    print(f"retries per task: {sum(r[3] for r in results) / max(1, len(results)):.2f}")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
