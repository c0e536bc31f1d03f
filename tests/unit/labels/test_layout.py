"""The slip layout is pure data: check it geometrically, with hypothesis for odd inputs."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labels import Party
from labels.samples import sample_slip
from labels.slip_layout import PAD_X_MM, PAD_Y_MM, Rect, SlipLayout, layout_slip
from labels.text import LEADING, MIN_SIZE

MM = 72 / 25.4
LOWER = "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ"
WORD = st.text(alphabet=LOWER + LOWER.upper() + "0123456789", min_size=1, max_size=12)


def text(max_chars: int) -> st.SearchStrategy[str]:
    words = st.lists(WORD, min_size=1, max_size=max_chars // 4)
    return words.map(" ".join).filter(lambda s: len(s) <= max_chars)


def party(max_name: int = 100, max_line: int = 200) -> st.SearchStrategy[Party]:
    return st.builds(Party, text(max_name), st.lists(text(max_line), max_size=2).map(tuple))


def overlaps(a: Rect, b: Rect) -> bool:
    eps = 0.01
    return a.x + eps < b.x + b.w and b.x + eps < a.x + a.w and a.y + eps < b.y + b.h and b.y + eps < a.y + a.h


def assert_sound(lay: SlipLayout, min_size: float = MIN_SIZE) -> None:
    rects = [b.rect for b in lay.blocks] + [lay.qr, lay.barcode]
    for r in rects:
        assert 0 <= r.x and r.x + r.w <= lay.width + 1e-6
        assert 0 <= r.y and r.y + r.h <= lay.height + 1e-6
    for a, b in itertools.combinations(rects, 2):
        assert not overlaps(a, b), (a, b)
    for block in lay.blocks:
        inner_w, inner_h = block.rect.w - 2 * PAD_X_MM * MM, block.rect.h - 2 * PAD_Y_MM * MM
        assert all(line.width <= inner_w + 1e-6 for line in block.lines), block.field
        assert sum(line.size * LEADING for line in block.lines) <= inner_h + 1e-6, block.field
        assert min(line.size for line in block.lines) >= min_size - 1e-9, block.field
        # nothing dropped: the drawn characters are exactly the source characters
        assert "".join(line.text for line in block.lines).replace(" ", "") == block.source.replace(" ", "")


def test_sample_slips_are_sound():
    assert_sound(layout_slip(sample_slip(0, "pickup")))
    assert_sound(layout_slip(sample_slip(1, "delivery")))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sender=party(),
    receiver=party(),
    procedure=text(200),
    agency=text(200),
    office=text(200),
    note=text(150),
    dossier=text(40),
)
def test_realistic_long_fields_fit_at_readable_size(sender, receiver, procedure, agency, office, note, dossier):
    s = sample_slip(
        0,
        sender=sender,
        receiver=receiver,
        procedure_name=procedure,
        agency_name=agency,
        post_office_name=office,
        note=note,
        dossier_code=dossier,
    )
    assert_sound(layout_slip(s))


@settings(max_examples=10, deadline=None)
@given(name=text(300), lines=st.lists(text(400), min_size=3, max_size=4).map(tuple))
def test_absurdly_long_parties_shrink_but_never_overflow_or_drop(name, lines):
    s = sample_slip(0, sender=Party(name, lines), receiver=Party(name, lines))
    assert_sound(layout_slip(s), min_size=1.5)
