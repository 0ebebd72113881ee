"""A file sent for download, the same way by every page and API route."""

from __future__ import annotations

from fastapi.responses import Response


def attachment(content: bytes | str, filename: str, media_type: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
