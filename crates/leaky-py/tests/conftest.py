"""Shared fixtures: the `leaky` command-line binary, for comparing against the Rust CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def find_cli() -> Path | None:
    """The `leaky` binary: $LEAKY_CLI, else target/release/leaky under $CARGO_TARGET_DIR or the
    repository, else `leaky` on PATH. None when there is none."""
    explicit = os.environ.get("LEAKY_CLI")
    if explicit:
        return Path(explicit)
    target_dirs = [os.environ.get("CARGO_TARGET_DIR"), REPO / "target"]
    for target in filter(None, target_dirs):
        candidate = Path(target) / "release" / "leaky"
        if candidate.is_file():
            return candidate
    on_path = shutil.which("leaky")
    return Path(on_path) if on_path else None


@pytest.fixture(scope="session")
def cli() -> Path:
    """The CLI binary. Skips when there is none (build it with `cargo build --release -p
    leaky-cli`); fails when $LEAKY_CLI names a file that does not exist, as CI sets it."""
    path = find_cli()
    if path is None:
        pytest.skip(
            "no leaky CLI binary: run `cargo build --release -p leaky-cli` or set LEAKY_CLI"
        )
    if not path.is_file():
        pytest.fail(f"LEAKY_CLI={path} does not exist")
    return path
