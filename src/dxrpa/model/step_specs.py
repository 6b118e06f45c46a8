"""Every step action in one table: its YAML key, the ``Step`` field that holds it, the step lists it
nests, whether a secret may flow into it, and its documentation.

``ACTIONS`` and ``NESTED_STEPS`` (:mod:`dxrpa.model.robot`), the taint rule's sinks
(:mod:`dxrpa.engine.definitions`), the JSON Schema's one-action rule and descriptions
(:mod:`dxrpa.model.schema_help`), the engine's handlers (:mod:`dxrpa.engine.steps`, checked at
import) and the steps table of ``docs/steps.md`` (:func:`docs_table`, checked by a test) all come
from here, so a new action is one entry plus its handler.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepSpec:
    key: str  # the YAML key
    ja: str  # one line for the editor's hover (Japanese)
    en: str  # the same in English
    doc: str  # its row in the English steps table of docs/steps.md
    field: str = ""  # the Step field when the key is a Python keyword (if_, assert_)
    nested: tuple[str, ...] = ()  # keys of the step lists it holds
    secret_sink: bool = False  # its rendered values are shown or stored: no secret may flow in

    @property
    def attr(self) -> str:
        return self.field or self.key


STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        "goto",
        ja="ページを開く (URL)",
        en="open a page (URL)",
        doc=(
            "(robot-wide `http_errors: {404: business, 503: system}` classifies a status for every "
            "page) open a URL (`wait_until`: load / domcontentloaded / networkidle / commit); "
            "`http_errors: {404: 未登録}` declares what a status means (a BusinessError with that text);"
            " other 4xx are BusinessErrors naming the status, 5xx retried system errors, 401 a robot "
            "defect pointing at `browser.http_credentials`"
        ),
    ),
    StepSpec(
        "click",
        ja="クリック",
        en="click",
        doc="click; `dialog: accept/dismiss` answers the dialog it opens; `double: true`; `submit: true`",
    ),
    StepSpec(
        "fill",
        ja="入力 (前の値は消えます)",
        en="type into a field (replaces its value)",
        doc=(
            "type into an input (clears it first); fills from `secret.` are logged as `***`, other "
            "values only by length"
        ),
    ),
    StepSpec(
        "select",
        ja="プルダウンの選択",
        en="choose in a drop-down",
        doc=(
            "choose an option by value or visible label (a list selects several in a `multiple` "
            "select); a value that is not offered is a BusinessError listing the options"
        ),
    ),
    StepSpec(
        "check",
        ja="チェックボックス・ラジオを選ぶ",
        en="tick a checkbox or radio",
        doc=(
            'tick a checkbox or radio; with `value:` it ticks when truthy and unticks on "false", '
            '"0", "いいえ", "" …'
        ),
    ),
    StepSpec(
        "uncheck",
        ja="チェックを外す",
        en="untick a checkbox",
        doc="untick a checkbox",
    ),
    StepSpec(
        "press",
        ja="キー操作 (Enter など)",
        en="press a key (Enter …)",
        doc="press a key on an element (`Enter`, `Control+A`)",
    ),
    StepSpec(
        "upload",
        ja="ファイルの添付",
        en="attach files",
        doc=(
            "set file input(s): a path in the run folder (a download), else relative to home inside "
            "the robot's `folders:`; anything else stops the run (exit 3)"
        ),
    ),
    StepSpec(
        "download",
        ja="ダウンロードして保存",
        en="download and save",
        doc=(
            "click and save the download to `save_as` inside the run folder (absolute/`..`/symlinks "
            "out refused); `into:` gets the path"
        ),
    ),
    StepSpec(
        "wait",
        ja="待つ",
        en="wait",
        doc=(
            "one of `selector` (+`state`), `text`, `url` (glob; `/path` on any host; `re:` regex), "
            "`load_state`, `seconds`"
        ),
    ),
    StepSpec(
        "expect",
        ja="確認 (失敗したら項目は失敗)",
        en="check (a failure fails the item)",
        doc=(
            "one of `text`, `visible`, `hidden`, `url`, `count`, `status` (`{status: 404, "
            "business_error: 未登録}`: the page answering 404 is that business error, any other status "
            "goes on); with `business_error:` a failure is a BusinessError (+ the page's "
            "`error_text:`, which also fails fast)"
        ),
        secret_sink=True,
    ),
    StepSpec(
        "extract",
        ja="画面から値を取り出す",
        en="read a value from the page",
        doc=(
            "`what:` text (default), value, attribute (+`attribute:`), html, table (list of dicts "
            "keyed by header) into `into:`; tables may be `<table>` or ARIA "
            "`table`/`grid`/`treegrid`, colspan/rowspan fill every covered cell, two header rows join"
            " as `親/子`, `headers:` names a header-less table's columns, `next:` (+`max_pages:`, "
            "default 50) reads every page"
        ),
        secret_sink=True,
    ),
    StepSpec(
        "screenshot",
        ja="画面を保存",
        en="save a screenshot",
        doc=(
            "save `screenshots/<name>.png` in the run folder, masking `pii:` locators, personal "
            "inputs and personal text"
        ),
    ),
    StepSpec(
        "set",
        ja="変数に値を入れる",
        en="set variables",
        doc="set variables; a lone `{{ expr }}` keeps its type",
        secret_sink=True,
    ),
    StepSpec(
        "if",
        field="if_",
        ja="条件分岐",
        en="condition",
        doc="`condition:` (Jinja expression), `then:`, `else:`",
        nested=("then", "else"),
    ),
    StepSpec(
        "for_each",
        ja="繰り返し",
        en="repeat for each element",
        doc="`in:` (a list), `as:` (default `row`), `steps:`; errors name the iteration `[2/10]`",
        nested=("steps",),
    ),
    StepSpec(
        "frame",
        ja="iframe の中で手順を実行 {selector, steps}",
        en="run steps inside an iframe {selector, steps}",
        doc="run `steps:` inside the iframe `selector:`",
        nested=("steps",),
    ),
    StepSpec(
        "dialog",
        ja="次に出るダイアログへの答えを予約",
        en="queue answers for the next dialogs",
        doc=(
            "queue answers for the next dialogs: `accept:` (default true), `text:` (prompt), "
            "`default: true` (keep the prompt's default), `contains:` (the message must contain it), "
            "`then:` (answers for the dialogs that follow); a dialog with no answer is dismissed and "
            "stops the robot naming its text"
        ),
    ),
    StepSpec(
        "ocr",
        ja="画面の一部やダウンロードしたファイルを OCR",
        en="OCR a part of the page or a downloaded file",
        doc=(
            "read a `locator:` screenshot or a `file:` (with `template:`) into `into:` when OCR is wired in"
        ),
    ),
    StepSpec(
        "log",
        ja="ログに書く",
        en="write to the log",
        doc="write a message (templated, secrets and My Numbers redacted)",
        secret_sink=True,
    ),
    StepSpec(
        "hover",
        ja="マウスを載せる (メニューを開く)",
        en="move the mouse over an element (opens menus)",
        doc="move the mouse over an element (menus that open on hover)",
    ),
    StepSpec(
        "count",
        ja="要素の数を数えて変数へ",
        en="count the matches of a locator into a variable",
        doc="the number of matches of a locator (0 when none) into `into:`",
        secret_sink=True,
    ),
    StepSpec(
        "assert",
        field="assert_",
        ja="値や要素の文字を確かめる",
        en="check a value or an element's text",
        doc=(
            "`that:` (an expression) or `text:` (a locator) with `equals:`/`contains:`/`matches:`; "
            "with `business_error:` a failure is a BusinessError"
        ),
        secret_sink=True,
    ),
    StepSpec(
        "evaluate",
        ja="ページで JavaScript を実行 (allow_javascript: true のときだけ)",
        en="run JavaScript in the page (only with allow_javascript: true)",
        doc=(
            "run the robot's own JavaScript function `script:` (no templates; values via `arg:`) in "
            "the page, result into `into:`; only with `browser: {allow_javascript: true}`"
        ),
        secret_sink=True,
    ),
    StepSpec(
        "popup",
        ja="新しいウィンドウ・タブを開いて中で操作",
        en="open a new window or tab and work in it",
        doc=(
            "`click:` something that opens a window or tab, run `steps:` in it, then `close:` it "
            "(default) and return"
        ),
        nested=("steps",),
    ),
    StepSpec(
        "window",
        ja="開いているウィンドウに切り替えて操作",
        en="switch to an open window and work in it",
        doc=(
            "switch to an open window by `title:` (part) or `url:` (glob/`re:`), run `steps:`, "
            "optionally `close:`"
        ),
        nested=("steps",),
    ),
    StepSpec(
        "read_csv",
        ja="実行中にダウンロードした CSV を読む (for_each で回す)",
        en="read a CSV downloaded during the run (loop over it with for_each)",
        doc=(
            "read a CSV downloaded earlier in the run (`file:` inside the run folder, `encoding:` "
            "auto) into `into:` as a list of rows for `for_each`"
        ),
    ),
)

BY_KEY = {s.key: s for s in STEPS}

TABLE_START = "<!-- steps table: generated from dxrpa/model/step_specs.py -->"
TABLE_END = "<!-- end of the steps table -->"


def docs_table() -> str:
    """The steps table of docs/steps.md, between its markers.

    Regenerate it with ``python -m dxrpa.model.step_specs``."""
    rows = [f"| `{s.key}` | {s.doc} |" for s in STEPS]
    return "\n".join([TABLE_START, "| Step | What it does |", "|---|---|", *rows, TABLE_END])


if __name__ == "__main__":  # rewrite the table in docs/steps.md
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "docs" / "steps.md"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    path.write_text(head + docs_table() + tail, encoding="utf-8")
