"""Train a tiny encoder for a few steps, save it, load it as the classifier router, route."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_train_prepare import make_labeled

from routerlab.errors import ConfigError
from routerlab.routers import make_router
from routerlab.training.io import INFO_FILE, ModelDirError, read_info, save_classifier
from routerlab.training.prepare import prepare_data
from routerlab.training.trainer import (
    SelectionLeakError,
    TrainingConfig,
    check_selection_rows,
    offline_base_model,
    train_classifier,
)


def tiny_model(labels: tuple[str, ...], seed: int = 0):
    """A 2-layer, 32-wide BERT built from a config, with the packaged MiniLM tokenizer files."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(offline_base_model())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    return BertForSequenceClassification(config), tokenizer


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, pool):
    labels = tuple(pool.names)
    data = prepare_data(make_labeled(90), labels)  # grouped: train / validation / test
    model, tokenizer = tiny_model(labels)
    config = TrainingConfig(
        base_model="tiny",
        learning_rate=5e-3,
        epochs=5,
        batch_size=8,
        warmup_steps=0,
        max_length=32,
        dropout=None,
        weight_decay=0.0,
        progress=False,
    )
    out = tmp_path_factory.mktemp("tiny")
    result = train_classifier(
        data, config, output_dir=out / "ckpt", model=model, tokenizer=tokenizer
    )
    model_dir = save_classifier(
        out / "model",
        result.model,
        result.tokenizer,
        result.labels,
        max_length=config.max_length,
        info={"split_mode": data.split_mode, "metrics": result.metrics},
    )
    return data, result, model_dir, config, out / "ckpt"


def test_training_reports_metrics_and_history(trained):
    data, result, *_ = trained
    assert result.val_probs.shape == (len(data.val), 3)
    assert np.allclose(result.val_probs.sum(axis=1), 1.0, atol=1e-5)
    assert 0.0 <= result.metrics["macro_f1"] <= 1.0
    assert "eval_macro_f1" in result.history.columns
    assert result.history["loss"].notna().any()
    # the kept model is the best epoch by macro-F1, and the final metrics are that model's
    best = result.history["eval_macro_f1"].max()
    assert result.metrics["macro_f1"] == pytest.approx(best, abs=1e-6)
    evals = result.history.dropna(subset=["eval_macro_f1"])
    first_best = evals.loc[evals["eval_macro_f1"] == best, "epoch"].iloc[0]
    assert result.selected_epoch == pytest.approx(first_best)


def test_save_load_predict_round_trip(trained, pool):
    data, result, model_dir, *_ = trained
    info = read_info(model_dir)
    assert info["labels"] == list(pool.names)
    router = make_router("classifier", pool, model_dir=model_dir)
    prompts = data.val["user_query"].tolist()
    probs = router.predict_proba(prompts)
    # same numbers as the in-memory model (sorted-by-length batching restores the order)
    assert np.allclose(probs, result.val_probs, atol=1e-4)
    one_by_one = np.vstack([router.predict_proba([p]) for p in prompts])
    assert np.allclose(probs, one_by_one, atol=1e-4)
    decision = router.route(prompts[0])
    assert decision.router == "classifier"
    assert decision.scores is not None and set(decision.scores) == set(pool.names)
    assert decision.model in pool
    assert decision.latency_s > 0


def test_cost_threshold_ends(trained, pool):
    data, _, model_dir, *_ = trained
    prompts = data.val["user_query"].tolist() + data.train["user_query"].tolist()[:20]
    follow = make_router("classifier", pool, model_dir=model_dir, cost_threshold=0.0)
    cheap = make_router("classifier", pool, model_dir=model_dir, cost_threshold=1.0)
    follows = follow.route_batch(prompts)
    for d in follows:
        assert d.scores is not None
        assert d.model == max(d.scores, key=lambda m: d.scores[m])  # type: ignore[index]
    assert {d.model for d in cheap.route_batch(prompts)} == {pool.cheapest.name}
    assert len({d.model for d in follows}) > 1  # so the two ends really differ


def test_missing_and_incompatible_directories_are_clear_errors(trained, pool, tmp_path: Path):
    _, _, model_dir, *_ = trained
    with pytest.raises(ModelDirError, match="does not exist"):
        make_router("classifier", pool, model_dir=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelDirError, match=INFO_FILE):
        make_router("classifier", pool, model_dir=tmp_path / "empty")
    info = json.loads((model_dir / INFO_FILE).read_text())
    bad = tmp_path / "bad"
    bad.mkdir()
    for file in model_dir.iterdir():
        (bad / file.name).write_bytes(file.read_bytes())
    info["labels"] = ["gpt-4.1-nano", "gpt-5", "o4-mini"]
    (bad / INFO_FILE).write_text(json.dumps(info))
    with pytest.raises(ModelDirError, match="gpt-5"):
        make_router("classifier", pool, model_dir=bad)
    info["labels"] = ["gpt-4.1-nano", "gpt-4.1"]
    (bad / INFO_FILE).write_text(json.dumps(info))
    with pytest.raises(ModelDirError, match="3 outputs"):
        make_router("classifier", pool, model_dir=bad)
    with pytest.raises(ConfigError, match="cost_threshold"):
        make_router("classifier", pool, model_dir=model_dir, cost_threshold=1.5)


def test_config_validation_names_the_range():
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainingConfig(learning_rate=0)
    with pytest.raises(ConfigError, match="cosine"):
        TrainingConfig(scheduler="exotic")


def test_report_writes_metrics_tables_and_figures(trained, tmp_path: Path):
    from routerlab.training.report import save_report
    from routerlab.training.workflow import score_report_side

    data, result, *_ = trained
    probs, metrics, intervals = score_report_side(result.model, result.tokenizer, data, 32)
    assert data.test is not None and probs.shape == (len(data.test), 3)
    paths = save_report(
        result, data, tmp_path, report_probs=probs, report_metrics=metrics, intervals=intervals
    )
    for path in paths.values():
        assert path.is_file() and path.stat().st_size > 0
    saved = json.loads(paths["metrics"].read_text())
    assert saved["metrics"]["accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert saved["report_side"] == "test"
    assert saved["report_metrics"]["accuracy"] == pytest.approx(metrics["accuracy"])
    assert saved["val_rows"] == len(data.val) and saved["test_rows"] == len(data.test)
    assert result.selected_epoch is not None
    assert saved["selected_epoch"] == result.selected_epoch


def test_train_cli_parses_its_options():
    from routerlab.cli import build_parser

    args = build_parser().parse_args(
        [
            "train",
            "--profile",
            "offline",
            "--split",
            "study",
            "--epochs",
            "2",
            "--sample-size",
            "300",
        ]
    )
    assert args.split == "study" and args.epochs == 2.0 and args.sample_size == 300
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--split", "random"])
    assert build_parser().parse_args(["train"]).split == "grouped"  # the honest split by default
    from routerlab.cli.train import default_model_dir
    from routerlab.routers.classifier import DEFAULT_MODEL_DIR

    assert (
        default_model_dir("grouped") == DEFAULT_MODEL_DIR
    )  # what notebook 05 and the gateway load
    assert default_model_dir("study") != DEFAULT_MODEL_DIR  # a leaky model never replaces it


def test_training_refuses_test_rows_for_selection(pool):
    """Selection reads validation only: handing the trainer test rows is an error, not a run."""
    import dataclasses

    data = prepare_data(make_labeled(90), tuple(pool.names))
    assert data.test is not None
    config = TrainingConfig(base_model="never-loaded", progress=False)
    # the held-out test rows used as the validation (selection) side
    with pytest.raises(SelectionLeakError, match="validation row"):
        train_classifier(dataclasses.replace(data, val=data.test), config)
    # test rows slipped into training, even re-spelled
    respelled = data.test.head(2).assign(user_query=lambda f: f["user_query"].str.upper() + "!")
    leaky = dataclasses.replace(data, train=pd.concat([data.train, respelled]))
    with pytest.raises(SelectionLeakError, match="training row"):
        train_classifier(leaky, config)
    # an outside held-out frame is guarded the same way
    with pytest.raises(SelectionLeakError):
        check_selection_rows(data.train, data.val, data.val.head(1))
    check_selection_rows(data.train, data.val, data.test)  # the split itself is clean


def test_quantized_router_gives_probabilities(trained, pool):
    data, _, model_dir, *_ = trained
    router = make_router("classifier", pool, model_dir=model_dir, quantize=True)
    probs = router.predict_proba(data.val["user_query"].tolist())
    assert probs.shape == (len(data.val), 3)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_resume_continues_from_the_last_checkpoint(trained, pool):
    data, first, _, config, ckpt = trained
    # other initial weights: only loading the checkpoint reproduces the first run's model
    model, tokenizer = tiny_model(tuple(pool.names), seed=1)
    again = train_classifier(
        data, config, output_dir=ckpt, model=model, tokenizer=tokenizer, resume=True
    )
    assert np.allclose(again.val_probs, first.val_probs, atol=1e-5)
    # training time carries over from the checkpoint instead of restarting at zero
    assert again.train_seconds >= 0.5 * first.train_seconds


def test_offline_recipe_is_the_mirror_reference_fine_tune() -> None:
    """The offline recipe is the mirror README's reference fine-tune (lr 5e-5, batch 16, cosine,
    class-weighted, 3 epochs), not one tuned on our rows; unstated settings keep the study's."""
    from routerlab.training.trainer import TrainingConfig, offline_config

    recipe = offline_config(base_model="any-folder")
    study = TrainingConfig()
    assert (recipe.learning_rate, recipe.batch_size, recipe.scheduler) == (5e-5, 16, "cosine")
    assert recipe.class_weighted and recipe.epochs == 3.0
    for name in ("warmup_steps", "weight_decay", "dropout", "max_length", "label_smoothing"):
        assert getattr(recipe, name) == getattr(study, name), name


def test_library_model_dir_and_training_description(tmp_path) -> None:
    """Notebook 04 and the CLI share one default: a study-split model never lands in the folder
    the gateway loads; notebook 05 reads which split a saved classifier was trained on."""
    import json as _json

    from routerlab.training.io import (
        INFO_FILE,
        default_model_dir,
        describe_training,
        trained_split,
    )

    assert default_model_dir("grouped", tmp_path) == tmp_path / "models" / "classifier"
    assert default_model_dir("study", tmp_path) != default_model_dir("grouped", tmp_path)
    missing = tmp_path / "none"
    assert "skipped" in describe_training(missing)
    for split in ("grouped", "study"):
        folder = default_model_dir(split, tmp_path)
        folder.mkdir(parents=True)
        record = {"format_version": 1, "labels": ["a", "b"], "split_mode": split, "train_rows": 80}
        (folder / INFO_FILE).write_text(_json.dumps(record), encoding="utf-8")
        assert trained_split(folder) == split
        line = describe_training(folder)
        assert f"**{split}**" in line and "80 train" in line
        assert ("LEAKY" in line) == (split == "study")


def test_classifier_is_evaluated_through_the_registry(trained, pool):
    """``run_evaluation`` builds the classifier by name; its strong scores are exactly the
    decisions' P(any non-cheapest model), and ``explain`` shows the shared policy's choices."""
    import pandas as pd

    from routerlab.evaluation.run import held_out_scores, run_evaluation
    from routerlab.routers.base import choose_model
    from routerlab.tables import OutcomeTable

    data, _, model_dir, *_ = trained
    prompts = list(
        dict.fromkeys(data.val["user_query"].tolist() + data.test["user_query"].tolist())
    )
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"prompt": prompts, "weak": rng.random(len(prompts)) < 0.4, "strong": True}
    )
    table = OutcomeTable.from_frame(frame)
    evaluation = run_evaluation(
        table,
        ["classifier"],
        train_rows=2,
        bootstrap=0,
        pool=pool,
        router_options={"classifier": {"model_dir": str(model_dir)}},
    )
    result = evaluation.result("classifier")
    router = make_router("classifier", pool, model_dir=model_dir)
    held_out = evaluation.test_table
    decisions = router.route_batch(held_out.prompts)
    assert result.kind == "curve" and result.scores is not None
    assert result.scores.tolist() == [d.strong_score(pool) for d in decisions]
    assert held_out_scores(router, held_out).tolist() == result.scores.tolist()
    explained = router.explain(held_out.prompts[:5], thresholds=(0.0, 0.6, 1.0))
    for d, row in zip(decisions[:5], explained.itertuples(index=False), strict=True):
        assert d.scores is not None
        for t, column in ((0.0, 4), (0.6, 5), (1.0, 6)):
            assert row[column] == choose_model(d.scores, pool, t)
