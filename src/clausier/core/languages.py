"""The languages Clausier speaks: French by default, English available. Message ids are written
in English; French comes from the catalogues (``web/i18n.py`` loads them)."""

LANGUAGES = {"fr": "Français", "en": "English"}
DEFAULT_LANGUAGE = "fr"
SOURCE_LANGUAGE = "en"
