"""Render labels to pixels with poppler and decode them with a standard decoder (SPEC §10)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4, A6

from labels import Party, qr, render_pickup_slip, render_slips
from labels.model import Slip
from labels.samples import s10_code, sample_pickup, sample_slip
from labels.slips import a4_origin

from .labels_raster import crop_pt, decode, rasterize

DPIS = [200, 150]


@pytest.fixture(params=["zxing-cpp", "qrcode"])
def encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "qrcode":
        monkeypatch.setattr(qr, "zxingcpp", None)
    assert qr.backend_name() == request.param
    return str(request.param)


def assert_slip_decodes(found: dict[str, list[str]], slip: Slip) -> None:
    assert found["QRCode"] == [slip.qr_payload]  # the QR holds the payload and nothing else
    assert found["Code128"] == [slip.tracking_code]


@pytest.mark.parametrize("dpi", DPIS)
def test_a6_slips_decode(encoder, dpi):
    slips = [sample_slip(0, "pickup"), sample_slip(1, "delivery")]
    pages = rasterize(render_slips(slips, "a6"), dpi)
    assert len(pages) == 2
    for page, slip in zip(pages, slips, strict=True):
        assert_slip_decodes(decode(page), slip)


@pytest.mark.parametrize("dpi", DPIS)
def test_each_quadrant_of_an_a4_sheet_decodes(encoder, dpi):
    slips = [sample_slip(i, ("pickup", "delivery")[i % 2]) for i in range(4)]
    (page,) = rasterize(render_slips(slips, "a4"), dpi)
    for i, slip in enumerate(slips):
        x, y = a4_origin(i)
        assert_slip_decodes(decode(crop_pt(page, dpi, A4[1], x, y, A6[0], A6[1])), slip)
    whole = decode(page)
    assert sorted(whole["QRCode"]) == sorted(s.qr_payload for s in slips)


def test_second_a4_page_decodes(encoder):
    slips = [sample_slip(i) for i in range(5)]
    pages = rasterize(render_slips(slips, "a4"), 150)
    assert len(pages) == 2
    assert_slip_decodes(decode(crop_pt(pages[1], 150, A4[1], *a4_origin(0), *A6)), slips[4])


def test_pickup_slip_codes_decode(encoder):
    ps = sample_pickup()
    (page,) = rasterize(render_pickup_slip(ps), 150)
    assert_slip_decodes(decode(page), ps.slip)


NAME_CHARS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ "
LONG_TEXT = st.text(alphabet=NAME_CHARS + "ĐƯƠ0123456789,", min_size=1, max_size=200).filter(str.strip)


@settings(max_examples=4, deadline=None)
@given(
    name=LONG_TEXT,
    address=LONG_TEXT,
    serial=st.integers(0, 99_999_999),
    sig=st.text("ABCDEF0123456789", min_size=8, max_size=8),
)
def test_slips_with_random_long_text_still_decode(name, address, serial, sig):
    code = s10_code(serial)
    slip = sample_slip(
        0,
        sender=Party(name, (address,)),
        receiver=Party(address, (name, address)),
        tracking_code=code,
        qr_payload=f"http://127.0.0.1:8080/q/{code}.{sig}",
    )
    (page,) = rasterize(render_slips([slip], "a6"), 150)
    assert_slip_decodes(decode(page), slip)
