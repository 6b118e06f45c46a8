"""A robot definition as staff write it in ``robots/NAME.yaml`` (the user-facing contract).

Pure data: loading (with line numbers) lives in :mod:`dxrpa.config`, execution in
:mod:`dxrpa.engine`. A definition is never mutated by running it.

Each step is a one-key mapping (``- fill: {label: 氏名, value: "{{ item.氏名 }}"}``) plus optional
common keys (``name``, ``timeout_ms``, ``optional``, ``submit``). :class:`Step` lists every action
as an optional field and checks exactly one is present, so a misspelt action or key gets a
"did you mean" from the loader and editors complete keys from the JSON Schema.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from dxrpa.i18n import tr
from dxrpa.model.schedule import ScheduleRule
from dxrpa.model.step_specs import STEPS

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
# Names a robot may never read through ``env:``: dxrpa's own settings and keys, the database
# password, and anything that looks like a credential (declare those under ``secrets:``).
_FORBIDDEN_ENV = re.compile(
    r"^(DXRPA_.*|PG.*|.*(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|DATABASE_URL).*)$"
)


def env_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be listed under ``env:`` (None when it can)."""
    if not ENV_NAME_RE.match(name):
        return f"environment variable name '{name}': use letters, digits and '_'"
    if _FORBIDDEN_ENV.match(name.upper()):
        if name.upper().startswith(("DXRPA_", "PG")):
            return f"'{name}' is a dxrpa or database setting and is never visible to robots"
        return f"'{name}' looks like a credential: declare it under 'secrets:' instead (it is then redacted)"
    return None


def error_statuses(value: dict[int, Any]) -> dict[int, Any]:
    """``http_errors:`` keys must be HTTP error statuses."""
    for status in value:
        if not 400 <= status <= 599:
            raise ValueError(f"http_errors: {status} is not an HTTP error status (400–599)")
    return value


class _Strict(BaseModel):
    """A robot definition part: YAML keys only (`if`, never the internal `if_`), and frozen, so a
    loaded definition is the same object for the whole run (the engine caches facts per step)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- locators


class Locator(_Strict):
    """How to find an element. One strategy per locator; ``any`` lists fallbacks tried in order."""

    role: str | None = None
    name: str | None = None  # accessible name, with role
    label: str | None = None
    placeholder: str | None = None
    text: str | None = None
    test_id: str | None = None
    css: str | None = None
    xpath: str | None = None
    exact: bool = True
    nth: int | None = None  # pick one of several matches on purpose (strict otherwise)
    frame: str | None = None  # CSS selector of the iframe the element lives in
    any: list[Locator] | None = None

    @model_validator(mode="after")
    def _one_strategy(self) -> Locator:
        used = [
            k
            for k in ("role", "label", "placeholder", "text", "test_id", "css", "xpath", "any")
            if getattr(self, k)
        ]
        if len(used) != 1:
            listed = ", ".join(used)
            raise ValueError(
                tr(
                    "role/label/placeholder/text/test_id/css/xpath/any のどれか 1 つだけを書いてください"
                    + (f" (書かれているもの: {listed})" if used else ""),
                    "give exactly one of role/label/placeholder/text/test_id/css/xpath/any"
                    + (f" (found: {listed})" if used else ""),
                )
            )
        if self.name is not None and self.role is None:
            raise ValueError("'name' goes with 'role' (e.g. role: button, name: 登録)")
        return self

    def describe(self) -> str:
        if self.any:
            return " | ".join(loc.describe() for loc in self.any)
        for key in ("role", "label", "placeholder", "text", "test_id", "css", "xpath"):
            value = getattr(self, key)
            if value:
                return f"{key}={value}" + (f" name={self.name}" if key == "role" and self.name else "")
        return "?"


# --------------------------------------------------------------------------- step arguments


class GotoArgs(_Strict):
    url: str
    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"
    # HTTP status of the page → the business outcome it means, e.g. {404: 未登録の番号です}.
    # Without an entry, 4xx is a business error naming the status and 5xx a retried system error.
    http_errors: dict[int, str] = Field(default_factory=dict)

    @field_validator("http_errors")
    @classmethod
    def _statuses(cls, value: dict[int, Any]) -> dict[int, Any]:
        return error_statuses(value)


class ClickArgs(Locator):
    dialog: Literal["accept", "dismiss"] | None = None  # answer the dialog this click opens
    double: bool = False
    submit: bool = False  # the final submit: skipped by --dry-run


class FillArgs(Locator):
    value: str


class SelectArgs(Locator):
    value: str | list[str]  # option value or visible label; a list selects several (multiple)


class CheckArgs(Locator):
    value: str | bool | None = None  # template: truthy → checked, falsy → unchecked (check only)


class PressArgs(Locator):
    key: str
    submit: bool = False


class UploadArgs(Locator):
    files: str | list[str]  # relative to the run folder, else to home inside the robot's folders:


class DownloadArgs(Locator):
    save_as: str  # relative to the run's folder; never outside it
    into: str | None = None  # variable receiving the saved path


class WaitArgs(_Strict):
    selector: Locator | None = None
    state: Literal["attached", "detached", "visible", "hidden"] = "visible"
    url: str | None = None  # glob or regex (re:...)
    load_state: Literal["load", "domcontentloaded", "networkidle"] | None = None
    text: str | None = None
    seconds: float | None = None

    @model_validator(mode="after")
    def _one(self) -> WaitArgs:
        used = [
            k for k in ("selector", "url", "load_state", "text", "seconds") if getattr(self, k) is not None
        ]
        if len(used) != 1:
            raise ValueError(
                tr(
                    "wait には selector/url/load_state/text/seconds のどれか 1 つだけを書いてください",
                    "wait needs exactly one of selector/url/load_state/text/seconds",
                )
            )
        return self


class CountArgs(Locator):
    equals: int


class ExpectArgs(_Strict):
    text: str | None = None
    visible: Locator | None = None
    hidden: Locator | None = None
    url: str | None = None
    count: CountArgs | None = None
    status: int | None = None  # the page answering this HTTP status is the business error (404 = 未登録)
    business_error: str | None = None  # failing marks the item a business exception with this message
    error_text: Locator | None = None  # the page's own error message, appended to business_error

    @model_validator(mode="after")
    def _one(self) -> ExpectArgs:
        keys = ("text", "visible", "hidden", "url", "count", "status")
        used = [k for k in keys if getattr(self, k) is not None]
        if len(used) != 1:
            raise ValueError(
                tr(
                    "expect には text/visible/hidden/url/count/status のどれか 1 つだけを書いてください",
                    "expect needs exactly one of text/visible/hidden/url/count/status",
                )
            )
        if self.status is not None and self.business_error is None:
            raise ValueError(
                tr(
                    "expect の status: には、その状態の意味を business_error: で書いてください",
                    "expect status: needs business_error: saying what that status means",
                )
            )
        return self


class ExtractArgs(Locator):
    into: str
    what: Literal["text", "attribute", "value", "table", "html"] = "text"
    attribute: str | None = None
    headers: list[str] | None = None  # table: column names (a table without a header row)
    next: Locator | None = None  # table: the "next page" control; rows of every page are joined
    max_pages: int = Field(default=50, ge=1, le=1000)

    @model_validator(mode="after")
    def _table_only(self) -> ExtractArgs:
        if self.what != "table" and (self.headers is not None or self.next is not None):
            raise ValueError("headers: and next: go with what: table")
        return self


class CountIntoArgs(Locator):
    into: str  # variable receiving how many elements match (0 when none)


class AssertArgs(_Strict):
    """Check a value: ``that`` (an expression) or one element's text (``text`` with one of
    ``equals``/``contains``/``matches``)."""

    that: str | None = None  # Jinja expression, e.g. "vars.件数 | int > 0"
    text: Locator | None = None
    equals: str | None = None
    contains: str | None = None
    matches: str | None = None  # regular expression
    business_error: str | None = None  # failing marks the item a business exception with this message

    @model_validator(mode="after")
    def _one(self) -> AssertArgs:
        if (self.that is None) == (self.text is None):
            raise ValueError(
                tr(
                    "assert には that か text のどちらか 1 つを書いてください",
                    "assert needs one of that/text",
                )
            )
        checks = [k for k in ("equals", "contains", "matches") if getattr(self, k) is not None]
        if self.text is not None and len(checks) != 1:
            raise ValueError(
                tr(
                    "assert の text には equals/contains/matches のどれか 1 つが必要です",
                    "assert text needs exactly one of equals/contains/matches",
                )
            )
        if self.that is not None and checks:
            raise ValueError("equals/contains/matches go with text:, not that:")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: invalid regular expression: {exc}") from None
        return self


class EvaluateArgs(_Strict):
    """Run the robot's own JavaScript in the page (only with ``browser.allow_javascript: true``)."""

    script: str  # a JS function, e.g. "(arg) => document.title"; never a template: pass data in arg
    arg: Any = None  # rendered like set: values and passed to the function
    into: str | None = None  # variable receiving the (JSON) result

    @field_validator("script")
    @classmethod
    def _not_template(cls, value: str) -> str:
        if "{{" in value or "{%" in value:
            raise ValueError(
                tr(
                    "script: にテンプレートは書けません。値は arg: で渡してください",
                    "script: cannot hold templates; pass values in arg:",
                )
            )
        return value


class ReadCsvArgs(_Strict):
    """Read a CSV file downloaded earlier in the run (inside the run folder) into a list of rows."""

    file: str  # template, e.g. "{{ vars.csv_path }}"
    into: str
    encoding: str = "auto"  # UTF-8 (with or without BOM) or Shift_JIS (cp932), detected


class PopupArgs(_Strict):
    """Click something that opens a new window or tab, run ``steps`` in it, then return."""

    click: Locator
    steps: list[Step] = Field(default_factory=list)
    close: bool = True  # close the window afterwards (false: leave it open for a later window:)


class WindowArgs(_Strict):
    """Switch to an open window or tab by its title or URL, run ``steps`` in it, then return."""

    title: str | None = None  # part of the title
    url: str | None = None  # glob or regex (re:...) like wait: url
    steps: list[Step] = Field(default_factory=list)
    close: bool = False

    @model_validator(mode="after")
    def _one(self) -> WindowArgs:
        if (self.title is None) == (self.url is None):
            raise ValueError(
                tr(
                    "window には title か url のどちらか 1 つを書いてください",
                    "window needs one of title/url",
                )
            )
        return self


class ScreenshotArgs(_Strict):
    name: str = "screenshot"
    full_page: bool = True


class DialogAnswer(_Strict):
    """How to answer one JavaScript dialog (alert/confirm/prompt)."""

    accept: bool = True  # false: cancel (dismiss)
    text: str | None = None  # prompt(): the text to enter (template)
    default: bool = False  # prompt(): keep the default value the page offers
    contains: str | None = None  # the dialog's message must contain this, else the item fails

    @model_validator(mode="after")
    def _one_text(self) -> DialogAnswer:
        if self.text is not None and self.default:
            raise ValueError("give text: or default: true, not both")
        return self


class DialogArgs(DialogAnswer):
    """Answers for the next dialogs, in order: this one, then each of ``then:`` (a chain of them)."""

    action: Literal["accept", "dismiss"] | None = None  # older spelling of accept: true/false
    prompt_text: str | None = None  # older spelling of text:
    then: list[DialogAnswer] = Field(default_factory=list)

    def answers(self) -> list[DialogAnswer]:
        first = DialogAnswer(
            accept=self.accept if self.action is None else self.action == "accept",
            text=self.text if self.text is not None else self.prompt_text,
            default=self.default,
            contains=self.contains,
        )
        return [first, *self.then]


class IfArgs(_Strict):
    condition: str  # Jinja expression, e.g. "item.部数 | int > 1"
    then: list[Step]
    else_: list[Step] = Field(default_factory=list, alias="else")


class ForEachArgs(_Strict):
    in_: str = Field(alias="in")  # Jinja expression yielding a list, e.g. "vars.rows"
    as_: str = Field(default="row", alias="as")
    steps: list[Step]


class FrameArgs(_Strict):
    selector: str  # CSS of the iframe
    steps: list[Step]


class OcrStepArgs(_Strict):
    """Read a region of the page (screenshot of a locator) or a downloaded PDF into a variable."""

    into: str
    locator: Locator | None = None
    file: str | None = None  # template: a path inside the run folder
    template: str | None = None  # OCR form template for a file


class LogArgs(_Strict):
    message: str


# --------------------------------------------------------------------------- the step


ACTIONS = tuple(spec.attr for spec in STEPS)  # the Step fields that hold an action (if_, assert_)
# steps that hold steps: action → the keys of its nested step lists
NESTED_STEPS: dict[str, tuple[str, ...]] = {spec.key: spec.nested for spec in STEPS if spec.nested}


class Step(_Strict):
    """One step: exactly one action key plus optional common keys."""

    goto: str | GotoArgs | None = None
    click: ClickArgs | None = None
    fill: FillArgs | None = None
    select: SelectArgs | None = None
    check: CheckArgs | None = None
    uncheck: Locator | None = None
    press: PressArgs | None = None
    upload: UploadArgs | None = None
    download: DownloadArgs | None = None
    wait: WaitArgs | None = None
    expect: ExpectArgs | None = None
    extract: ExtractArgs | None = None
    screenshot: ScreenshotArgs | None = None
    set: dict[str, Any] | None = None
    if_: IfArgs | None = Field(default=None, alias="if")
    for_each: ForEachArgs | None = None
    frame: FrameArgs | None = None
    dialog: DialogArgs | None = None
    ocr: OcrStepArgs | None = None
    log: str | None = None
    hover: Locator | None = None
    count: CountIntoArgs | None = None
    assert_: AssertArgs | None = Field(default=None, alias="assert")
    evaluate: EvaluateArgs | None = None
    popup: PopupArgs | None = None
    window: WindowArgs | None = None
    read_csv: ReadCsvArgs | None = None

    # common keys
    name: str | None = None  # a label shown in logs and errors
    timeout_ms: int | None = None
    optional: bool = False  # a failure is logged and the item goes on
    submit: bool = False  # the final submit: skipped by --dry-run

    _line: int | None = PrivateAttr(default=None)  # set by the loader: where the step is written

    @model_validator(mode="after")
    def _exactly_one_action(self) -> Step:
        used = self.actions_used()
        if len(used) != 1:
            names = ", ".join(a.rstrip("_") for a in ACTIONS)
            raise ValueError(
                tr(
                    f"手順には動作を 1 つだけ書いてください ({names})"
                    + (f"。書かれている動作: {', '.join(used)}" if used else ""),
                    f"a step needs exactly one action ({names})"
                    + (f"; found: {', '.join(used)}" if used else ""),
                )
            )
        return self

    def actions_used(self) -> list[str]:
        return [a.rstrip("_") for a in ACTIONS if getattr(self, a) is not None]

    @property
    def action(self) -> str:
        return self.actions_used()[0]

    @property
    def is_submit(self) -> bool:
        args = getattr(self, self.action, None)
        return self.submit or bool(getattr(args, "submit", False))

    @property
    def line(self) -> int | None:
        return self._line


def _check_step_fields() -> None:
    """Every registered action is a ``Step`` field of that name (and alias), and no other field
    holds an action: a new action cannot be half-added (checked when the model is imported)."""
    fields = {name: info.alias or name for name, info in Step.model_fields.items()}
    common = {"name", "timeout_ms", "optional", "submit"}
    wanted = {spec.attr: spec.key for spec in STEPS}
    actual = {name: key for name, key in fields.items() if name not in common}
    if actual != wanted:
        differ = sorted(set(actual.items()) ^ set(wanted.items()))
        raise RuntimeError(f"Step fields and dxrpa.model.step_specs disagree: {differ}")


_check_step_fields()


# --------------------------------------------------------------------------- data sources


class ColumnRule(_Strict):
    required: bool = False
    pattern: str | None = None
    max_length: int | None = None
    one_of: list[str] | None = None

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class OcrSource(_Strict):
    batch: str | None = None  # "latest" or a batch id
    folder: str | None = None  # a scanner's drop folder; processed files move to done/ or failed/
    template: str
    status: Literal["ok", "review", "all"] = "ok"

    @model_validator(mode="after")
    def _one(self) -> OcrSource:
        if (self.batch is None) == (self.folder is None):
            raise ValueError("ocr data needs exactly one of batch/folder")
        return self


class DataSpec(_Strict):
    excel: str | None = None
    sheet: str | None = None
    header_row: int = 1
    csv: str | None = None
    encoding: str = "auto"  # auto-detects UTF-8, UTF-8-BOM, cp932
    items: list[dict[str, Any]] | None = None
    ocr: OcrSource | None = None
    key: str | None = None  # column with the item's unique reference; content hash when absent
    # the key is personal data: stored only as a salted hash with a masked display form (keys that are
    # My Numbers, or key columns named 個人番号/マイナンバー, are stored so even without it)
    key_pii: bool = False
    validate_: dict[str, ColumnRule] = Field(default_factory=dict, alias="validate")

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        used = [k for k in ("excel", "csv", "items", "ocr") if getattr(self, k) is not None]
        if len(used) > 1:
            raise ValueError(f"data takes one source, found: {', '.join(used)}")
        if self.sheet is not None and self.excel is None:
            raise ValueError("'sheet' goes with 'excel'")
        return self

    @property
    def kind(self) -> str:
        for k in ("excel", "csv", "items", "ocr"):
            if getattr(self, k) is not None:
                return k
        return "none"


# --------------------------------------------------------------------------- the robot


class Baseline(_Strict):
    """Manual time the robot replaces (minutes), copied onto every run for the ledger."""

    minutes_per_item: float = Field(ge=0)
    minutes_per_run: float = Field(default=0, ge=0)
    rework_minutes_per_failed_item: float = Field(default=0, ge=0)


class HttpCredentials(_Strict):
    """Basic/Digest authentication for the robot's pages: both values name secrets under ``secrets:``."""

    username: str  # secret name, e.g. APP_BASIC_USER
    password: str  # secret name, e.g. APP_BASIC_PASS


class BrowserSpec(_Strict):
    headless: bool | None = None  # None: settings decide
    allowed_domains: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost"])
    # URL (exact, or a glob such as https://code.jquery.com/**/jquery*.js) → a local copy under
    # the robot's folders:, served in place of a file the closed network cannot reach
    assets: dict[str, str] = Field(default_factory=dict)
    http_credentials: HttpCredentials | None = None
    allow_javascript: bool = False  # evaluate: steps run the robot's own JavaScript in the page
    session: Literal["per_item", "shared"] = "per_item"
    timeout_ms: int | None = None
    viewport: tuple[int, int] = (1280, 900)
    locale: str = "ja-JP"


class Limits(_Strict):
    item_timeout_seconds: float = Field(default=300, gt=0)
    run_timeout_minutes: float = Field(default=120, gt=0)
    heartbeat_timeout_seconds: float = Field(default=120, gt=0)  # in_progress older → abandoned
    cancel_grace_seconds: float = Field(default=30, gt=0, le=600)  # SIGINT/SIGTERM: a step's last chance


# the fixed columns of the results workbook (dxrpa.engine.results), in both languages: not output names
RESULT_COLUMNS = frozenset(
    {"key", "status", "attempts", "error", "step", "キー", "結果", "試行", "エラー", "ステップ"}
)


class OutputSpec(_Strict):
    """An output written as a mapping: ``{name: 個人番号, pii: true}`` is encrypted at rest."""

    name: str
    pii: bool = False


class ResultsSpec(_Strict):
    excel: str  # a results workbook: one row per item with status and outputs, inside folders:


UNIT_RE = re.compile(r"\{\{\s*unit\s*\}\}")


def unit_paths(robot: Robot) -> list[tuple[str, str]]:
    """(field, path) of the paths a shared robot may write with ``{{ unit }}``."""
    out: list[tuple[str, str]] = []
    for k in ("excel", "csv"):
        v = getattr(robot.data, k)
        if v:
            out.append((f"data.{k}", v))
    if robot.data.ocr is not None and robot.data.ocr.folder:
        out.append(("data.ocr.folder", robot.data.ocr.folder))
    if robot.results is not None:
        out.append(("results.excel", robot.results.excel))
    return out


class Robot(_Strict):
    name: str
    title: str
    department: str
    owner: str = ""
    description: str = ""
    baseline: Baseline
    browser: BrowserSpec = Field(default_factory=BrowserSpec)
    secrets: list[str] = Field(default_factory=list)
    env: list[str] = Field(
        default_factory=list,
        description="Environment variables the robot's templates may read as env.NAME (an allow-list; "
        "credentials and DXRPA_* settings are refused: declare credentials under secrets:)",
    )
    pii: list[Locator] = Field(default_factory=list)  # masked in every screenshot
    data: DataSpec = Field(default_factory=DataSpec)
    folders: list[str] = Field(
        default_factory=lambda: ["data"],
        description="folders under home this robot may read and write (data:, results:, upload:,"
        " the OCR drop folder); never var/, configs/ or robots/",
    )
    setup: list[Step] = Field(default_factory=list)
    item: list[Step] = Field(default_factory=list)
    verify: list[Step] = Field(default_factory=list)  # passes ⇒ an interrupted item did go through
    teardown: list[Step] = Field(default_factory=list)
    # variables stored per item (DB + results); ``{name: x, pii: true}`` ones are stored encrypted
    outputs: list[str | OutputSpec] = Field(default_factory=list)
    results: ResultsSpec | None = None
    retries: int = Field(default=2, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=1.0, ge=0)
    limits: Limits = Field(default_factory=Limits)
    schedule: list[ScheduleRule] = Field(default_factory=list)
    # HTTP status of a page → what it means for the item: business (not retried) or system (retried)
    http_errors: dict[int, Literal["business", "system"]] = Field(default_factory=dict)
    # one definition run for several 区 (``dxrpa run NAME --unit 北区``): 区 → the 課 its hours count
    # for; a list of 区 finds, under each 区 in configs/org.yaml, the 課 whose name ends with department
    shared: dict[str, str] = Field(
        default_factory=dict,
        description="区 this robot runs for (dxrpa run NAME --unit 北区): a list of 区, or 区: 課 pairs;"
        " data paths may use {{ unit }}, steps {{ run.unit }}",
    )

    @field_validator("shared", mode="before")
    @classmethod
    def _shared(cls, value: Any) -> Any:
        if isinstance(value, list):
            value = {str(v): "" for v in value}
        if isinstance(value, dict):
            value = {str(k): ("" if v is None else v) for k, v in value.items()}
            for unit in value:
                if not unit.strip() or unit.startswith(".") or any(c in unit for c in "/\\@\n\t"):
                    raise ValueError(f"shared: '{unit}' cannot name a 区 (no / \\ @, not starting with '.')")
        return value

    @model_validator(mode="after")
    def _schedule_units(self) -> Robot:
        """A shared robot's schedule names the 区 of each rule; a rule of any other robot names none."""
        for i, rule in enumerate(self.schedule):
            where = f"schedule[{i}].unit"
            if rule.unit is not None and not self.shared:
                raise ValueError(
                    tr(
                        f"{where}: 「{rule.unit}」— unit: は共有ロボット（shared:）だけに書けます",
                        f"{where}: {rule.unit!r}: unit: is for shared robots only (add shared:)",
                    )
                )
            if self.shared and rule.unit is None:
                raise ValueError(
                    tr(
                        f"{where}: 共有ロボットのスケジュールには区を書いてください"
                        f"（unit: {next(iter(self.shared))}。区: {'、'.join(self.shared)}）",
                        f"{where}: a shared robot's schedule names its 区"
                        f" (unit: {next(iter(self.shared))}; units: {', '.join(self.shared)})",
                    )
                )
            if self.shared and rule.unit not in self.shared:
                raise ValueError(
                    tr(
                        f"{where}: 区「{rule.unit}」は shared: にありません（区: {'、'.join(self.shared)}）",
                        f"{where}: {rule.unit!r} is not in shared: (units: {', '.join(self.shared)})",
                    )
                )
        return self

    @model_validator(mode="after")
    def _unit_paths(self) -> Robot:
        if not self.shared:
            for where, raw in unit_paths(self):
                if UNIT_RE.search(raw):
                    raise ValueError(
                        f"{where}: '{{{{ unit }}}}' needs 'shared:' (the 区 this robot runs for)"
                    )
        return self

    @field_validator("http_errors")
    @classmethod
    def _statuses(cls, value: dict[int, Any]) -> dict[int, Any]:
        return error_statuses(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(
                tr(
                    "英小文字で始め、英小文字・数字・「_」だけで 2〜64 文字にしてください",
                    "use lowercase letters, digits and '_' (2–64 chars), starting with a letter",
                )
            )
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.match(r"^[A-Z][A-Z0-9_]*$", name):
                raise ValueError(f"secret name '{name}': use UPPER_CASE letters, digits and '_'")
        return value

    @property
    def output_names(self) -> list[str]:
        return [o if isinstance(o, str) else o.name for o in self.outputs]

    @property
    def pii_outputs(self) -> set[str]:
        return {o.name for o in self.outputs if isinstance(o, OutputSpec) and o.pii}

    @field_validator("outputs")
    @classmethod
    def _output_names(cls, value: list[str | OutputSpec]) -> list[str | OutputSpec]:
        for output in value:
            name = output if isinstance(output, str) else output.name
            if name.casefold() in RESULT_COLUMNS:
                raise ValueError(
                    f"output '{name}' is a column of the results workbook already:"
                    f" rename it, e.g. '{name}_value'"
                )
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: list[str]) -> list[str]:
        for name in value:
            problem = env_name_problem(name)
            if problem:
                raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _env_not_secret(self) -> Robot:
        both = sorted(set(self.env) & set(self.secrets))
        if both:
            raise ValueError(
                f"'{both[0]}' is listed under both 'env:' and 'secrets:': keep it under secrets:"
            )
        return self

    @model_validator(mode="after")
    def _credentials_are_secrets(self) -> Robot:
        creds = self.browser.http_credentials
        if creds is not None:
            for name in (creds.username, creds.password):
                if name not in self.secrets:
                    raise ValueError(
                        tr(
                            f"browser.http_credentials の '{name}' を secrets: に書いてください",
                            f"browser.http_credentials names '{name}': list it under secrets:",
                        )
                    )
        return self

    @model_validator(mode="after")
    def _has_work(self) -> Robot:
        if not self.item:
            raise ValueError(
                tr("ロボットには手順の一覧 'item:' が必要です", "a robot needs an 'item:' list of steps")
            )
        return self


for _model in (
    IfArgs,
    ForEachArgs,
    FrameArgs,
    PopupArgs,
    WindowArgs,
    CountIntoArgs,
    AssertArgs,
    Locator,
    ClickArgs,
    FillArgs,
    SelectArgs,
    CheckArgs,
    PressArgs,
    UploadArgs,
    DownloadArgs,
    CountArgs,
    ExtractArgs,
    Step,
):
    _model.model_rebuild()
