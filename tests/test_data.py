from __future__ import annotations

import pytest

from routerlab import data
from routerlab.errors import DatasetNotFoundError


def test_mmlu_dev_from_mirror(mirror):
    frame = data.load_mmlu("dev", ["marketing", "machine_learning"])
    assert list(frame.columns) == ["subject", "question", "choices", "answer"]
    assert len(frame) == 10
    assert frame["answer"].between(0, 3).all()
    assert all(len(c) == 4 for c in frame["choices"])
    first = frame.iloc[0]
    assert first["subject"] == "marketing" and first["choices"][0] == "Geodemographics"


def test_mmlu_test_has_all_subjects(mirror):
    assert len(data.mmlu_subjects("test")) == 57
    assert len(data.load_mmlu("test")) == 14042


def test_unknown_subject_and_split(mirror):
    with pytest.raises(ValueError, match="unknown MMLU subject 'astrology'"):
        data.load_mmlu("dev", ["astrology"])
    with pytest.raises(ValueError, match="unknown MMLU split 'train'"):
        data.load_mmlu("train")


def test_labeled_prompts_as_published(mirror):
    frame = data.load_labeled_prompts()
    assert list(frame.columns) == ["user_query", "label"]
    assert len(frame) == 8179
    assert (frame["label"] == "").sum() == 37
    assert set(frame["label"]) - {""} == {"gpt-4.1-nano", "gpt-4.1", "o4-mini"}


def test_local_cache_wins_over_mirror(mirror, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (cache / "arena_labeled").mkdir(parents=True)
    (cache / "arena_labeled" / "train_dataframe.csv").write_text(
        "user_query,class\nhello,gpt-4.1-nano\n"
    )
    monkeypatch.setenv(data.CACHE_ENV, str(cache))
    assert len(data.load_labeled_prompts()) == 1


def test_missing_dataset_names_both_ways(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "empty-cache"))
    monkeypatch.setenv(data.MIRROR_ENV, str(tmp_path / "no-mirror"))
    with pytest.raises(DatasetNotFoundError) as err:
        data.load_labeled_prompts()
    message = str(err.value)
    assert "'arena_labeled'" in message and "ROUTERLAB_DATA_MIRROR" in message
    assert "ROUTERLAB_ARENA_LABELED_URL" in message
    with pytest.raises(DatasetNotFoundError, match="hub cais/mmlu"):
        data.load_mmlu("dev", ["marketing"])
    with pytest.raises(DatasetNotFoundError, match="routellm_mmlu"):
        data.routellm_outcome_files()


def test_routellm_files(mirror):
    files, contaminated = data.routellm_outcome_files()
    assert len(files) == 57
    assert contaminated.endswith("contaminated_prompts.jsonl")


def test_dataset_report_lists_mirror(mirror):
    report = data.dataset_report()
    assert report["found"].all(), report
