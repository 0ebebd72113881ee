"""The web doors: server-rendered pages, portals and the assets they share."""

from pathlib import Path

# Here rather than in ``templating`` so that documents rendered outside the web app (letters,
# invoice PDFs) find their templates without importing FastAPI.
TEMPLATES = Path(__file__).parent / "templates"
