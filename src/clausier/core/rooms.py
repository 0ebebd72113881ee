"""Rooms are optional: a feature that reads another room works whether or not that room is built."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(module_name: str) -> ModuleType | None:
    """The module, or None while its room does not exist; a missing import *inside* an existing
    module is a real error and is raised."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not module_name.startswith(exc.name or "-"):
            raise
        return None


def optional_function(target: str):
    """``"module:function"`` -> the function, or None while the module (its room) does not exist."""
    module_name, _, function = target.partition(":")
    module = optional_import(module_name)
    return None if module is None else getattr(module, function)
