"""Big rooms are cut into sub-packages (docs/DEVELOPING.md): no module grows past 1 000 lines,
the size past which a module was found to be the most changed and the hardest to review."""

from pathlib import Path

import clausier

LIMIT = 1000


def test_no_module_over_a_thousand_lines():
    package = Path(clausier.__file__).parent
    too_long = {str(path.relative_to(package)): lines
                for path in package.rglob("*.py")
                if "migrations" not in path.parts
                and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert too_long == {}, f"cut these modules into a sub-package: {too_long}"
