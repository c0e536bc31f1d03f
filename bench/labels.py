"""Benchmark: 500 A4 label slips with the vector QR path vs a naive bitmap-QR baseline.

Run from the repo root: ``python -m bench.labels`` (add ``--check`` to exit 1 when the
speed-up or size targets are missed). CPU time is measured with ``time.process_time`` on
fresh slips each round (new tracking codes, names and addresses), so memoised layout of
repeated fields does not flatter the result beyond what a real batch would see.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import qrcode
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from labels import Party, Slip
from labels.draw import QRPainter, paint_qr_vector
from labels.fonts import ensure_fonts
from labels.samples import sample_slip
from labels.slip_layout import Rect
from labels.slips import render_slips_with

BATCH = 500
ROUNDS = 3
TARGET_RATIO = 6.0
TARGET_MS = 1.5
TARGET_KB = 5.0
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
GIVEN = ("Thị Hồng Nhung", "Văn Hữu", "Ngọc Ánh", "Quốc Trượng", "Thị Ỷ Lan", "Minh Đức", "Thu Hường")
WARDS = ("Phường Vĩnh Yên", "Phường Vĩnh Phúc", "Xã Đạo Trù", "Phường Phúc Yên", "Xã Tam Đảo")


def batch(round_no: int, n: int = BATCH) -> list[Slip]:
    """``n`` distinct slips (codes, names, addresses all vary) for one timing round."""
    out = []
    for i in range(n):
        k = round_no * 100_000 + i
        citizen = Party(
            f"{SURNAMES[k % 12]} {GIVEN[k % 7]}",
            (
                f"Số {k % 997 + 1} ngõ {k % 89 + 1} đường Nguyễn Tất Thành",
                f"{WARDS[k % 5]}, tỉnh Phú Thọ",
                f"ĐT: 09{k % 100_000_000:08d}",
            ),
        )
        slip = sample_slip(k, ("pickup", "delivery")[i % 2])
        field = "sender" if slip.direction == "pickup" else "receiver"
        out.append(_replace(slip, **{field: citizen}))
    return out


def _replace(slip: Slip, **changes: object) -> Slip:
    from dataclasses import replace

    return replace(slip, **changes)  # type: ignore[arg-type]


def paint_qr_bitmap(canvas: Canvas, payload: str, rect: Rect) -> None:
    """The naive way: ``qrcode.make`` with its defaults (ECC M, 10 px modules) -> PIL -> ``drawImage``."""
    image = qrcode.make(payload)
    side = min(rect.w, rect.h)
    canvas.drawImage(ImageReader(image.get_image()), rect.x, rect.y, side, side)


@dataclass(frozen=True)
class Result:
    """Best-round CPU ms per slip and median bytes per slip over the timed rounds."""

    name: str
    ms_per_slip: float
    bytes_per_slip: float

    @property
    def slips_per_second(self) -> float:
        """Throughput implied by the CPU time."""
        return 1000.0 / self.ms_per_slip


def measure(painters: dict[str, QRPainter], rounds: int = ROUNDS, n: int = BATCH) -> list[Result]:
    """Render ``rounds`` fresh batches of ``n`` A4 slips per painter, interleaved so that both
    see the same machine load; report each painter's best round (noise only ever adds time)."""
    times: dict[str, list[float]] = {name: [] for name in painters}
    sizes: dict[str, list[float]] = {name: [] for name in painters}
    for r in range(rounds):
        slips = batch(r + 1, n)
        for name, painter in painters.items():
            started = time.process_time()
            pdf = render_slips_with(slips, "a4", painter)
            times[name].append((time.process_time() - started) * 1000 / n)
            sizes[name].append(len(pdf) / n)
    return [Result(name, min(times[name]), statistics.median(sizes[name])) for name in painters]


def warm_up(painters: Sequence[QRPainter]) -> None:
    """Parse fonts and load C extensions before any timing."""
    ensure_fonts()
    for painter in painters:
        render_slips_with(batch(0, 8), "a4", painter)


def report(ours: Result, naive: Result, out: Callable[[str], None] = print) -> list[str]:
    """Print the summary table; return the list of missed targets."""
    ratio = naive.ms_per_slip / ours.ms_per_slip
    out(f"labels bench: {BATCH}-slip A4 batch, best of {ROUNDS} interleaved rounds, CPU time")
    for r in (ours, naive):
        out(
            f"  {r.name:<28} {r.ms_per_slip:7.3f} ms/slip  {r.slips_per_second:8.0f} slips/s"
            f"  {r.bytes_per_slip / 1024:6.2f} KB/slip"
        )
    out(f"  speed-up vs naive baseline: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x)")
    missed = []
    if ratio < TARGET_RATIO:
        missed.append(f"ratio {ratio:.1f}x < {TARGET_RATIO}x")
    if ours.bytes_per_slip / 1024 >= TARGET_KB:
        missed.append(f"size {ours.bytes_per_slip / 1024:.2f} KB/slip >= {TARGET_KB} KB")
    if ours.ms_per_slip >= TARGET_MS:
        out(f"  note: {ours.ms_per_slip:.2f} ms/slip is above the {TARGET_MS} ms steady-state goal")
    out("  targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run both renderers, print the summary, honour ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m bench.labels", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if ratio or size targets are missed")
    args = parser.parse_args(argv)
    warm_up((paint_qr_vector, paint_qr_bitmap))
    ours, naive = measure({"vector QR (production)": paint_qr_vector, "naive qrcode+PIL drawImage": paint_qr_bitmap})
    missed = report(ours, naive)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
