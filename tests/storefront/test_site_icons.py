"""The site's icons: every page links a favicon (ICO and SVG), the Apple touch icon and the web app manifest;
WhiteNoise serves each with its type; the manifest names 德秀集市 in the site's brand colour and its icons
exist at their stated sizes; /favicon.ico, asked for by tools that read no page, does not 404."""

import io
import json
import re
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from PIL import Image

SITE_CSS = Path(__file__).resolve().parents[2] / "storefront" / "static" / "storefront" / "css" / "site.css"


def fetch(client, url: str) -> tuple[str, bytes]:
    """A static file as the browser gets it: its content type and bytes."""
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response["Content-Type"], body


def head_links(client, url: str) -> dict[str, str]:
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    links = {}
    for link in soup.head.find_all("link"):
        rel = " ".join(link["rel"])
        key = f"{rel} {link['type']}" if link.get("type") else rel
        links.setdefault(key, link["href"])
    links["theme-color"] = soup.head.find("meta", attrs={"name": "theme-color"})["content"]
    return links


def test_pages_link_icons_and_manifest_served_with_their_types(client, db):
    brand = re.search(r"--brand:\s*(#[0-9a-fA-F]{6})", SITE_CSS.read_text()).group(1)
    for page in ("/", "/en/", "/products/"):
        links = head_links(client, page)
        assert links["theme-color"] == brand, page

        assert fetch(client, links["icon"])[0] == "image/x-icon"
        assert fetch(client, links["icon image/svg+xml"])[0].startswith("image/svg+xml")
        kind, touch = fetch(client, links["apple-touch-icon"])
        assert kind == "image/png" and Image.open(io.BytesIO(touch)).size == (180, 180)

    kind, body = fetch(client, links["manifest"])
    assert kind == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["name"] == "德秀集市" and manifest["theme_color"] == brand
    sizes = set()
    for icon in manifest["icons"]:
        kind, picture = fetch(client, urljoin(links["manifest"], icon["src"]))
        assert kind.startswith(icon["type"]), icon
        if icon["type"] == "image/png":
            width, height = Image.open(io.BytesIO(picture)).size
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(width)
    assert {192, 512} <= sizes


def test_favicon_ico_at_the_root_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
    kind, body = fetch(client, response["Location"])
    assert kind == "image/x-icon"
    assert Image.open(io.BytesIO(body)).format == "ICO"
