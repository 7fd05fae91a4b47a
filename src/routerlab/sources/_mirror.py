"""Finding a dataset folder: an explicit path, else the local cache or the data mirror."""

from __future__ import annotations

from pathlib import Path

from routerlab.data import _not_found, find_local


def dataset_dir(dataset: str, relative: str, mirror: str | Path | None, download_hint: str) -> Path:
    """``mirror / relative`` when ``mirror`` is given, else the cache or $ROUTERLAB_DATA_MIRROR copy."""
    if mirror is not None:
        path = Path(mirror).expanduser() / relative
        if not path.exists():
            raise _not_found(dataset, relative, download_hint)
        return path
    found = find_local(dataset, relative)
    if found is None:
        raise _not_found(dataset, relative, download_hint)
    return Path(found.location)
