"""Reading title, description and image out of HTML heads."""

from __future__ import annotations

from shorturl.metadata.extract import PageMetadata, decode_html, extract_metadata

PAGE = "https://example.com/blog/post"


def test_opengraph_wins_over_plain_tags() -> None:
    html = """<html><head>
      <title>Plain title</title>
      <meta name="description" content="Plain description">
      <meta property="og:title" content="OG title">
      <meta property="og:description" content="OG description">
      <meta property="og:image" content="/img/cover.jpg">
      <meta name="twitter:title" content="Twitter title">
    </head><body><title>not this</title></body></html>"""
    assert extract_metadata(html, PAGE) == PageMetadata(
        title="OG title", description="OG description", image="https://example.com/img/cover.jpg"
    )


def test_plain_tags_and_twitter_fill_in() -> None:
    html = """<head><TITLE>  Caf&eacute; &amp;
      more  </TITLE><meta NAME="Description" content="It&#39;s   here">
      <meta name="twitter:image" content="https://cdn.example.net/t.png"></head>"""
    assert extract_metadata(html, PAGE) == PageMetadata(
        title="Café & more", description="It's here", image="https://cdn.example.net/t.png"
    )


def test_nothing_after_the_head_is_read() -> None:
    html = "<html><head></head><body><meta property='og:title' content='late'></body>"
    assert extract_metadata(html, PAGE) == PageMetadata()


def test_unsafe_images_are_dropped_and_text_is_capped() -> None:
    for image in ("javascript:alert(1)", "data:image/png;base64,AAAA", 'x" onerror="y'):
        html = f"<head><meta property=\"og:image\" content='{image}'></head>"
        assert extract_metadata(html, PAGE).image is None
    html = f"<head><title>{'a' * 1000}</title></head>"
    title = extract_metadata(html, PAGE).title
    assert title is not None and len(title) == 300 and title.endswith("…")


def test_markup_in_text_stays_text() -> None:
    html = "<head><title>&lt;script&gt;alert(1)&lt;/script&gt;</title></head>"
    assert extract_metadata(html, PAGE).title == "<script>alert(1)</script>"


def test_charset_from_the_header_or_a_meta_tag() -> None:
    body = '<head><meta charset="iso-8859-1"><title>Caf\xe9</title></head>'.encode("latin-1")
    assert extract_metadata(decode_html(body, None), PAGE).title == "Café"
    assert decode_html("é".encode(), "utf-8") == "é"
    assert decode_html(b"abc", "no-such-charset") == "abc"
