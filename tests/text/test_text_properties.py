"""Properties: nothing crashes the cleaner, and cleaning clean text changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinlian.text.clean import clean_page, clean_text

# Text drawn mostly from the characters real pages are made of, so that the stages have work to do.
_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("區(qū)領(lǐng)有(yǒu)?？，。、“”:：>|\n \t\ufffd\ue000@0123456789abcXYZ更多>>版权所有")),
    st.characters(),
)
_TEXT = st.text(_ALPHABET, max_size=300)
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(_TEXT)
def test_clean_text_never_crashes_and_is_idempotent(text):
    once = clean_text(text)
    assert isinstance(once, str)
    assert clean_text(once) == once


@_SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([None, "a.html", "a.txt"]))
def test_clean_page_never_crashes_on_bytes(raw, filename):
    article = clean_page(raw, filename=filename)
    assert isinstance(article.text, str)
    article.to_contract()


@_SETTINGS
@given(_TEXT, st.sampled_from(["utf-8", "gb18030", "big5hkscs"]))
def test_clean_page_never_crashes_on_text(text, encoding):
    raw = text.encode(encoding, errors="replace")
    for filename in ("a.txt", "a.html"):
        assert isinstance(clean_page(raw, filename=filename).text, str)
