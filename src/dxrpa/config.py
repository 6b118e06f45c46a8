"""Settings (configs/dxrpa.toml + DXRPA_* env) and YAML loading with line numbers.

Robot files and OCR templates are user-facing contracts written by staff, so every validation
error must point at ``file:line:col``. :func:`load_definition` parses YAML keeping each node's
position, validates it against a pydantic model and turns pydantic's error locations back into
positions, with a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydField

from dxrpa.errors import ConfigError, DefinitionError, DefinitionErrors
from dxrpa.i18n import tr
from dxrpa.yaml_traps import find_traps

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


# --------------------------------------------------------------------------- settings


class BrowserSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    executable: str | None = None  # explicit path wins over detection
    channel: str | None = None  # "msedge" / "chrome"
    headless: bool = True
    timeout_ms: int = 15_000
    # A failed attempt keeps a trace of its actions, call log and network; DOM snapshots of every
    # action make each step markedly slower (bench/rpa_challenge.py), so they are opt-in.
    trace_snapshots: bool = False


class OcrSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: Literal["rapidocr", "paddle", "tesseract"] = "rapidocr"
    review_threshold: float = 0.90
    double_check: bool = False  # ダブルチェック: a second, different reviewer confirms every reviewed field
    paddle_det_model_dir: str | None = None
    paddle_rec_model_dir: str | None = None
    tesseract_cmd: str | None = None
    rec_model: str | None = None  # rapidocr: a local recognition model (.onnx) instead of the bundled one


class CalendarSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year_end_start: str = "12-29"  # 年末年始 closed from this MM-DD ...
    year_end_end: str = "01-03"  # ... through this MM-DD
    weekend: list[int] = PydField(default_factory=lambda: [5, 6])  # Mon=0


class SchedulerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    executor: Literal["local", "procrastinate"] = "local"
    misfire_grace_seconds: int = 600
    lock_heartbeat_seconds: int = 10
    lock_stale_seconds: int = 60


class LaborRate(BaseModel):
    """人件費単価 (yen per hour) in effect from a date, city-wide or for one 課 (versioned)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    effective_from: date = PydField(alias="from")
    yen_per_hour: float = PydField(gt=0)
    department: str | None = None


class LedgerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours_per_fte: float = PydField(default=1_800.0, gt=0)  # annual working hours of one FTE
    labor_rates: list[LaborRate] = PydField(default_factory=list)
    org_file: str = "configs/org.yaml"  # 局/区 → 部 → 課 (optional; report order and roll-up)


class NotifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str = "configs/notify.yaml"  # channels and rules (dxrpa.notify); absent: no notifications


class Settings(BaseModel):
    """All settings. Defaults make ``dxrpa demo`` run with nothing configured."""

    model_config = ConfigDict(extra="forbid")
    home: Path = Path(".")
    database_url: str | None = None  # default: sqlite:///<home>/var/dxrpa.db
    timezone: str = "Asia/Tokyo"
    environment: Literal["production", "staging"] = "production"  # 本番 / 検証: the Assets runs use
    lang: Literal["ja", "en"] = "ja"
    robots_dir: str = "robots"
    templates_dir: str = "ocr/templates"
    json_logs: bool = False
    browser: BrowserSettings = PydField(default_factory=BrowserSettings)
    ocr: OcrSettings = PydField(default_factory=OcrSettings)
    calendar: CalendarSettings = PydField(default_factory=CalendarSettings)
    scheduler: SchedulerSettings = PydField(default_factory=SchedulerSettings)
    ledger: LedgerSettings = PydField(default_factory=LedgerSettings)
    notify: NotifySettings = PydField(default_factory=NotifySettings)

    @property
    def var_dir(self) -> Path:
        return self.home / "var"

    @property
    def runs_dir(self) -> Path:
        return self.var_dir / "runs"

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'dxrpa.db').resolve()}"


def _set_dotted(target: dict[str, Any], dotted: str, value: str) -> None:
    parts = dotted.split("__")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


_NOT_SETTINGS = (
    "DXRPA_CONFIG",
    "DXRPA_SECRET_KEY",
    "DXRPA_SECRET_KEY_FILE",
    "DXRPA_CONSOLE_TRUST_HEADER",
    "DXRPA_AUDIT_KEY",
    "DXRPA_AUDIT_KEY_FILE",
    "DXRPA_CHILD_SETTINGS",  # the settings a run child was started with (scheduler.launcher, JSON)
)


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read settings: defaults ← configs/dxrpa.toml (or DXRPA_CONFIG) ← DXRPA_* env.

    Nested keys use a double underscore: ``DXRPA_BROWSER__EXECUTABLE=/usr/bin/chromium``.
    """
    env = dict(os.environ if env is None else env)
    cfg_path = Path(path or env.get("DXRPA_CONFIG") or "configs/dxrpa.toml")
    data: dict[str, Any] = {}
    if cfg_path.is_file():
        try:
            data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{cfg_path}: not valid TOML: {exc}", hint="fix the file or remove it") from exc
    elif path is not None:
        raise ConfigError(f"{cfg_path}: settings file not found")
    for key, value in env.items():
        if key.startswith("DXRPA_") and key not in _NOT_SETTINGS and not key.startswith("DXRPA_TEST_"):
            _set_dotted(data, key[len("DXRPA_") :].lower(), value)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            tr(
                f"{cfg_path}: 設定 '{where}' が不正です: {err['msg']}",
                f"{cfg_path}: setting '{where}': {err['msg']}",
            ),
            hint=tr(
                "configs/dxrpa.toml の説明どおりに直してください（人件費単価・年間時間は正の数）",
                "see configs/dxrpa.toml for the documented keys",
            ),
        ) from exc


# --------------------------------------------------------------------------- YAML with positions


@dataclass
class Positions:
    """Maps a location path (keys and list indexes) to its 1-based (line, col) in the source."""

    path: str
    spots: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_spots: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def find(self, loc: Loc, *, key: bool = False) -> tuple[int | None, int | None]:
        """Position of ``loc``; falls back to the closest ancestor that has one."""
        table = self.key_spots if key else self.spots
        probe = tuple(loc)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.spots:
                return self.spots[probe]
            probe = probe[:-1]
        return self.spots.get((), (1, 1))


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _construct(node: yaml.Node, loc: Loc, pos: Positions, path: str) -> Any:
    pos.spots[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise DefinitionError(
                    tr("キーは文字列で書いてください", "a key must be plain text"),
                    path=path,
                    line=key_node.start_mark.line + 1,
                    col=key_node.start_mark.column + 1,
                )
            key = _scalar(key_node)
            if key == "<<":
                raise DefinitionError(
                    tr("YAML のマージキー (<<) は使えません", "YAML merge keys (<<) are not supported"),
                    path=path,
                    line=key_node.start_mark.line + 1,
                    col=key_node.start_mark.column + 1,
                )
            if key in out:
                raise DefinitionError(
                    tr(f"キー '{key}' が 2 回あります", f"key '{key}' appears twice"),
                    path=path,
                    line=key_node.start_mark.line + 1,
                    col=key_node.start_mark.column + 1,
                    hint=tr("どちらか一方にしてください", "keep one of them"),
                )
            pos.key_spots[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(value_node, (*loc, key), pos, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, (*loc, i), pos, path) for i, child in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = _UniqueKeyLoader("")
    return loader.construct_object(node, deep=True)


MAX_YAML_NODES = 100_000  # nodes after alias expansion: a long robot has a few thousand
MAX_YAML_DEPTH = 64  # nesting levels: real robots and templates stay under 15


def check_yaml_limits(text: str, path: str) -> None:
    """Refuse alias bombs ("billion laughs") and deep nesting before anything is built.

    One pass over the parser's events (iterative, no recursion): each node's size is counted
    with its aliases expanded, so ``&a [*b, *b, …]`` chains are caught after a few hundred
    events, long before composing or walking the tree would take seconds and gigabytes.
    """
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [expanded size so far, anchor] per open collection
    total = 0
    for event in yaml.parse(text, Loader=_UniqueKeyLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([1, event.anchor])
            if len(stack) > MAX_YAML_DEPTH:
                raise _limit_error(
                    path,
                    event,
                    tr(
                        f"入れ子が深すぎます ({MAX_YAML_DEPTH} 段まで)",
                        f"nesting is too deep (at most {MAX_YAML_DEPTH} levels)",
                    ),
                )
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
        elif isinstance(event, yaml.AliasEvent):
            size, anchor = sizes.get(str(event.anchor), 1), None
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        else:
            continue
        if anchor is not None:
            sizes[str(anchor)] = size
        if stack:
            stack[-1][0] += size
            size = stack[-1][0]
        else:
            total += size
            size = total
        if size > MAX_YAML_NODES:
            raise _limit_error(
                path,
                event,
                tr(
                    f"エイリアス(*)を展開すると要素が多すぎます ({MAX_YAML_NODES:,} 個まで)",
                    f"too many nodes once aliases (*) are expanded (at most {MAX_YAML_NODES:,})",
                ),
            )


def _limit_error(path: str, event: yaml.Event, message: str) -> DefinitionError:
    mark = event.start_mark
    return DefinitionError(
        message,
        path=path,
        line=mark.line + 1 if mark else None,
        col=mark.column + 1 if mark else None,
        hint=tr(
            "アンカー(&)とエイリアス(*)の繰り返しや深い入れ子をやめ、値を直接書いてください",
            "write the values out instead of nesting anchors (&) and aliases (*)",
        ),
    )


def read_yaml_text(path: str | Path) -> str:
    """The text of a YAML file (UTF-8, BOM allowed); DefinitionError when missing or not UTF-8."""
    spath = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise DefinitionError(
            tr("ファイルが見つかりません", "file not found"),
            path=spath,
            hint=tr("パスを確認してください", "check the path"),
        ) from exc
    except OSError as exc:
        raise DefinitionError(
            tr(f"ファイルを読めません: {exc.strerror}", f"cannot read the file: {exc.strerror}"), path=spath
        ) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            tr(
                f"UTF-8 ではありません ({exc.start + 1} バイト目)",
                f"the file is not UTF-8 (byte {exc.start + 1})",
            ),
            path=spath,
            hint=tr("UTF-8 で保存し直してください (BOM 付きも可)", "save it as UTF-8 (BOM allowed)"),
        ) from exc


def trap_errors(text: str, path: str, kinds: frozenset[str] = frozenset({"space", "colon", "quote"})) -> None:
    """Raise the full-width traps (:mod:`dxrpa.yaml_traps`) of ``kinds`` found in ``text``, if any."""
    found = [t for t in find_traps(text) if t.kind in kinds]
    if found:
        raise DefinitionErrors(
            [DefinitionError(t.message, path=path, line=t.line, col=t.col, hint=t.hint) for t in found]
        )


# PyYAML's problem texts (prefixes) → what staff should read, in Japanese.
_YAML_PROBLEMS_JA = (
    ("mapping values are not allowed here", "ここに「キー: 値」は書けません (字下げか、値の中の「: 」)"),
    ("expected <block end>", "字下げがそろっていません"),
    ("expected <block mapping start>", "字下げがそろっていません"),
    ("could not find expected ':'", "「キー: 値」の「:」が見つかりません"),
    ("found character '\\t' that cannot start any token", "タブ文字は使えません"),
    ("found unexpected end of stream", "引用符かかっこが閉じられていません"),
    ("found unknown escape character", '"…" の中に使えない \\ があります'),
    ("did not find expected key", "キーが来るべき場所に別のものがあります (字下げか「-」を確認)"),
    ("did not find expected ',' or ']'", "[ ] が閉じられていないか「,」がありません"),
    ("did not find expected ',' or '}'", "{ } が閉じられていないか「,」がありません"),
    ("did not find expected node content", "値がありません"),
    ("found undefined alias", "定義されていないエイリアス(*)です"),
    ("found duplicate anchor", "同じ名前のアンカー(&)が 2 回あります"),
)


def _yaml_problem(problem: str) -> str:
    for prefix, ja in _YAML_PROBLEMS_JA:
        if problem.startswith(prefix):
            return tr(f"YAML の書き方の誤り: {ja}", f"YAML syntax error: {problem}")
    return tr(f"YAML の書き方の誤り: {problem}", f"YAML syntax error: {problem}")


def load_yaml(path: str | Path, text: str | None = None) -> tuple[Any, Positions]:
    """Parse YAML, keeping positions. Raises DefinitionError with line/col on bad syntax, alias
    bombs or deep nesting (:func:`check_yaml_limits`); a syntax error caused by a full-width
    space or colon is reported as that trap at its own line, and full-width quotes always are."""
    spath = str(path)
    if text is None:
        text = read_yaml_text(path)
    pos = Positions(spath)
    try:
        check_yaml_limits(text, spath)
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        trap_errors(text, spath)
        mark = exc.problem_mark or exc.context_mark
        if str(exc.problem).startswith("could not find expected ':'") and exc.context_mark:
            mark = exc.context_mark  # the line missing its ':' is where the key started
        raise DefinitionError(
            _yaml_problem(str(exc.problem or exc.context)),
            path=spath,
            line=mark.line + 1 if mark else None,
            col=mark.column + 1 if mark else None,
            hint=tr(
                '字下げと引用符を確認してください。「: 」や「{{」を含む値は "…" で囲みます',
                "check indentation and quoting; values containing ': ' or '{{' need quotes",
            ),
        ) from exc
    trap_errors(text, spath, frozenset({"quote"}))
    if node is None:
        raise DefinitionError(tr("ファイルが空です", "the file is empty"), path=spath)
    return _construct(node, (), pos, spath), pos


def _allowed_keys(model: type[BaseModel], loc: Loc, data: Any) -> list[str]:
    """Best-effort: the keys valid at ``loc`` (for 'did you mean'), as written in YAML (``if``)."""
    current: Any = model
    value = data
    for part in loc:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and part < len(value) else None
            continue
        if isinstance(value, dict):
            value = value.get(part)
        fields = getattr(current, "model_fields", None)
        if fields and part in fields:
            ann = fields[part].annotation
            current = _first_model(ann)
        else:
            # a union of step models keyed by the step name
            current = _first_model(current)
            found = _lookup_union_member(current, part)
            current = found
    fields = getattr(current, "model_fields", {})
    return [info.alias or name for name, info in fields.items()]  # 'if', not the internal 'if_'


def _first_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _lookup_union_member(model: Any, key: str) -> Any:
    fields = getattr(model, "model_fields", {})
    if key in fields:
        return _first_model(fields[key].annotation)
    return None


# pydantic error types → Japanese; ``{}`` fields come from the error's ``ctx``.
_PYDANTIC_JA = {
    "missing": "必須の項目がありません",
    "string_type": "文字列で書いてください",
    "int_type": "整数で書いてください",
    "int_parsing": "整数で書いてください",
    "int_from_float": "整数で書いてください (小数点なし)",
    "float_type": "数値で書いてください",
    "float_parsing": "数値で書いてください",
    "bool_type": "true か false で書いてください",
    "bool_parsing": "true か false で書いてください",
    "list_type": "一覧 (「- 」で始まる行か [a, b]) で書いてください",
    "dict_type": "「キー: 値」の組で書いてください",
    "model_type": "「キー: 値」の組で書いてください",
    "model_attributes_type": "「キー: 値」の組で書いてください",
    "literal_error": "次のどれかにしてください: {expected}",
    "enum": "次のどれかにしてください: {expected}",
    "greater_than": "{gt} より大きい値にしてください",
    "greater_than_equal": "{ge} 以上にしてください",
    "less_than": "{lt} より小さい値にしてください",
    "less_than_equal": "{le} 以下にしてください",
    "string_too_short": "{min_length} 文字以上にしてください",
    "string_too_long": "{max_length} 文字以下にしてください",
    "too_short": "{min_length} 個以上にしてください",
    "too_long": "{max_length} 個以下にしてください",
    "string_pattern_mismatch": "書式が違います (パターン {pattern})",
    "union_tag_invalid": "次のどれかにしてください: {expected_tags}",
}


def pydantic_message(err: Any) -> str:
    """The text of one pydantic error in the current language (pydantic's own in English)."""
    msg = str(err["msg"])
    etype = err["type"]
    if etype == "value_error":  # our validators: "Value error, <text>"
        text = msg.removeprefix("Value error, ")
        return tr(text, text)
    template = _PYDANTIC_JA.get(etype)
    if template is None:
        return msg
    try:
        ja = template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        ja = template
    return tr(ja, msg)


def describe_validation_error(
    exc: ValidationError, pos: Positions, data: Any, model: type[BaseModel], *, label: Any = None
) -> list[DefinitionError]:
    """Turn pydantic errors into DefinitionErrors at their file positions.

    ``label(loc)`` may return a prefix such as "step 3 (fill)" for a location.
    """
    out: list[DefinitionError] = []
    seen: set[tuple[Any, ...]] = set()
    missing: set[int] = set()  # ids of "required" errors, for _explains
    typos: dict[int, str] = {}  # id of an unknown-key error → the key it probably meant
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        etype = err["type"]
        prefix = label(loc) if label else None
        hint = None
        if etype == "extra_forbidden":
            key = loc[-1]
            line, col = pos.find(loc, key=True)
            allowed = _allowed_keys(model, loc[:-1], data)
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            msg = tr(f"不明なキー '{key}'", f"unknown key '{key}'")
            if close:
                msg += tr(f" — もしかして '{close[0]}'?", f" — did you mean '{close[0]}'?")
            elif allowed:
                hint = tr("使えるキー: ", "allowed keys: ") + ", ".join(sorted(allowed))
        else:
            line, col = pos.find(loc)
            where = ".".join(str(p) for p in loc)
            text = pydantic_message(err)
            msg = f"'{where}': {text}" if where else text
            if etype == "string_type" and isinstance(err.get("input"), bool):  # YAML 1.1: no, yes, on, off
                hint = tr(
                    "YAML では no・yes・on・off や true・false は真偽値になります。"
                    '文字として使うなら "no" のように引用符で囲むか、別の名前にしてください',
                    "YAML reads no, yes, on, off, true and false as booleans:"
                    ' quote it ("no") or pick another name',
                )
        if prefix:
            msg = f"{prefix}: {msg}"
        sig = (line, col, msg)
        if sig in seen:
            continue
        seen.add(sig)
        error = DefinitionError(msg, path=pos.path, line=line, col=col, hint=hint)
        if etype == "extra_forbidden" and close:
            typos[id(error)] = close[0]
        if etype == "missing":
            missing.add(id(error))
        out.append(error)
    out.sort(key=lambda e: (e.line or 0, e.col or 0))
    return [
        e for e in out if not (id(e) in missing and any(f".{key}'" in e.message for key in typos.values()))
    ]


def load_definition(
    path: str | Path,
    model: type[M],
    *,
    text: str | None = None,
    label: Any = None,
    parsed: tuple[Any, Positions] | None = None,
) -> tuple[M, Positions]:
    """Load YAML at ``path`` into ``model``; every problem is reported at its line. A full-width
    space or colon (:mod:`dxrpa.yaml_traps`) is reported instead of the errors it causes.
    ``parsed``: the ``load_yaml`` result when the caller already has it (the file is parsed once)."""
    if text is None:
        text = read_yaml_text(path)
    data, pos = parsed if parsed is not None else load_yaml(path, text)
    if not isinstance(data, dict):
        trap_errors(text, str(path))
        raise DefinitionError(
            tr(
                "ファイルの一番上は「キー: 値」の並び (name:, steps: …) にしてください",
                "the top level must be a mapping of keys (name:, steps: …)",
            ),
            path=str(path),
            line=1,
        )
    try:
        return model.model_validate(data), pos
    except ValidationError as exc:
        trap_errors(text, str(path))
        errors = describe_validation_error(exc, pos, data, model, label=label)
        raise DefinitionErrors(errors) from exc
