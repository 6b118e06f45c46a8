"""OCR accuracy benchmark: generated scans of two form types, dxrpa pipeline vs a naive baseline.

    python bench/ocr_accuracy.py            # 120 pages (60 住民票 + 60 印鑑登録), seeds unused by tests
    python bench/ocr_accuracy.py --pages 20 # quick run

Prints field exact-match accuracy overall, per field type and printed vs handwriting-like; the
share of fields auto-accepted (status ok) and the accuracy among them; seconds per page; peak
memory; and the same accuracy figures for a naive baseline measured in the same run (full-page
OCR without alignment or field rules: detected lines assigned to template boxes, NFKC only).
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
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "ocr" / "templates"
BENCH_SEEDS = {"juminhyo": 9101, "inkan": 9202}  # tests use other seeds


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:6.2f} % ({a}/{b})" if b else "   n/a"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pages", type=int, default=120, help="total scans over both form types (default 120)"
    )
    parser.add_argument("--handwriting", type=float, default=0.3, help="share of handwriting-like forms")
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep scans and a per-field dump in this folder"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--baseline-pages",
        type=int,
        default=0,
        help="run the (slow) naive baseline on every k-th page only, this many pages (0 = all)",
    )
    args = parser.parse_args()

    from dxrpa.config import OcrSettings
    from dxrpa.demo.scans import generate
    from dxrpa.ocr.engines.base import get_engine
    from dxrpa.ocr.load import load_pages
    from dxrpa.ocr.pipeline import FormReader
    from dxrpa.ocr.template import get_template

    work = args.keep or Path(tempfile.mkdtemp(prefix="dxrpa-bench-"))
    per_form = {"juminhyo": args.pages - args.pages // 2, "inkan": args.pages // 2}
    truths = []
    t0 = time.perf_counter()
    for form, n in per_form.items():
        truths += [
            (form, work / form, g)
            for g in generate(work / form, form, n, BENCH_SEEDS[form], handwriting_share=args.handwriting)
        ]
    gen_s = time.perf_counter() - t0
    settings = OcrSettings()
    engine = get_engine(settings)
    readers = {
        f: FormReader(get_template(f, TEMPLATES), engine, review_threshold=settings.review_threshold)
        for f in per_form
    }
    engine.recognize([readers["juminhyo"].template.blank[200:270, 900:1150]])  # warm-up, not timed

    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # key -> [correct, total]
    accepted = [0, 0]  # correct among ok, ok count
    total_fields = 0
    failed_pages = 0
    seconds = 0.0
    cpu_seconds = 0.0
    dump = []
    for form, folder, gt in truths:
        start, cpu_start = time.perf_counter(), time.process_time()
        results = list(readers[form].read_file(folder / gt.file))
        seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu_start
        res = results[0]
        if res.status == "failed":
            failed_pages += 1
            for name in gt.values:
                ftype = readers[form].template.spec.field(name).type
                for key in ("all", f"type:{ftype}", f"style:{gt.style}"):
                    stats[key][1] += 1
                total_fields += 1
            continue
        for f in res.fields:
            want = gt.values[f.name]
            good = f.value == want
            total_fields += 1
            for key in ("all", f"type:{f.type}", f"style:{gt.style}", f"field:{form}.{f.name}"):
                stats[key][0] += good
                stats[key][1] += 1
            if f.status == "ok":
                accepted[1] += 1
                accepted[0] += good
            dump.append(
                {
                    "form": form,
                    "style": gt.style,
                    "field": f.name,
                    "type": f.type,
                    "want": want,
                    "got": f.value,
                    "text": f.text,
                    "conf": f.confidence,
                    "weakest": f.weakest,
                    "gap": f.gap,
                    "status": f.status,
                    "reason": f.reason,
                    "file": gt.file,
                }
            )
    pages = len(truths)

    naive: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    naive_s = naive_cpu = 0.0
    baseline_truths = truths
    if args.baseline_pages and args.baseline_pages < len(truths):
        every = len(truths) / args.baseline_pages
        baseline_truths = [truths[int(i * every)] for i in range(args.baseline_pages)]
    if not args.no_baseline:
        for form, folder, gt in baseline_truths:
            spec = readers[form].template.spec
            start, cpu_start = time.perf_counter(), time.process_time()
            page = next(iter(load_pages(folder / gt.file)))
            lines = engine.read_page(page)
            naive_s += time.perf_counter() - start
            naive_cpu += time.process_time() - cpu_start
            for fs in spec.fields:
                want = gt.values[fs.name]
                if fs.type in ("checkbox", "choice"):
                    got = ""  # a text reader cannot tell a ticked box
                else:
                    x, y, w, h = fs.box or (0, 0, 0, 0)
                    hits = [
                        ln
                        for ln in lines
                        if x <= (ln.box[0] + ln.box[2]) / 2 <= x + w
                        and y <= (ln.box[1] + ln.box[3]) / 2 <= y + h
                    ]
                    got = unicodedata.normalize("NFKC", "".join(ln.text for ln in hits)).strip()
                good = got == want
                for key in ("all", f"type:{fs.type}", f"style:{gt.style}"):
                    naive[key][0] += good
                    naive[key][1] += 1

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"dxrpa OCR benchmark — {pages} generated scans ({per_form['juminhyo']} 住民票の写し等交付申請書, "
        f"{per_form['inkan']} 印鑑登録証明書交付申請書), handwriting-like share {args.handwriting:.0%}"
    )
    print(
        f"engine rapidocr (PP-OCRv6 small, bundled), cores visible: {os.cpu_count()}, "
        f"load average now: {os.getloadavg()[0]:.1f}; generation took {gen_s:.1f} s (not counted)"
    )
    print(f"pages refused by alignment (should be 0): {failed_pages}")
    print()
    print("pipeline (align + per-field recognition + normalization + validation)")
    print(f"  field exact match, overall      : {_pct(*stats['all'])}")
    for key in sorted(k for k in stats if k.startswith("style:")):
        print(f"  {key[6:]:<31}: {_pct(*stats[key])}")
    for key in sorted(k for k in stats if k.startswith("type:")):
        print(f"  type {key[5:]:<26}: {_pct(*stats[key])}")
    print(f"  auto-accepted (status ok)       : {_pct(accepted[1], total_fields)}")
    print(f"  correct among auto-accepted     : {_pct(accepted[0], accepted[1])}")
    print(f"  seconds per page (wall clock)   : {seconds / max(pages, 1):.3f}")
    print(f"  CPU seconds per page (all cores): {cpu_seconds / max(pages, 1):.3f}")
    print(f"  peak memory (RSS, whole process): {peak_mb:.0f} MB")
    if not args.no_baseline:
        print()
        print(
            f"naive baseline (full-page detection + recognition, no alignment, no field rules), "
            f"{len(baseline_truths)} of the same pages"
        )
        print(f"  field exact match, overall      : {_pct(*naive['all'])}")
        for key in sorted(k for k in naive if k.startswith("style:")):
            print(f"  {key[6:]:<31}: {_pct(*naive[key])}")
        for key in sorted(k for k in naive if k.startswith("type:")):
            print(f"  type {key[5:]:<26}: {_pct(*naive[key])}")
        print(f"  seconds per page (wall clock)   : {naive_s / max(len(baseline_truths), 1):.3f}")
        print(f"  CPU seconds per page (all cores): {naive_cpu / max(len(baseline_truths), 1):.3f}")
    print()
    print(
        "targets: ≥99.5 % printed, ≥98 % handwriting-like, auto-accepted ≥99.9 % correct with ≥90 % "
        "auto-accepted, ≤0.3 s/page on 2 cores"
    )
    if args.keep:
        (work / "fields.json").write_text(json.dumps(dump, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"per-field dump: {work / 'fields.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
