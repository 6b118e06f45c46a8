"""OCR form templates (``ocr/templates/NAME.yaml``) and the results of reading a form.

A template names every field of a paper form, where it sits on the blank form image (template
pixels, ``box: [x, y, width, height]``) and what type of value it holds, so the pipeline can crop,
recognize, normalize and validate each field on its own. Results are plain data shared by the OCR
pipeline, the store and the robot engine.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal[
    "text",
    "katakana",
    "hiragana",
    "number",
    "date",
    "phone",
    "postal_code",
    "email",
    "my_number",
    "checkbox",
    "choice",
]
Box = tuple[int, int, int, int]
FieldStatus = Literal["ok", "review"]
FormStatus = Literal["ok", "review", "failed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # a template, as loaded, for the whole batch


class ChoiceOption(_Strict):
    """One checkbox of a ``choice`` field; the ticked option's ``value`` becomes the field value."""

    value: str
    box: Box


class FieldSpec(_Strict):
    """One field of a form."""

    name: str = Field(min_length=1)
    type: FieldType = "text"
    box: Box | None = None
    options: list[ChoiceOption] = Field(default_factory=list)
    required: bool = False
    regex: str | None = None
    allowed: list[str] = Field(default_factory=list)
    dictionary: str | None = None  # a UTF-8 text file beside the template, one allowed value per line
    min: float | None = None
    max: float | None = None
    digits: int | None = None  # exact number of digits (number fields)
    era: Literal["wareki", "seireki", "any"] = "any"  # how dates are written on paper; output is ISO
    keep_variants: bool = False  # keep 異体字・旧字体 as written (names); the 常用 form is not substituted
    master: str | None = None  # address fields: the city's 町字 master CSV beside the template
    reading_of: str | None = None  # kana fields: the kanji field they are the reading of (default 氏名)

    @model_validator(mode="after")
    def _shape(self) -> FieldSpec:
        if self.type == "choice":
            if len(self.options) < 2:
                raise ValueError("a choice field needs at least two options (value + box each)")
        elif self.box is None:
            raise ValueError("this field needs a box: [x, y, width, height]")
        elif self.options:
            raise ValueError("options are only allowed on choice fields")
        if self.master is not None and self.type != "text":
            raise ValueError("master: (a 町字 master CSV) is only allowed on text (address) fields")
        if self.reading_of is not None and self.type not in ("katakana", "hiragana"):
            raise ValueError("reading_of: is only allowed on katakana or hiragana fields")
        return self

    def boxes(self) -> list[Box]:
        """Every box of the field (the option boxes of a choice)."""
        if self.type == "choice":
            return [o.box for o in self.options]
        return [self.box] if self.box is not None else []


class PageSize(_Strict):
    width: int = Field(gt=0)
    height: int = Field(gt=0)


class FormTemplate(_Strict):
    """A form type: the blank image beside the YAML and its fields."""

    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    title: str = ""
    department: str = ""
    image: str  # blank form image, relative to the YAML file
    page: PageSize
    review_minutes_per_field: float = 0.5
    min_alignment: float = 0.7  # refuse pages whose alignment score is below this
    fields: list[FieldSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> FormTemplate:
        seen: set[str] = set()
        for f in self.fields:
            if f.name in seen:
                raise ValueError(f"field name '{f.name}' appears twice")
            seen.add(f.name)
        for f in self.fields:
            if f.reading_of is not None and f.reading_of not in seen:
                raise ValueError(f"reading_of: no field named '{f.reading_of}'")
        return self

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


class Alignment(BaseModel):
    """How well a page matched the blank form (0..1 score; inlier feature matches)."""

    score: float = 0.0
    inliers: int = 0
    rotation_deg: float = 0.0
    scale: float = 1.0
    covered: float = 1.0  # the share of the form the scan shows (a page scanned too small is cut off)


class FieldResult(BaseModel):
    name: str
    type: FieldType
    value: str = ""  # normalized value ("" when empty)
    text: str = ""  # what the engine read before normalization
    raw: str = ""  # the value with its 字形 kept (異体字 as written) when that differs from ``value``
    confidence: float = 0.0  # the figure compared with the review threshold
    weakest: float = 1.0  # least certain character
    gap: bool = False  # a character may have been dropped (unexplained room between decoded characters)
    status: FieldStatus = "review"
    reason: str = ""  # why the field needs review
    crop: str | None = None  # path of the field crop image


class FormResult(BaseModel):
    """One form (one page) of an input file, or the failure of a file/page."""

    source_file: str
    page: int = 1
    status: FormStatus = "ok"
    error: str = ""
    alignment: Alignment | None = None
    fields: list[FieldResult] = Field(default_factory=list)
    seconds: float = 0.0

    def values(self) -> dict[str, str]:
        return {f.name: f.value for f in self.fields}
