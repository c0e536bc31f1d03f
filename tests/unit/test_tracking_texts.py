"""Every status reads as a sentence in both languages and both directions; the page texts match."""

from __future__ import annotations

import pytest

from postal.domain.lifecycle import Direction, Status
from postal.web import citizen_texts as texts


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_sentence_and_a_look(status, direction, lang):
    sentence = texts.status_sentence(status, direction, lang)
    assert sentence.endswith(".") and len(sentence) > 20
    assert texts.look(status)["icon"] in {"clock", "box", "truck", "alert", "check", "back", "cross"}


def test_both_languages_have_the_same_texts():
    assert set(texts.UI["vi"]) == set(texts.UI["en"])


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_what_to_bring_names_the_id_card_and_the_authorisation_letter(lang):
    for direction in Direction:
        items = " ".join(texts.what_to_bring(direction, lang))
        assert "CCCD" in items and "giấy ủy quyền" in items.replace("authorisation letter (", "")
