"""The enterprise registry: credit codes, names, regions, cell values, placement on chain nodes, the import."""

# Registers the ORM hooks that keep per-firm money figures as ciphertext at security level 3 (and decrypt them on
# load), so that every path reading or writing EnterpriseFigure objects goes through them.
from xinlian.registry import sensitive as _sensitive  # noqa: E402,F401
