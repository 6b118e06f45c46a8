"""OCR accuracy benchmark: one line per source, dxrpa pipeline vs a naive baseline on the same pages.

    python bench/ocr_accuracy.py              # 10 pages per source (~25 sources), a few minutes
    python bench/ocr_accuracy.py --quick      # 3 pages per source, about a minute
    python bench/ocr_accuracy.py --only fax   # sources whose name contains "fax"

Each source (bench/ocr_sources.py) varies one thing the project's own generator holds fixed: one
font at a time (10 printed, 3 handwriting-like families), one kind of mark, one degradation (fax
1-bit, 100/200/300/600 dpi, phone photo, coloured paper, red 印鑑, light scan, show-through,
writing too big or small for its box, feeder streak), pencil, real human glyphs (MNIST and USPS digits),
one layout printed or filled another way (comb boxes; 年 月 日 printed in date boxes; eras to circle;
input boxes tinted grey; an address on two lines), or a real form a third party filled in
(bench/data/forms: the page itself, scanned, faxed and photographed).
Per source: field exact match on printed and on handwriting-like pages, the share of fields
auto-accepted (status ok), wrong answers among them, seconds per page, peak memory (RSS of the
whole process so far) and the naive baseline (full-page OCR without alignment or field rules:
detected lines assigned to template boxes, NFKC only) on the first pages of the same source.
Then exact match per field type, and the curve of accuracy against auto-accepted share over
review thresholds, so a city can pick its own point.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_sources import Page, make_pages, sources

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "ocr" / "templates"
SEED = 9300  # tests use other seeds
THRESHOLDS = [0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99]
TYPES = ["text", "katakana", "hiragana", "number", "date", "phone", "postal_code", "email", "my_number"]
TYPES += ["checkbox", "choice"]


@dataclass
class Read:
    source: str
    style: str
    type: str
    good: bool
    ok: bool
    confidence: float
    only_confidence: bool  # passes grammar and cross-checks; only the threshold can hold it back


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:6.2f}" if b else "   n/a"


def _naive(engine: object, reader: object, folder: Path, page: Page) -> tuple[int, int]:
    from dxrpa.ocr.load import load_pages

    spec = reader.template.spec  # type: ignore[attr-defined]
    lines = engine.read_page(next(iter(load_pages(folder / page.file))))  # type: ignore[attr-defined]
    good = 0
    for fs in spec.fields:
        got = ""  # a text reader cannot tell a ticked box
        if fs.type not in ("checkbox", "choice"):
            x, y, w, h = fs.box or (0, 0, 0, 0)
            hits = [
                ln
                for ln in lines
                if x <= (ln.box[0] + ln.box[2]) / 2 <= x + w and y <= (ln.box[1] + ln.box[3]) / 2 <= y + h
            ]
            got = unicodedata.normalize("NFKC", "".join(ln.text for ln in hits)).strip()
        good += got == page.values[fs.name]
    return good, len(spec.fields)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=10, help="pages per source (default 10)")
    parser.add_argument(
        "--quick", action="store_true", help="3 pages per source, baseline on every 4th source"
    )
    parser.add_argument("--only", default="", help="only sources whose name contains this")
    parser.add_argument("--baseline-pages", type=int, default=1, help="naive baseline pages per source")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument("--keep", type=Path, default=None, help="keep scans and a per-field dump here")
    parser.add_argument(
        "--rec-model", default=None, help="a local ONNX recognition model instead of the bundled one"
    )
    args = parser.parse_args()
    per_source = 3 if args.quick else args.pages

    from dxrpa.config import OcrSettings
    from dxrpa.ocr.engines.base import get_engine
    from dxrpa.ocr.pipeline import FormReader
    from dxrpa.ocr.template import get_template
    from dxrpa.ocr.validate import judge

    settings = OcrSettings(rec_model=args.rec_model)
    engine = get_engine(settings)
    readers = {
        (TEMPLATES, f): FormReader(
            get_template(f, TEMPLATES), engine, review_threshold=settings.review_threshold
        )
        for f in ("juminhyo", "inkan")
    }

    def reader_for(page: Page) -> FormReader:
        key = (page.templates or TEMPLATES, page.form)
        if key not in readers:  # a real form's, or a layout's, own template
            template = get_template(page.form, key[0])
            readers[key] = FormReader(template, engine, review_threshold=settings.review_threshold)
        return readers[key]

    work = args.keep or Path(tempfile.mkdtemp(prefix="dxrpa-bench-"))
    chosen = [(k, s) for k, s in enumerate(sources()) if args.only.lower() in s.name.lower()]
    for warm in make_pages(sources()[0], work / "warm-up", 2, SEED - 1):  # first runs allocate; not timed
        list(reader_for(warm).read_file(work / "warm-up" / warm.file))
    reads: list[Read] = []
    rows = []
    later: list[tuple[list[int], Path, list[Page]]] = []
    dump = []
    gen_total = 0.0
    for k, source in chosen:  # k: the source's place in the full list, so --only reads the same pages
        folder = work / f"s{k:02d}"
        t0 = time.perf_counter()
        pages = make_pages(source, folder, per_source, SEED + 101 * k)
        gen_total += time.perf_counter() - t0
        seconds = 0.0
        failed = 0
        mine: list[Read] = []
        for page in pages:
            reader = reader_for(page)
            start = time.perf_counter()
            res = next(iter(reader.read_file(folder / page.file)))
            seconds += time.perf_counter() - start
            if res.status == "failed":
                failed += 1
                for fs in reader.template.spec.fields:
                    mine.append(Read(source.name, page.style, fs.type, False, False, 0.0, False))
                continue
            for f in res.fields:
                want = page.values[f.name]
                only_conf = f.status == "ok" or f.reason == judge("", f.confidence, settings.review_threshold)
                mine.append(
                    Read(
                        source.name,
                        page.style,
                        f.type,
                        f.value == want,
                        f.status == "ok",
                        f.confidence,
                        only_conf,
                    )
                )
                if args.keep:
                    dump.append(
                        {
                            "source": source.name,
                            "file": f"s{k:02d}/{page.file}",
                            "field": f.name,
                            "want": want,
                            "got": f.value,
                            "text": f.text,
                            "conf": f.confidence,
                            "weakest": f.weakest,
                            "status": f.status,
                            "reason": f.reason,
                        }
                    )
        reads += mine
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pipeline's peak so far
        run_baseline = not args.no_baseline and (not args.quick or k % 4 == 0)
        baseline = pages[: args.baseline_pages] if run_baseline else []
        rows.append((source, len(pages), failed, mine, seconds, rss, [0, 0], len(baseline)))
        later.append((rows[-1][6], folder, baseline))
        print(f"  … {source.name}: {len(pages)} pages read", file=sys.stderr, flush=True)
    for naive, folder, baseline in later:  # after every source: the detector's memory is its own
        for page in baseline:
            g, n = _naive(engine, reader_for(page), folder, page)
            naive[0] += g
            naive[1] += n

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total_pages = sum(r[1] for r in rows)
    print(
        f"dxrpa OCR benchmark — {len(rows)} sources × {per_source} pages ({total_pages} scans, "
        f"住民票 and 印鑑登録 alternating){' [--quick]' if args.quick else ''}"
    )
    print(
        f"engine rapidocr ({getattr(engine, 'model', '?')}), review threshold {settings.review_threshold}, "
        f"cores visible: {os.cpu_count()}, load average now: {os.getloadavg()[0]:.1f}; "
        f"generation took {gen_total:.0f} s "
        f"(not counted); peak memory with the baseline's detector: {peak_mb:.0f} MB"
    )
    print()
    head = (
        f"| {'source':<28} | pages | refused | printed % | hand % | auto-ok % | wrong in ok | s/page "
        f"| peak MB | naive % (pages) |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for source, n, failed, mine, seconds, rss, naive, naive_pages in rows:
        printed = [r for r in mine if r.style == "printed"]
        hand = [r for r in mine if r.style == "handwriting"]
        ok = [r for r in mine if r.ok]
        base = f"{_pct(*naive)} ({naive_pages})" if naive[1] else "—"
        exact_printed = _pct(sum(r.good for r in printed), len(printed))
        print(
            f"| {source.name:<28} | {n:>5} | {failed:>7} | {exact_printed:>9} "
            f"| {_pct(sum(r.good for r in hand), len(hand)):>6} | {_pct(len(ok), len(mine)):>9} "
            f"| {sum(not r.good for r in ok):>11} | {seconds / max(n, 1):6.3f} | {rss:7.0f} | {base:>15} |"
        )
    print()
    print("exact match % per field type (fields in brackets)")
    print(f"| {'source':<28} | " + " | ".join(f"{t[:8]:>8}" for t in TYPES) + " |")
    print("|" + "-" * 30 + "|" + "|".join("-" * 10 for _ in TYPES) + "|")
    for source, _n, _f, mine, *_ in rows:
        cells = []
        for t in TYPES:
            these = [r for r in mine if r.type == t]
            cells.append(f"{_pct(sum(r.good for r in these), len(these)):>8}" if these else f"{'':>8}")
        print(f"| {source.name:<28} | " + " | ".join(cells) + " |")
    print()
    print(
        "accuracy against auto-accepted share over review thresholds (all sources, same readings re-judged)"
    )
    print("| threshold | auto-ok % | correct among ok % | wrong in ok | sources with a wrong ok |")
    print("|-----------|-----------|--------------------|-------------|-------------------------|")
    for t in THRESHOLDS:
        ok = [r for r in reads if r.only_confidence and r.confidence >= t]
        wrong = [r for r in ok if not r.good]
        print(
            f"| {t:9.2f} | {_pct(len(ok), len(reads)):>9} | {_pct(len(ok) - len(wrong), len(ok)):>18} "
            f"| {len(wrong):>11} | {len({r.source for r in wrong}):>23} |"
        )
    print()
    print(
        "targets per source: ≥99.5 % printed, ≥98 % handwriting-like exact, ≥85 % auto-accepted, 0 wrong "
        "among auto-accepted, ≤0.3 s/page on 2 cores"
    )
    if args.keep:
        (work / "fields.json").write_text(json.dumps(dump, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"per-field dump: {work / 'fields.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
