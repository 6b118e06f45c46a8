"""Browser detection/launch, the allowed-domains guard, HTTP 5xx, tracing and masked screenshots."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from dxrpa.browser.masking import masked_screenshot
from dxrpa.browser.session import (
    BrowserHandle,
    blocked_url_pattern,
    detect_executable,
    launch,
)
from dxrpa.config import BrowserSettings
from dxrpa.engine.steps import run_steps
from dxrpa.errors import DependencyMissing, ItemSystemError, RobotDefect

from .conftest import CHROMIUM, Harness, Site, make_robot


def test_detect_executable_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DXRPA_BROWSER__EXECUTABLE", raising=False)
    assert detect_executable(BrowserSettings(executable=str(CHROMIUM))) == (str(CHROMIUM), None)
    monkeypatch.setenv("DXRPA_BROWSER__EXECUTABLE", str(CHROMIUM))
    assert detect_executable(BrowserSettings()) == (str(CHROMIUM), None)
    monkeypatch.delenv("DXRPA_BROWSER__EXECUTABLE")
    assert detect_executable(BrowserSettings(channel="msedge")) == (None, "msedge")
    # nothing configured: the system Chromium on PATH
    exe, channel = detect_executable(BrowserSettings())
    assert exe is not None and Path(exe).resolve() == CHROMIUM.resolve() and channel is None


def test_detect_executable_missing_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DXRPA_BROWSER__EXECUTABLE", raising=False)
    with pytest.raises(DependencyMissing) as err:
        detect_executable(BrowserSettings(executable=str(tmp_path / "no-such-browser")))
    assert "no-such-browser" in str(err.value) and "apt-get install chromium" in str(err.value)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "empty"))
    with pytest.raises(DependencyMissing, match="apt-get install chromium"):
        detect_executable(BrowserSettings())
    with pytest.raises(DependencyMissing):
        asyncio.run(launch(BrowserSettings()))


def test_blocked_url_pattern() -> None:
    pattern = blocked_url_pattern(["127.0.0.1", "localhost", "*.city.example.lg.jp", "intra.example:8443"])

    def allowed(url: str) -> bool:
        return pattern.match(url) is None

    for url in (
        "http://127.0.0.1:8000/form",
        "http://localhost/",
        "http://sub.localhost:8000/x",
        "https://city.example.lg.jp",
        "https://www.city.example.lg.jp/path?q=1",
        "https://intra.example/",
        "data:text/html,hi",
        "about:blank",
        "blob:http://127.0.0.1/uuid",
    ):
        assert allowed(url), url
    for url in (
        "http://evil.example/",
        "http://127.0.0.1.evil.example/",
        "http://evil.example/?next=http://127.0.0.1/",
        "http://127.0.0.1@evil.example/",
        "https://notlocalhost/",
        "https://city.example.lg.jp.evil.example/",
        "ws://evil.example/socket",
    ):
        assert not allowed(url), url


def test_navigation_outside_allowed_domains_is_robot_defect(h: Harness) -> None:
    # a page whose <img> points outside loads fine (the subresource is just blocked) ...
    h.run_item([{"goto": f"{h.site.base}/links"}, {"expect": {"text": "外部サイト"}}])
    # ... a subdomain of an allowed host is allowed ...
    h.run_item([{"click": {"css": "#sub"}}, {"expect": {"url": "**/form"}}])
    # ... a click that navigates outside is a defect of the robot ...
    h.run_item([{"goto": f"{h.site.base}/links"}])
    with pytest.raises(RobotDefect, match=r"evil\.example"):
        h.run_item([{"click": {"css": "#evil"}}, {"wait": {"seconds": 0.3}}])
    # ... and so is a goto (last: Chromium then shows its error page, racing a next navigation)
    with pytest.raises(RobotDefect) as err:
        h.run_item([{"goto": "http://evil.example/steal"}])
    assert "navigation to evil.example blocked: not in allowed_domains" in str(err.value) or (
        "evil.example への移動を遮断しました" in str(err.value)
    )
    assert "item 手順 1 (goto)" in str(err.value)


def test_http_500_main_document_is_item_system_error(h: Harness) -> None:
    with pytest.raises(ItemSystemError) as err:
        h.run_item([{"goto": f"{h.site.base}/boom"}])
    assert f"ページが HTTP 500 を返しました: {h.site.base}/boom" in str(err.value)
    h.run_item([{"goto": f"{h.site.base}/links"}])  # the flag was consumed
    with pytest.raises(ItemSystemError, match="HTTP 500"):
        h.run_item([{"click": {"css": "#boom"}}, {"expect": {"text": "登録しました"}, "timeout_ms": 300}])


def test_trace_kept_only_when_asked(h: Harness, tmp_path: Path) -> None:
    handle = h.handle
    h.run(handle.start_trace())
    h.run(handle.page.goto(f"{h.site.base}/form"))
    assert h.run(handle.stop_trace(None)) is None
    h.run(handle.start_trace())
    h.run(handle.page.goto(f"{h.site.base}/form"))
    kept = h.run(handle.stop_trace(tmp_path / "evidence" / "A-001-trace.zip"))
    assert kept is not None and kept.is_file()
    with zipfile.ZipFile(kept) as z:
        assert '"method":"goto"' in z.read("trace.trace").decode().replace(" ", "")
    assert h.run(handle.stop_trace(tmp_path / "again.zip")) is None  # not tracing any more


def _is_black(img: Image.Image, box: dict[str, float]) -> bool:
    x, y = int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2)
    pixel = img.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel[:3] == (0, 0, 0)


def test_masked_screenshot_hides_personal_inputs(h: Harness, tmp_path: Path) -> None:
    page = h.handle.page
    h.run(page.goto(f"{h.site.base}/personal"))
    path = h.run(masked_screenshot(page, tmp_path / "shot.png", [page.locator("#addr")], full_page=False))
    img = Image.open(path).convert("RGB")
    sels = ("#mn", "#mail", "#pw", "#city", "#addr", "#tel", "#born")
    boxes = {sel: h.run(page.locator(sel).bounding_box()) for sel in sels}
    assert all(box is not None for box in boxes.values())
    assert _is_black(img, boxes["#mn"]) and _is_black(img, boxes["#mail"]) and _is_black(img, boxes["#pw"])  # type: ignore[arg-type]
    assert _is_black(img, boxes["#addr"])  # type: ignore[arg-type]
    assert _is_black(img, boxes["#tel"])  # type: ignore[arg-type]
    assert not _is_black(img, boxes["#city"])  # type: ignore[arg-type]
    assert not _is_black(img, boxes["#born"])  # type: ignore[arg-type]
    assert h.run(page.locator("[data-dxrpa-mask]").count()) == 0  # marks cleaned up


def test_workers_share_one_browser_with_isolated_contexts(
    loop: asyncio.AbstractEventLoop, browser: BrowserHandle, site: Site, tmp_path: Path
) -> None:
    robot = make_robot(
        [
            {"goto": f"{site.base}/form"},
            {"fill": {"label": "氏名", "value": "{{ item.name }}"}},
            {"click": {"css": "#submit"}},
            {"extract": {"css": "#out", "into": "out"}},
        ]
    )

    async def worker(name: str) -> str:
        from dxrpa.engine.steps import StepContext

        handle = await browser.new_context(
            allowed_domains=["127.0.0.1"], timeout_ms=5000, downloads_dir=tmp_path
        )
        try:
            ctx = StepContext(
                page=await handle.new_page(),
                robot=robot,
                item={"name": name},
                variables={},
                env={},
                secrets={},
                run={"id": "r", "dry_run": False},
                run_folder=tmp_path,
                dry_run=False,
                timeout_ms=5000,
                source="robots/test_robot.yaml",
            )
            assert ctx.page is handle.page  # the first page is reused, not a second tab
            await run_steps(robot.item, ctx, "item")
            return str(ctx.variables["out"]).split("|")[0]
        finally:
            await handle.close()

    async def main() -> list[str]:
        return list(await asyncio.gather(*(worker(f"職員{i}") for i in range(4))))

    results = loop.run_until_complete(main())
    assert results == ["職員0", "職員1", "職員2", "職員3"]
    assert browser.is_connected and not browser.crashed


def test_launch_and_close_own_browser() -> None:
    async def main() -> tuple[bool, bool, bool]:
        async with await launch(BrowserSettings(executable=str(CHROMIUM))) as handle:
            connected = handle.is_connected
        return connected, handle.is_connected, handle.crashed

    assert asyncio.run(main()) == (True, False, False)


def test_page_crash_is_item_system_error(h: Harness) -> None:
    with pytest.raises(ItemSystemError):
        h.run_item([{"goto": "chrome://crash"}])
    with pytest.raises(ItemSystemError, match=r"crash|クラッシュ"):
        h.run_item([{"wait": {"seconds": 0.3}}, {"click": {"css": "body"}}])
