"""Rules and hints kept as data (TOML files beside this module), loaded once per process."""
from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources


@cache
def load(name: str) -> dict:
    """The parsed `<name>.toml` shipped with pressline."""
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def expand(pattern: str, fragments: dict[str, str]) -> str:
    """Substitute {NAME} fragments until none are left (fragments may use each other)."""
    for _ in range(len(fragments) + 1):
        expanded = re.sub(r"\{([A-Z_]+)\}", lambda m: fragments[m.group(1)], pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    raise ValueError(f"fragment cycle in pattern {pattern!r}")


@cache
def fragment(name: str) -> str:
    """A named pattern fragment of the line rules (dates, times), fully expanded."""
    fragments = load("lines")["fragments"]
    return expand(fragments[name], fragments)
