"""Execute the project's notebooks headlessly with papermill.

Each notebook ``notebooks/NN_name.ipynb`` has one cell tagged ``parameters``; parameter sets live
in ``notebooks/params/NN_name.toml`` (``[default]`` for the full offline run, ``[ci]`` for a small
one). Rendered copies go to ``outputs/notebooks/``; notebooks run with the repository root as
their working directory, so their relative paths (``outputs/...``) land in the repository.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routerlab.data import repo_root
from routerlab.errors import ConfigError
from routerlab.profiles import Profile, resolve_profile

PARAM_SETS = ("default", "ci", "live")


@dataclass(frozen=True)
class NotebookRun:
    notebook: str
    output: str
    seconds: float
    ok: bool
    error: str = ""


def notebooks_dir(root: Path | None = None) -> Path:
    return (root or repo_root()) / "notebooks"


def notebook_paths(root: Path | None = None, only: Sequence[str] | None = None) -> list[Path]:
    """Notebooks in order; ``only`` selects by stem or number prefix (``"05"``)."""
    paths = sorted(notebooks_dir(root).glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return paths
    chosen = [p for p in paths if any(p.stem == o or p.stem.startswith(f"{o}_") for o in only)]
    missing = [o for o in only if not any(p.stem == o or p.stem.startswith(f"{o}_") for p in paths)]
    if missing:
        names = ", ".join(p.stem for p in paths)
        raise ConfigError(f"no notebook matches {missing}; available: {names}")
    return chosen


def load_params(notebook: Path, param_set: str) -> dict[str, Any]:
    """The ``[param_set]`` table of the notebook's params file ({} when the file is absent)."""
    if param_set not in PARAM_SETS:
        raise ConfigError(f"unknown parameter set {param_set!r}; allowed: {', '.join(PARAM_SETS)}")
    file = notebook.parent / "params" / f"{notebook.stem}.toml"
    if not file.is_file():
        return {}
    table = tomllib.loads(file.read_text(encoding="utf-8")).get(param_set, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [{param_set}] must be a table")
    return dict(table)


def run_notebook(
    notebook: Path,
    *,
    profile: Profile | str,
    param_set: str = "default",
    output_dir: Path | None = None,
    extra_params: dict[str, Any] | None = None,
    cwd: Path | None = None,
) -> NotebookRun:
    """Execute one notebook into ``output_dir`` (default ``outputs/notebooks``)."""
    import papermill as pm

    chosen = resolve_profile(profile)
    root = cwd or repo_root()
    out_dir = output_dir or root / "outputs" / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / notebook.name
    params = {**load_params(notebook, param_set), **(extra_params or {}), "PROFILE": chosen.value}
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=params,
            kernel_name="python3",
            cwd=str(root),
            progress_bar=False,
        )
    except Exception as exc:  # papermill wraps cell errors; keep going with the other notebooks
        _finish_rendered(output)
        return NotebookRun(
            notebook.stem, str(output), time.perf_counter() - start, False, _short(exc)
        )
    _finish_rendered(output)
    return NotebookRun(notebook.stem, str(output), time.perf_counter() - start, True)


def _finish_rendered(output: Path) -> None:
    """Progress-bar widgets in the rendered copy also get their final state as HTML and text, so
    viewers without a widget manager (GitHub, nbviewer, nbconvert) show the bar as it ended."""
    import nbformat

    from routerlab.report.render import static_widgets

    try:
        nb = nbformat.read(output, as_version=4)
    except (OSError, ValueError):  # no or a broken rendered copy (a failed run): nothing to add
        return
    if static_widgets(nb, keep_views=True):
        nbformat.write(nb, output)


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the notebook's ``parameters`` cell (``NAME = ...`` lines)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    names: set[str] = set()
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            names |= set(_ASSIGNED.findall(cell.source))
    return names


_ASSIGNED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", re.MULTILINE)


def run_all(
    *,
    profile: Profile | str,
    param_set: str = "default",
    only: Sequence[str] | None = None,
    output_dir: Path | None = None,
    on_done: Callable[[NotebookRun], None] | None = None,
    overrides: dict[str, Any] | None = None,
) -> list[NotebookRun]:
    """Run every notebook (or ``only`` some) in order; a failure does not stop the others.

    ``overrides`` (e.g. ``{"MAX_COST_USD": 5.0}`` from ``--max-cost``) win over the parameter
    set's values; each notebook gets those its parameters cell declares (papermill would warn
    about the others).
    """
    runs = []
    for path in notebook_paths(only=only):
        declared = declared_parameters(path) if overrides else set()
        extra = {k: v for k, v in (overrides or {}).items() if k in declared}
        run = run_notebook(
            path, profile=profile, param_set=param_set, output_dir=output_dir, extra_params=extra
        )
        runs.append(run)
        if on_done is not None:
            on_done(run)
    return runs


def _short(exc: BaseException, limit: int = 2000) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[:limit] + " …"
