"""Routing latency of the classifier router on CPU.

Measures one prompt at a time (p50/p90 over --n prompts, each through ``router.route``) and
batched throughput (``router.route_batch`` over the validation prompts, sorted-by-length
batches). Prompts are real ones: the validation side of the study split.

    .venv/bin/python benchmarks/classifier_latency.py --model-dir outputs/models/classifier

Targets (issue 7): p50 <= 20 ms, throughput >= 155 prompts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

# Passive OpenMP waiting: spinning threads stall each other on a shared CPU (set before torch).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default="outputs/models/classifier")
    parser.add_argument("--n", type=int, default=300, help="prompts timed one at a time (>= 200)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batch-prompts", type=int, default=1629, help="prompts in the batch run")
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 Linear layers")
    args = parser.parse_args()

    import torch

    from routerlab.data import load_labeled_prompts
    from routerlab.pool import load_pool
    from routerlab.routers import make_router
    from routerlab.training.prepare import prepare_data

    pool = load_pool()
    router = make_router(
        "classifier",
        pool,
        model_dir=args.model_dir,
        batch_size=args.batch_size,
        num_threads=args.threads,
        quantize=args.quantize,
    )
    val = prepare_data(load_labeled_prompts(), pool, split_mode="study").val
    prompts = val["user_query"]
    single = prompts.tolist()[: args.n]
    batch = prompts.tolist()[: args.batch_prompts]

    for p in single[:10]:  # warm-up: first calls allocate
        router.route(p)
    times = []
    for p in single:
        start = time.perf_counter()
        router.route(p)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000

    router.route_batch(batch[:64])  # warm-up
    start = time.perf_counter()
    decisions = router.route_batch(batch)
    seconds = time.perf_counter() - start

    # Quality of the same decisions (argmax, threshold 0) on these validation prompts.
    gold = val["label"].tolist()[: len(decisions)]
    accuracy = float(np.mean([d.model == g for d, g in zip(decisions, gold, strict=True)]))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report = {
        "model_dir": args.model_dir,
        "base_model": router.info.get("base_model"),  # type: ignore[attr-defined]
        "single_prompts": len(single),
        "single_p50_ms": round(float(np.percentile(ms, 50)), 2),
        "single_p90_ms": round(float(np.percentile(ms, 90)), 2),
        "single_mean_ms": round(float(ms.mean()), 2),
        "batch_prompts": len(decisions),
        "batch_size": args.batch_size,
        "batch_prompts_per_s": round(len(decisions) / seconds, 1),
        "quantized_int8": args.quantize,
        "batch_accuracy": round(accuracy, 4),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_avg_1min": round(load, 2),
        "platform": platform.platform(),
        "targets": {"single_p50_ms": 20, "batch_prompts_per_s": 155},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
