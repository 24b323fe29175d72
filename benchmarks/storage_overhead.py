"""Ask+tell overhead per trial on SQL storages: apogee against Optuna's RDB storage, same run.

A thin entry point over `core_overhead.py`, with SQLite files as the default storage.
Usage: python benchmarks/storage_overhead.py --sizes 100 1000 10000 --repeats 3
       python benchmarks/storage_overhead.py --sizes 100 1000 --storage postgresql+psycopg://.../
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import core_overhead


def main() -> None:
    """Run `core_overhead.main` with `--storage sqlite` unless a storage is named."""
    if "--storage" not in sys.argv:
        sys.argv += ["--storage", "sqlite"]
    core_overhead.main()


if __name__ == "__main__":
    main()
