#!/usr/bin/env python3
"""Fails when a book chapter includes code that is not there.

mdBook (0.5) silently includes nothing for a missing anchor, so a renamed or deleted
`// ANCHOR: name` would make a listing vanish from the book without any error. This
checks every `{{#include path:anchor}}` in docs/src: the file exists and the anchor
region holds at least one non-blank line.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
src = root / "docs" / "src"
pattern = re.compile(r"\{\{#(?:include|rustdoc_include)\s+([^}:\s]+)(?::([A-Za-z0-9_-]+))?\s*\}\}")
errors = []
count = 0
for md in sorted(src.rglob("*.md")):
    for m in pattern.finditer(md.read_text(encoding="utf-8")):
        count += 1
        path = (md.parent / m.group(1)).resolve()
        anchor = m.group(2)
        if not path.is_file():
            errors.append(f"{md.relative_to(root)}: {m.group(1)} does not exist")
            continue
        if anchor is None or anchor.isdigit():
            continue
        text = path.read_text(encoding="utf-8")
        region = re.search(
            rf"ANCHOR:\s*{re.escape(anchor)}\b.*?\n(.*?)\n[^\n]*ANCHOR_END:\s*{re.escape(anchor)}\b",
            text,
            re.S,
        )
        if region is None:
            errors.append(f"{md.relative_to(root)}: anchor '{anchor}' not found in {m.group(1)}")
        elif not any(line.strip() and "ANCHOR" not in line for line in region.group(1).splitlines()):
            errors.append(f"{md.relative_to(root)}: anchor '{anchor}' in {m.group(1)} is empty")
for e in errors:
    print("error:", e)
print(f"check-includes: {count} includes checked, {len(errors)} broken")
sys.exit(1 if errors else 0)
