#!/usr/bin/env bash
# Rebuilds the invoice PDF's fonts (src/clausier/web/static/documents/fonts/): DejaVu Sans and
# DejaVu Sans Bold from Debian's fonts-dejavu-core, cut with fontTools to the Latin, Greek and
# Cyrillic letters and the punctuation and symbols of business text (1,484 glyphs of 6,253).
# The invoice (Typst) embeds subsets of them; the cut keeps the package small and the glyphs
# DejaVu's own, so the page looks the same; other characters fall back to the system's fonts.
# The licence (Bitstream Vera's, DejaVu changes in the public domain) allows the cut: the
# copyright and licence notices stay in the fonts and in LICENSE beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
out=src/clausier/web/static/documents/fonts
letters="U+0020-007E,U+00A0-024F,U+02C6-02DC,U+0300-036F,U+0370-03FF,U+0400-04FF,U+1E00-1EFF"
symbols="U+2000-206F,U+20AC,U+2116,U+2122,U+2190-2193,U+2212,U+2248,U+2260,U+2264,U+2265,U+FFFD"
for weight in "" "-Bold"; do
  "$PYTHON" -m fontTools.subset "/usr/share/fonts/truetype/dejavu/DejaVuSans$weight.ttf" \
    --unicodes="$letters,$symbols" --layout-features='*' --no-hinting \
    --drop-tables+=MATH,FFTM --name-IDs=0,1,2,3,4,5,6,13,14 \
    --output-file="$out/DejaVuSans$weight-invoice.ttf"
done
cp /usr/share/doc/fonts-dejavu-core/copyright "$out/LICENSE"
