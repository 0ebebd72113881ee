"""Accessibility checks of a rendered page: axe-core's (no serious or critical violation), and a
small one of the project's own rules: landmarks, the skip link, a language, labels on every field,
table headers with a scope, and no inline script or style (the CSP forbids them)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

# package.json pins it; `make system-deps` installs it (npm ci). The browser contexts load it as an
# init script, which the page's CSP does not govern: add_script_tag would inline it, which the CSP
# forbids, and bypass_csp would hide the violations of the CSP the tests fail on.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.fields: list[tuple[dict, bool]] = []     # attributes, inside a <label>

    def handle_starttag(self, tag, attrs):
        attributes = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        if tag in ("input", "select", "textarea"):
            self.fields.append((attributes, self.open_labels > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels = max(0, self.open_labels - 1)


def problems(html: str) -> list[str]:
    found = _Collector()
    found.feed(html)
    names = [tag for tag, _ in found.tags]
    issues = []
    html_tag = next((a for t, a in found.tags if t == "html"), {})
    if not html_tag.get("lang"):
        issues.append("<html> without lang")
    for landmark in ("header", "main", "footer"):
        if landmark not in names:
            issues.append(f"no <{landmark}> landmark")
    if not any(t == "a" and a.get("href") == "#main" for t, a in found.tags):
        issues.append("no skip link to #main")
    for attributes, wrapped in found.fields:
        if attributes.get("type", "text") in UNLABELLED_TYPES:
            continue
        labelled = (wrapped or attributes.get("id") in found.label_for
                    or attributes.get("aria-label") or attributes.get("aria-labelledby"))
        if not labelled:
            issues.append(f"field {attributes.get('name')!r} has no label")
    for tag, attributes in found.tags:
        if tag == "th" and attributes.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            issues.append("a <th> without scope")
        if tag == "script" and not attributes.get("src"):
            issues.append("an inline <script>")
        if "style" in attributes or tag == "style":
            issues.append(f"an inline style on <{tag}>")
    return sorted(set(issues))


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page: rule, where, and what it says."""
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"a11y {violation['id']} ({violation['impact']}) at {node['target']}: "
            f"{violation['help']}"
            for violation in result["violations"] if violation["impact"] in SERIOUS
            for node in violation["nodes"]]


def assert_accessible(page) -> None:
    issues = problems(page.content()) + axe_violations(page)
    assert not issues, f"{page.url}: {issues}"
