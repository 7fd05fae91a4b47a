"""What a notebook kernel shows: routerlab's figures inline, library noise kept out.

Library plots build matplotlib Figures without pyplot (see :mod:`routerlab.plots._figure`), so no
inline backend ever shows them. Inside a Jupyter kernel, :func:`notebook_setup` (run automatically
when ``routerlab`` is imported there) makes them behave like pyplot-inline figures:

- a figure made during a cell is shown as a PNG at the end of that cell, whether the cell saved it,
  returned it or discarded it with ``;`` — once: a figure the cell already displayed (as its last
  value, with ``display(fig)``, or as the PNG file it was saved to, shown with
  ``IPython.display.Image``) is not shown again;
- a figure that routerlab's own code saved (``fine_tune`` writing its confusion matrix,
  ``save_figure``) is a file that call writes, not an output: it is shown only if the cell displays
  it (returns it, ``display(fig)``, ``Image(filename=...)``); :func:`not_shown` keeps any figure
  made in a block out of the cell;
- any matplotlib Figure returned as a cell's value renders as a PNG, never as ``<Figure size …>``;
- transformers / datasets / huggingface_hub log only errors and draw no progress bars of their own
  (weight-loading bars, "Writing model shards", load reports), see :func:`quiet_libraries`.

Outside a kernel (scripts, the CLI, tests) importing this module changes nothing.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.abc
import importlib.util
import io
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from matplotlib.figure import Figure

# Third-party loggers whose INFO/WARNING records are library internals, not results.
NOISY_LOGGERS = (
    "transformers",
    "datasets",
    "huggingface_hub",
    "accelerate",
    "sentence_transformers",
)

# Where the figures made during the current cell wait to be shown (strong refs until the cell ends,
# so a figure made and dropped inside a library call is still shown, as pyplot-inline does).
_pending: list[Figure] = []
# PNG digests shown during the current cell: a saved figure whose file was displayed counts as shown.
_shown_digests: set[str] = set()
_active = False
# Read by these libraries when they are first imported.
_QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "DATASETS_VERBOSITY": "error",
    "HF_HUB_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
}


def in_kernel() -> bool:
    """True inside a Jupyter kernel (papermill, JupyterLab, Colab); never imports IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def notebook_setup(shell: Any = None, *, quiet: bool = True) -> bool:
    """Set up the running kernel (idempotent); returns False when there is no kernel to set up."""
    global _active
    if shell is None:
        if not in_kernel():
            return False
        shell = sys.modules["IPython"].get_ipython()
    if getattr(shell, "_routerlab_display_setup", False):
        return True
    png = shell.display_formatter.formatters["image/png"]
    # Plain Figures (a user's own, or any not made by routerlab) render as PNG too.
    png.for_type(Figure, figure_png)
    text = shell.display_formatter.formatters["text/plain"]
    text.for_type(Figure, _figure_text)
    shell.events.register("pre_run_cell", _start_cell)
    shell.events.register("post_run_cell", _flush_cell)
    register = getattr(shell.display_pub, "register_hook", None)
    if register is not None:  # ipykernel: see which PNGs the cell published
        register(_note_published)
    shell._routerlab_display_setup = True
    _active = True
    if quiet:
        quiet_libraries()
    return True


def track(fig: Figure) -> Figure:
    """Queue a routerlab figure to be shown at the end of the running cell (no-op outside kernels)."""
    if _active and not _hidden:
        _pending.append(fig)
    return fig


_hidden = 0


@contextlib.contextmanager
def not_shown() -> Iterator[None]:
    """Figures made inside this block are only saved, never shown at the end of the cell: for
    library code that writes a figure file as a by-product (the notebook shows its own copy)."""
    global _hidden
    _hidden += 1
    try:
        yield
    finally:
        _hidden -= 1


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, cropped like the saved files (``bbox_inches="tight"``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def show(fig: Figure) -> None:
    """Publish ``fig`` as an ``image/png`` output of the running cell and mark it shown."""
    from IPython.display import publish_display_data

    data = base64.b64encode(figure_png(fig)).decode("ascii")
    publish_display_data({"image/png": data, "text/plain": _describe(fig)})
    fig._routerlab_shown = True  # type: ignore[attr-defined]


def mark_saved(fig: Figure, path: Any, *, by_library: bool = False) -> None:
    """Remember the digest of a PNG file ``fig`` was saved to (to recognise it when displayed);
    ``by_library``: routerlab's own code saved it, as a file it writes, not for the cell to show."""
    if by_library:
        fig._routerlab_by_product = True  # type: ignore[attr-defined]
    try:
        data = open(path, "rb").read()  # noqa: SIM115 - path may be str or PathLike
    except (OSError, TypeError):
        return  # a file object or an unreadable target: nothing to recognise later
    digests: set[str] = getattr(fig, "_routerlab_saved", set())
    digests.add(hashlib.sha256(data).hexdigest())
    fig._routerlab_saved = digests  # type: ignore[attr-defined]


def _describe(fig: Figure) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    suptitle = fig.get_suptitle()
    label = suptitle or "; ".join(titles)
    return f"[figure: {label}]" if label else f"[figure with {len(fig.axes)} axes]"


def _figure_text(fig: Figure, printer: Any, cycle: bool) -> None:
    printer.text(_describe(fig))


def _start_cell(*_: Any) -> None:
    _pending.clear()
    _shown_digests.clear()


def _flush_cell(*_: Any) -> None:
    """Show the cell's figures that it did not display itself (pyplot-inline's end-of-cell flush)."""
    try:
        for fig in dict.fromkeys(_pending):  # in creation order, each once
            if getattr(fig, "_routerlab_shown", False) or getattr(fig, "_routerlab_by_product", 0):
                continue  # displayed already, or a file a library call wrote (see the module doc)
            if getattr(fig, "_routerlab_saved", set()) & _shown_digests:
                continue  # its saved PNG was already displayed (IPython.display.Image)
            show(fig)
    finally:
        _pending.clear()
        _shown_digests.clear()


def _note_published(msg: dict[str, Any]) -> dict[str, Any]:
    data = msg.get("content", {}).get("data", {}) if isinstance(msg, dict) else {}
    png = data.get("image/png") if isinstance(data, dict) else None
    if isinstance(png, str):
        with contextlib.suppress(ValueError):
            _shown_digests.add(hashlib.sha256(base64.b64decode(png)).hexdigest())
    return msg


def quiet_libraries() -> None:
    """Keep library internals out of notebook outputs: errors still show, progress chatter does not.

    transformers, datasets and huggingface_hub log at ERROR only and draw none of their own bars
    (weight loading, "Writing model shards", downloads); their load reports (UNEXPECTED/MISSING
    keys, expected when a classification head is new) are WARNING records and so stay out.
    routerlab's own progress bars (labeling, harness) are unaffected. Modules not yet imported are
    configured through the environment variables they read on import.
    """
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    if "datasets" in sys.modules:
        import datasets

        datasets.utils.logging.set_verbosity_error()
        datasets.disable_progress_bars()
    _quiet_gguf_bar()


@contextlib.contextmanager
def quieted() -> Iterator[None]:
    """:func:`quiet_libraries` for a block only (CLI code that wants a quiet load, then its logs):
    logger levels, the environment and transformers' verbosity and bars are restored after."""
    levels = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    environ = {key: os.environ.get(key) for key in _QUIET_ENV}
    hf_state = None
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_state = (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled())
    quiet_libraries()
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for key, value in environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if hf_state is not None:
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity(hf_state[0])
            if hf_state[1]:
                hf_logging.enable_progress_bar()


_GGUF_MODULE = "transformers.modeling_gguf_pytorch_utils"


def _quiet_gguf_bar() -> None:
    # transformers draws its GGUF de-quantizing bar with plain ``tqdm.auto`` instead of its own
    # switchable ``logging.tqdm``, so disable_progress_bar() misses it; point the module's ``tqdm``
    # at the switchable one, now or as soon as transformers imports it.
    module = sys.modules.get(_GGUF_MODULE)
    if module is not None:
        _patch_gguf(module)
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(_GGUF_MODULE, _patch_gguf))


def _patch_gguf(module: Any) -> None:
    from transformers.utils import logging as hf_logging

    module.tqdm = hf_logging.tqdm


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``patch(module)`` right after ``name`` is imported (then leaves ``sys.meta_path``)."""

    def __init__(self, name: str, patch: Any) -> None:
        self.name, self.patch = name, patch

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, patch = spec.loader, self.patch

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)  # type: ignore[attr-defined]
                patch(module)

        spec.loader = _Loader()
        return spec
