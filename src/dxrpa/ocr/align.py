"""Align a scanned page to the template's blank form: ORB features + RANSAC homography.

Field boxes are in template pixels, so every page is warped onto the blank image before fields
are cropped. The alignment score is the share of the blank form's printed lines and labels found
again on the warped page; a page scoring below the template's ``min_alignment`` (another form,
a blank sheet, an upside-down scan) is refused with the reason, never read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import cv2
import numpy as np

from dxrpa.errors import DataError
from dxrpa.i18n import tr
from dxrpa.model.form import Alignment
from dxrpa.ocr.clean import print_level

WORK_WIDTH = 900  # features are matched on pages scaled to this width (speed)
MIN_INLIERS = 25
MAX_ROTATION_DEG = 20.0
#: ORB keeps a page's strongest corners. Heavy writing (a bold marker, a bold rounded font) has the
#: strongest, and left 13–21 of the form's own to match on pages that were then refused as another
#: form or upside-down; a page that does not match with the usual budget is tried again with this one
FEATURES, DENSE_FEATURES = 1500, 6000
#: a page wider than LARGE times the blank (a 300 or 600 dpi scan for a blank drawn at 150) is shrunk
#: to SHRUNK times before anything else: cleaning works in the blank's pixels, and a warp shrinking
#: it four times samples past thin strokes. Every such page was refused (its scale, 0.5, was taken
#: for a bad match, and it was called upside-down)
LARGE, SHRUNK = 1.5, 1.25
#: the page-to-blank scale, over the one the two image widths imply, of a sound match (a phone photo
#: shows the desk around the sheet: 1.25)
MIN_SCALE, MAX_SCALE = 0.6, 1.6
#: a page that shows less than this share of the form, and whose print matches where it shows it, is
#: said to be cut off (scanned as a smaller paper size) when it is refused
COVERED = 0.97


#: a form printed in a light colour (green, blue: print as light as 80 and more) has features found with
#: everything darker than FLOOR of the way from its print to white taken as that dark: black writing
#: otherwise has all the strongest corners (its print scans lighter still, blurred), and such pages
#: matched on 0-17 of the form's own and were read only with the dense budget (bench/ocr_accuracy.py);
#: the alignment score looks for its print as light as that too
LIGHT_PRINT, FLOOR = 60, 0.45
INK, SEEN = 160, 180  # the blank's print, and ink on a page where it is looked for (dark print)
DARK_PRINT = 0.002  # a blank with less than this share under INK is printed light (light blue: 160)


def _floor(level: float) -> int:
    return 0 if level < LIGHT_PRINT else int(level + FLOOR * (255 - level))


class PageRefused(DataError):
    """The page cannot be read with this template (wrong form, blank, upside-down)."""


class Aligned(NamedTuple):
    """A page warped onto the blank form."""

    image: np.ndarray
    alignment: Alignment
    outside: np.ndarray | None  # where the form lies outside the page (None: the page covers it all)
    homography: np.ndarray  # page (as fitted) to blank

    def warp(self, image: np.ndarray, fill: int = 255) -> np.ndarray:
        """Another image of the same (fitted) page, warped the same way."""
        return _warp(image, self.homography, self.image.shape, fill)


def _warp(image: np.ndarray, h: np.ndarray, shape: tuple[int, ...], fill: int = 255) -> np.ndarray:
    size = (shape[1], shape[0])
    flags, border = cv2.INTER_LINEAR, cv2.BORDER_CONSTANT
    return np.asarray(cv2.warpPerspective(image, h, size, flags=flags, borderMode=border, borderValue=fill))


@dataclass
class _Ref:
    orb: Any  # the detector with this budget, for the pages too
    scale: float
    keypoints: list[cv2.KeyPoint]
    descriptors: np.ndarray


def ink_mask(gray: np.ndarray, threshold: int = 160) -> np.ndarray:
    return gray < threshold


class Aligner:
    """Per template: the blank form's features, computed once and reused for every page."""

    def __init__(self, blank: np.ndarray, *, min_score: float = 0.7) -> None:
        self.blank = blank
        self.height, self.width = blank.shape
        self.min_score = min_score
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        printed = ink_mask(blank)
        if np.count_nonzero(printed) < DARK_PRINT * printed.size:  # printed in a light colour only
            printed = ink_mask(blank, 220)
        self._floor = _floor(print_level(blank, printed)) if printed.any() else 0
        #: where the blank has print, and how dark ink on a page is where it is looked for: a form
        #: printed in a light colour has its print as light as that
        self.ink_level = max(INK, self._floor)
        self._ink = ink_mask(blank, self.ink_level)
        self._seen = SEEN + self.ink_level - INK
        self._refs: dict[int, _Ref] = {}
        self._reference(FEATURES)

    def _reference(self, features: int) -> _Ref:
        """The blank form's features with this budget (the dense ones only once a page needs them)."""
        if features not in self._refs:
            orb_create = getattr(cv2, "ORB_create")  # noqa: B009 - missing from OpenCV's type stubs
            orb = orb_create(nfeatures=features, scaleFactor=1.2, nlevels=8, fastThreshold=12)
            scale = WORK_WIDTH / self.width
            small = cv2.resize(self.blank, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            kps, desc = orb.detectAndCompute(np.maximum(small, self._floor), None)
            self._refs[features] = _Ref(orb, scale, list(kps), desc)
        return self._refs[features]

    def _homography(self, page: np.ndarray, features: int) -> tuple[np.ndarray | None, int]:
        ref = self._reference(features)
        ps = WORK_WIDTH / page.shape[1]
        small = cv2.resize(page, None, fx=ps, fy=ps, interpolation=cv2.INTER_AREA)
        kps, desc = ref.orb.detectAndCompute(np.maximum(small, self._floor), None)
        if desc is None or len(kps) < MIN_INLIERS or ref.descriptors is None:
            return None, 0
        pairs = self._matcher.knnMatch(desc, ref.descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
        if len(good) < MIN_INLIERS:
            return None, len(good)
        src = np.array([kps[m.queryIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
        dst = np.array([ref.keypoints[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
        h_small, mask = cv2.findHomography(src, dst, cv2.RANSAC, 3.0, maxIters=4000, confidence=0.999)
        if h_small is None:
            return None, 0
        inliers = int(mask.sum())
        s_page = np.diag([ps, ps, 1.0])
        s_ref_inv = np.diag([1 / ref.scale, 1 / ref.scale, 1.0])
        return s_ref_inv @ h_small @ s_page, inliers

    def fit(self, page: np.ndarray) -> np.ndarray:
        """``page`` shrunk (area-averaged) to :data:`SHRUNK` times the blank's width when it is
        more than :data:`LARGE` times as wide; otherwise as it is."""
        if page.shape[1] <= LARGE * self.width:
            return page
        f = SHRUNK * self.width / page.shape[1]
        return cv2.resize(page, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)

    def score(self, warped: np.ndarray, outside: np.ndarray | None = None) -> float:
        """Share of the blank form's ink that is ink on the warped page too (0..1); with
        ``outside``, of the ink the page shows."""
        ink = cv2.dilate(ink_mask(warped, self._seen).astype(np.uint8), np.ones((5, 5), np.uint8))
        shown = self._ink if outside is None else self._ink & ~outside
        return int(np.count_nonzero(ink[shown])) / max(int(np.count_nonzero(shown)), 1)

    def align(self, page: np.ndarray, *, label: str = "") -> Aligned:
        """Warp ``page`` onto the blank form; raise PageRefused with the reason if it does not match
        (with the usual feature budget, then with :data:`DENSE_FEATURES`)."""
        where = f"{label}: " if label else ""
        ink_share = float(np.count_nonzero(ink_mask(page, self.ink_level))) / page.size  # a light print too
        if ink_share < 0.003:
            raise PageRefused(
                where + tr("白紙のページです", "the page is blank"),
                hint=tr("裏面や白紙を取り除いてください", "remove blank sheets and back sides"),
            )
        try:
            return self._align(page, where, FEATURES)
        except PageRefused:
            return self._align(page, where, DENSE_FEATURES)

    def _align(self, page: np.ndarray, where: str, features: int) -> Aligned:
        h, inliers = self._homography(page, features)
        rotation, scale = self._geometry(h)
        if (
            h is not None
            and inliers >= MIN_INLIERS
            and not self._sound(scale, page)
            and self._form_at(page, h)
        ):
            size = self.width / max(scale * page.shape[1], 1)  # the form's size on the page, as a share
            raise PageRefused(
                where
                + tr(
                    f"ページの縮尺が様式と合いません（様式の {size:.0%} の大きさです）",
                    f"the page's scale does not match the form (it is {size:.0%} of the form's size)",
                ),
                hint=tr(
                    "縮小・拡大せず原寸（100%）でスキャンしてください",
                    "scan it at 100 % (not reduced or enlarged)",
                ),
            )
        if h is None or inliers < MIN_INLIERS:
            if self._upside_down(page, features):
                raise self._upside_down_error(where)
            raise PageRefused(
                where
                + tr(
                    f"様式が一致しません（一致した特徴点 {inliers}）。別の様式か、読めないスキャンです",
                    f"the page does not match the form (feature matches: {inliers}); another form?",
                ),
                hint=tr("正しい様式テンプレートを指定してください", "use the right template (--template)"),
            )
        if abs(rotation) > MAX_ROTATION_DEG:
            if abs(abs(rotation) - 180) < MAX_ROTATION_DEG:
                raise self._upside_down_error(where)
            raise PageRefused(
                where
                + tr(f"ページが {rotation:.0f}° 回転しています", f"the page is rotated {rotation:.0f}°"),
                hint=tr("正しい向きでスキャンし直してください", "scan it again the right way up"),
            )
        warped = _warp(page, h, self.blank.shape)
        score = self.score(warped)
        outside = self._outside(page, h)
        covered = 1 - float(outside.mean())
        info = Alignment(
            score=round(score, 3),
            inliers=inliers,
            rotation_deg=round(rotation, 2),
            scale=round(scale, 3),
            covered=round(covered, 3),
        )
        if score < self.min_score and covered < COVERED and self.score(warped, outside) >= self.min_score:
            raise PageRefused(
                where
                + tr(
                    f"スキャンに様式の一部しか写っていません（写っているのは {covered:.0%}）",
                    f"the scan shows only part of the form ({covered:.0%} of it)",
                ),
                hint=tr(
                    "用紙全体が写るように、用紙の大きさを合わせてスキャンし直してください",
                    "scan it again with the paper size set so that the whole sheet shows",
                ),
            )
        if score < self.min_score:
            raise PageRefused(
                where
                + tr(
                    f"様式との一致度が低すぎます（{score:.2f} < {self.min_score:.2f}）",
                    f"alignment quality too low ({score:.2f} < {self.min_score:.2f})",
                ),
                hint=tr(
                    "別の様式か、かすれ・汚れがひどいスキャンです", "another form, or a badly faded scan"
                ),
            )
        return Aligned(warped, info, outside if covered < 1 else None, h)

    def _outside(self, page: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Where the blank form lies outside the scanned page (a sheet scanned as a smaller paper
        size, its foot cut off): those pixels of the warped page are border, not paper."""
        ph, pw = page.shape[:2]
        corners = np.array([[[0, 0]], [[pw, 0]], [[pw, ph]], [[0, ph]]], dtype=np.float32)
        inside = np.zeros((self.height, self.width), np.uint8)
        cv2.fillConvexPoly(inside, cv2.perspectiveTransform(corners, h).round().astype(np.int32), 1)
        outside: np.ndarray = inside == 0
        return outside

    @staticmethod
    def _geometry(h: np.ndarray | None) -> tuple[float, float]:
        """The rotation (degrees) and scale of a page-to-blank homography (0, 0 for none)."""
        if h is None:
            return 0.0, 0.0
        return math.degrees(math.atan2(h[1, 0], h[0, 0])), math.sqrt(abs(np.linalg.det(h[:2, :2])))

    def _sound(self, scale: float, page: np.ndarray) -> bool:
        """The match's scale is near the one the page's and the blank's widths imply."""
        return bool(MIN_SCALE < scale * page.shape[1] / self.width < MAX_SCALE)

    def _form_at(self, page: np.ndarray, h: np.ndarray) -> bool:
        """The form's print is found where ``h`` maps the page onto the blank."""
        return bool(self.score(_warp(page, h, self.blank.shape)) >= self.min_score)

    def _upside_down(self, page: np.ndarray, features: int) -> bool:
        """The page turned round matches the form the right way up: enough features, no rotation
        left (ORB matches a page at any angle, so a match alone says nothing), the form's print
        found."""
        turned = cv2.rotate(page, cv2.ROTATE_180)
        h, inliers = self._homography(turned, features)
        rotation, scale = self._geometry(h)
        if h is None or inliers < MIN_INLIERS or abs(rotation) > MAX_ROTATION_DEG:
            return False
        return self._sound(scale, turned) and self._form_at(turned, h)

    @staticmethod
    def _upside_down_error(where: str) -> PageRefused:
        return PageRefused(
            where + tr("ページが上下逆さまです", "the page is upside-down"),
            hint=tr("正しい向きでスキャンし直してください", "scan it again the right way up"),
        )
