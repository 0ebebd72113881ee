"""Dashboard charts (issue 21, "Screens"): each under a visible title, with amounts drawn short
enough above twelve bars not to run into each other — the exact amount stays in the bar's
tooltip and in the description screen readers read."""

from __future__ import annotations

import re
from decimal import Decimal

from clausier.web.charts import Point, bar_chart
from clausier.web.templating import filters_for


def test_a_year_of_amounts_is_drawn_short_under_a_visible_title():
    f = filters_for("fr")
    amount = Decimal("2510.90")
    chart = str(bar_chart("revenue", "Chiffre d'affaires récurrent par mois (HT)",
                          "Abonnements en service le premier du mois.",
                          [Point(f"m{n}", amount, f["money"](amount), f["money_short"](amount))
                           for n in range(12)]))
    assert chart.startswith("<figcaption>Chiffre d&#39;affaires récurrent par mois (HT)</figcaption>")
    drawn = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', chart)
    assert [text.replace("\u202f", " ").replace("\xa0", " ") for text in drawn] == ["2,5 k €"] * 12
    tooltip = re.search(r"<rect [^>]*><title>m0: ([^<]*)</title>", chart)[1]
    assert tooltip.replace("\u202f", " ").replace("\xa0", " ") == "2 510,90 €"


def test_a_target_line_is_named_in_the_caption():
    chart = str(bar_chart("availability", "Availability", "", [Point("SDSL", 99.5, "99.5 %")],
                          target=99.9, target_text="objective 99.9 %"))
    assert "<figcaption>Availability<span class=\"legend\">" in chart
    assert "objective 99.9 %</span></figcaption>" in chart
