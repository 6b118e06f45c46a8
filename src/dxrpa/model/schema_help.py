"""The JSON Schema of robot files for editors: every key described (ja / en) with an example, one
action per step.

Descriptions live in one table keyed by the YAML key (``(model, key)`` where one name means
different things) so ``dxrpa robots schema`` explains each key in the editor's hover, and the
``Step`` definition requires exactly one action key (``oneOf``), as the loader does.
"""

from __future__ import annotations

from typing import Any

from dxrpa.model.robot import Robot
from dxrpa.model.schema_examples import BY_MODEL, EXAMPLES
from dxrpa.model.step_specs import STEPS

_H = dict[str, tuple[str, str]]

_LOCATOR: _H = {
    "role": (
        "要素の役割 (button, link, textbox …)。name と組み合わせます",
        "ARIA role (button, link, textbox …), with name",
    ),
    "label": ("画面の項目名 (ラベル) で探す。例: 氏名", "find by the field's label, e.g. 氏名"),
    "placeholder": ("入力欄の薄い説明文で探す", "find by the input's placeholder"),
    "text": ("表示されている文字で探す", "find by visible text"),
    "test_id": ("data-testid 属性で探す", "find by data-testid"),
    "css": ("CSS セレクター (最後の手段)", "CSS selector (last resort)"),
    "xpath": ("XPath (最後の手段)", "XPath (last resort)"),
    "exact": ("false で部分一致", "false: substring match"),
    "nth": ("複数当たるときに何番目か (0 から)", "which of several matches (from 0)"),
    "frame": ("iframe の CSS セレクター", "CSS selector of the iframe"),
    "any": ("上から順に試すロケーターの一覧", "locators tried in order; the first match wins"),
}

_KEYS: _H = {
    **_LOCATOR,
    "name": ("ロボット名 (ファイル名と同じ、英小文字・数字・_)", "robot name (= file name; a-z, 0-9, _)"),
    "title": ("一覧・台帳に出る題名", "title shown in lists and the ledger"),
    "department": ("担当課 (台帳の集計単位)", "department (ledger grouping)"),
    "owner": ("担当係・担当者", "owning team or person"),
    "description": ("説明", "free description"),
    "baseline": ("手作業の所要時間 (削減時間の計算)", "manual effort, for hours saved"),
    "minutes_per_item": ("職員が手作業で 1 件に掛かる分", "manual minutes per item"),
    "minutes_per_run": ("1 回の実行ごとの手作業の分 (準備・突合せ)", "manual minutes per run (preparation)"),
    "rework_minutes_per_failed_item": ("失敗した 1 件の手直しの分", "rework minutes per failed item"),
    "browser": ("ブラウザの設定", "browser settings"),
    "headless": ("画面を出さずに動かす", "run without a window"),
    "allowed_domains": ("接続してよいホスト (これ以外は遮断)", "hosts the robot may reach (others blocked)"),
    "session": ("ログイン状態の扱い", "how the login session is kept"),
    "timeout_ms": ("待ち時間 (ミリ秒)", "wait in milliseconds"),
    "viewport": ("画面の大きさ {width, height}", "window size {width, height}"),
    "locale": ("ブラウザの言語 (例: ja-JP)", "browser locale, e.g. ja-JP"),
    "secrets": (
        "使うシークレット名 (ID・パスワード、dxrpa secrets set で登録)",
        "secret names used (dxrpa secrets set)",
    ),
    "env": ("読める環境変数名", "environment variables the robot may read"),
    "shared": (
        "このロボットを実行する区 (dxrpa run 名前 --unit 北区)。区の一覧か「区: 課」。"
        "データのパスに {{ unit }}、手順に {{ run.unit }} が使えます",
        "the 区 this robot runs for (dxrpa run NAME --unit 北区): a list of 区 or 区: 課 pairs;"
        " data paths may use {{ unit }}, steps {{ run.unit }}",
    ),
    "pii": ("ログ・画面写真で隠す要素", "elements masked in logs and screenshots"),
    "data": ("1 件ずつ処理するデータ (Excel・CSV・OCR)", "the items to process (Excel, CSV, OCR)"),
    "excel": ("Excel ファイルのパス", "path of the Excel file"),
    "sheet": ("シート名", "sheet name"),
    "header_row": ("見出しの行番号", "row number of the header"),
    "csv": ("CSV ファイルのパス", "path of the CSV file"),
    "encoding": ("CSV の文字コード (utf-8, cp932 …)", "CSV encoding (utf-8, cp932 …)"),
    "items": ("ファイルの代わりに直接書く件の一覧", "items written inline instead of a file"),
    "ocr": ("OCR の結果を使う / 画面やファイルを OCR", "use OCR results / OCR a region or file"),
    "key": ("行を見分ける列 (二重入力を防ぐ)", "column identifying a row (prevents double entry)"),
    "validate": ("列ごとの入力チェック", "per-column checks"),
    "required": ("空を許さない", "must not be empty"),
    "pattern": ("正規表現", "regular expression"),
    "max_length": ("最大文字数", "maximum length"),
    "one_of": ("許す値の一覧", "allowed values"),
    "folders": ("読み書きできるフォルダー", "folders the robot may read and write"),
    "setup": ("最初に 1 回 (ログインなど)", "steps run once first (login …)"),
    "item": ("1 件ごとの手順", "steps run for each item"),
    "verify": ("中断後に登録済みか確かめる手順", "steps checking whether an item was already entered"),
    "teardown": ("最後に 1 回", "steps run once at the end"),
    "outputs": ("結果に残す変数", "variables kept as results"),
    "results": ("結果の書き出し先", "where results are written"),
    "retries": ("システムエラー時のやり直し回数", "retries after a system error"),
    "retry_backoff_seconds": ("やり直しまでの秒数", "seconds before a retry"),
    "limits": ("時間の上限", "time limits"),
    "item_timeout_seconds": ("1 件の上限秒数", "limit per item (s)"),
    "run_timeout_minutes": ("1 回の実行の上限分", "limit per run (min)"),
    "heartbeat_timeout_seconds": ("応答がないとみなす秒数", "seconds without heartbeat before giving up"),
    "cancel_grace_seconds": (
        "中止 (Ctrl+C) の後、実行中の手順を待つ秒数",
        "seconds a running step may finish after a cancel (Ctrl+C)",
    ),
    "key_pii": (
        "キーが個人番号などの個人データ (鍵付きハッシュでだけ保存)",
        "the key is personal data (stored only as a keyed hash)",
    ),
    "schedule": (
        "定期実行のルール (登録・承認後に有効)",
        "schedule rules (live once registered and approved)",
    ),
    "cron": ("cron 式 (分 時 日 月 曜日)", "cron expression (minute hour day month weekday)"),
    "days": ("office で開庁日だけ", "office: office days only"),
    "monthly": ("毎月の n 番目の開庁日", "the n-th office day of each month"),
    "office_day": ("何番目の開庁日 (-1 で最終)", "which office day (-1: last)"),
    "at": ("時刻 HH:MM", "time HH:MM"),
    "if_closed": (
        "休みの日に当たったとき (run/skip/previous/next)",
        "on a closed day (run/skip/previous/next)",
    ),
    "timezone": ("タイムゾーン (既定 Asia/Tokyo)", "time zone (default Asia/Tokyo)"),
    "misfire_grace_seconds": ("遅れても実行する猶予秒数", "grace seconds for a late firing"),
    "coalesce": ("逃した複数回を 1 回にまとめる", "run several missed firings once"),
    "unit": (
        "共有ロボットのこの予定で実行する区 (dxrpa run 名前 --unit 北区 と同じ)",
        "the 区 a shared robot's rule runs for (as dxrpa run NAME --unit 北区)",
    ),
    "url": ("URL", "URL"),
    "wait_until": ("読み込み完了の基準", "when loading counts as done"),
    "click": ("クリック", "click"),
    "dialog": ("ダイアログへの答え (accept/dismiss)", "answer to a dialog (accept/dismiss)"),
    "double": ("ダブルクリック", "double click"),
    "submit": ("最終送信 (--dry-run では実行しない)", "final submit (skipped by --dry-run)"),
    "value": ("入力・選択する値", "value to type or choose"),
    "files": ("添付するファイル", "files to attach"),
    "save_as": ("保存するファイル名", "file name to save as"),
    "into": ("値を入れる変数名", "variable to store into"),
    "selector": ("CSS セレクター", "CSS selector"),
    "state": ("要素の状態 (visible/hidden …)", "element state (visible/hidden …)"),
    "load_state": ("ページの読み込み状態", "page load state"),
    "seconds": ("秒数", "seconds"),
    "visible": ("表示されているはずの要素", "element that must be visible"),
    "hidden": ("表示されていないはずの要素", "element that must be hidden"),
    "count": ("要素の数", "number of elements"),
    "equals": ("期待する数", "expected count"),
    "business_error": (
        "失敗を業務エラーにするときの説明 (やり直さない)",
        "make a failure a business error (not retried)",
    ),
    "error_text": (
        "画面のエラー表示の場所 (メッセージに含めます)",
        "where the page shows its error (quoted)",
    ),
    "what": ("取り出すもの (text/value/attribute …)", "what to read (text/value/attribute …)"),
    "attribute": ("取り出す属性名", "attribute name to read"),
    "full_page": ("ページ全体を撮る", "capture the whole page"),
    "condition": ("条件 (テンプレート式)", "condition (template expression)"),
    "then": ("条件が真のときの手順", "steps when true"),
    "else": ("条件が偽のときの手順", "steps when false"),
    "in": ("繰り返す一覧 (式)", "list expression to iterate"),
    "as": ("要素を入れる名前", "name for each element"),
    "steps": ("中で実行する手順", "steps to run inside"),
    "optional": ("失敗しても次へ進む", "a failure is logged and the item goes on"),
    "action": ("accept (OK) か dismiss (キャンセル)", "accept or dismiss"),
    "prompt_text": ("入力ダイアログに入れる文字", "text for a prompt dialog"),
    "batch": ("OCR のバッチ名", "OCR batch name"),
    "folder": ("OCR するスキャンのフォルダー", "folder of scans to OCR"),
    "template": ("OCR テンプレート名", "OCR template name"),
    "status": ("使う OCR 結果の状態", "which OCR results to use"),
    "locator": ("OCR する画面の部分", "page region to OCR"),
    "file": ("OCR するファイル", "file to OCR"),
    "http_errors": (
        "HTTP ステータスとその業務上の意味 (例: {404: 未登録です})",
        "HTTP status → its business meaning (e.g. {404: not registered})",
    ),
    "headers": ("表の列名 (見出し行のない表)", "column names (a table without a header row)"),
    "next": ("表の「次へ」ボタン (全ページを読む)", "the table's next-page control (reads every page)"),
    "max_pages": ("読む最大ページ数", "at most this many pages"),
    "that": ("成り立つはずの条件 (テンプレート式)", "condition that must hold (template expression)"),
    "contains": ("含むはずの文字", "text it must contain"),
    "matches": ("一致するはずの正規表現", "regular expression it must match"),
    "script": ("JavaScript の関数 (テンプレート不可)", "a JavaScript function (no templates)"),
    "arg": ("関数に渡す値", "value passed to the function"),
    "close": ("終わったらウィンドウを閉じる", "close the window afterwards"),
    "accept": ("true で OK、false でキャンセル", "true: OK, false: cancel"),
    "default": ("入力ダイアログの既定値のまま OK", "keep the prompt's default value"),
    "assets": (
        "外部ファイルの URL → 庁内にある写し (folders: の中)",
        "URL of an outside file → a local copy (inside folders:)",
    ),
    "http_credentials": (
        "Basic 認証の ID とパスワード (secrets: の名前)",
        "Basic authentication user and password (names under secrets:)",
    ),
    "username": ("ID のシークレット名", "secret holding the user name"),
    "password": ("パスワードのシークレット名", "secret holding the password"),
    "allow_javascript": (
        "evaluate: ステップを許す (承認で確認されます)",
        "allow evaluate: steps (checked at approval)",
    ),
}

_BY_MODEL: dict[tuple[str, str], tuple[str, str]] = {
    **{
        (m, "name"): ("role と組み合わせる名前 (ボタンの文字など)", "accessible name with role")
        for m in (
            "Locator",
            "CheckArgs",
            "ClickArgs",
            "CountArgs",
            "CountIntoArgs",
            "DownloadArgs",
            "ExtractArgs",
            "FillArgs",
            "PressArgs",
            "SelectArgs",
            "UploadArgs",
        )
    },
    ("Step", "name"): ("ログとエラーに出る見出し", "label shown in logs and errors"),
    ("ScreenshotArgs", "name"): ("画面写真のファイル名", "screenshot file name"),
    ("ExpectArgs", "text"): ("ページにあるはずの文字", "text the page must show"),
    ("WaitArgs", "text"): ("現れるまで待つ文字", "text to wait for"),
    ("PressArgs", "key"): ("押すキー (Enter, Tab …)", "key to press (Enter, Tab …)"),
    ("ResultsSpec", "excel"): ("結果を書く Excel ファイル", "Excel file the results are written to"),
    ("CheckArgs", "value"): ("true で選ぶ、false で外す", "true ticks, false unticks"),
    ("Robot", "http_errors"): (
        "HTTP ステータス → business (やり直さない) か system (やり直す)",
        "HTTP status → business (not retried) or system (retried)",
    ),
    ("ExpectArgs", "status"): (
        "ページがこの HTTP ステータスを返したら business_error",
        "the page answering this HTTP status is the business_error",
    ),
    ("AssertArgs", "text"): ("文字を確かめる要素", "element whose text is checked"),
    ("AssertArgs", "equals"): ("一致するはずの文字", "text it must equal"),
    ("DialogAnswer", "text"): ("入力ダイアログに入れる文字", "text for a prompt dialog"),
    ("DialogArgs", "text"): ("入力ダイアログに入れる文字", "text for a prompt dialog"),
    ("DialogArgs", "then"): ("続けて出るダイアログへの答え (順に)", "answers for the dialogs that follow"),
    ("DialogAnswer", "contains"): ("ダイアログの文言が含むはずの文字", "text the dialog must contain"),
    ("DialogArgs", "contains"): ("ダイアログの文言が含むはずの文字", "text the dialog must contain"),
    ("WindowArgs", "title"): ("ウィンドウの題名 (一部)", "part of the window title"),
    ("ReadCsvArgs", "file"): ("CSV ファイル (実行フォルダーの中)", "CSV file (inside the run folder)"),
    ("ReadCsvArgs", "encoding"): ("文字コード (auto で自動判定)", "encoding (auto: detected)"),
    ("PopupArgs", "click"): ("新しいウィンドウを開く要素", "element whose click opens the window"),
    ("SelectArgs", "value"): ("選ぶ値 (一覧で複数選択)", "value to choose (a list: several)"),
}


_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {("Step", spec.key): (spec.ja, spec.en) for spec in STEPS}


def _describe(props: dict[str, Any], model: str) -> None:
    for key, prop in props.items():
        ja, en = _BY_MODEL.get((model, key)) or _ACTIONS.get((model, key)) or _KEYS.get(key, ("", ""))
        if ja:
            old = prop.get("description")  # a longer English text from the model keeps its place
            prop["description"] = f"{ja} / {old or en}"
        if (model, key) in BY_MODEL or key in EXAMPLES:
            prop["examples"] = [BY_MODEL.get((model, key), EXAMPLES.get(key))]


def robot_json_schema() -> dict[str, Any]:
    """The robot file schema with descriptions and the one-action rule."""
    schema = Robot.model_json_schema(by_alias=True)
    _describe(schema.get("properties", {}), "Robot")
    for name, definition in schema.get("$defs", {}).items():
        _describe(definition.get("properties", {}), name)
    step = schema["$defs"]["Step"]
    step["oneOf"] = [{"required": [spec.key]} for spec in STEPS]
    return schema
