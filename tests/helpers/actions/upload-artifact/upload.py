"""The stand-in upload-artifact: copy the matched files under their least common ancestor."""

from __future__ import annotations

import glob
import os
import shutil
import sys
import zlib
from pathlib import Path


def search_root(pattern: str) -> Path:
    """The part of a path pattern before its first wildcard (a file's own folder)."""
    parts = Path(pattern).parts
    fixed = parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]
    root = Path(*fixed) if fixed else Path(".")
    return root if root.is_dir() else root.parent


def main() -> int:
    name = os.environ["INPUT_NAME"]
    patterns = [p.strip() for p in os.environ["INPUT_PATH"].splitlines() if p.strip()]
    files: list[Path] = []
    for pattern in patterns:
        for match in sorted(glob.glob(pattern, recursive=True)):
            path = Path(match)
            files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if not files:
        message = f"No files were found with the provided path: {os.environ['INPUT_PATH']}"
        if os.environ.get("INPUT_IF_NO_FILES_FOUND") == "error":
            print(f"::error::{message}")
            return 1
        print(f"::warning::{message}. No artifacts will be uploaded.")
        return 0
    root = Path(os.path.commonpath([search_root(p).resolve() for p in patterns]))
    dest = Path(os.environ["STANDIN_ARTIFACTS"], os.environ["GITHUB_RUN_ID"], name)
    if dest.exists():
        print(f"::error::an artifact named {name} already exists in this run")
        return 1
    for file in files:
        target = dest / file.resolve().relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"artifact-id={zlib.crc32(str(dest).encode())}\n")
    print(f"uploaded {len(files)} file(s) as {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
