"""Every page links an icon, and ``/favicon.ico``, which browsers ask for anyway, answers."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

from PIL import Image


def test_favicon_ico_is_an_icon_in_three_sizes(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert icon.info["sizes"] == {(16, 16), (32, 32), (48, 48)}


def test_pages_link_the_icons_and_each_answers(client, staff_client):
    page = staff_client.get("/").text
    links = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert links == ["/favicon.ico", "/static/favicon.svg"]
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert ElementTree.fromstring(svg.content).tag == "{http://www.w3.org/2000/svg}svg"
