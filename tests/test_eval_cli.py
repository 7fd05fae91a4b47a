"""``routerlab eval`` on small hand-made tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routerlab.cli import main


def write_table(folder: Path) -> Path:
    rows = ["prompt,subject,weak_model,strong_model"]
    # 40 prompts: the strong model is right on 30, the weak one on 20; long prompts need strong
    for i in range(40):
        strong = i % 4 != 0
        weak = i < 20
        rows.append(f"question {i} {'x' * i},s{i % 3},{weak},{strong}")
    file = folder / "table.csv"
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return file


def test_json_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = write_table(tmp_path)
    code = main(["eval", str(table), "--router", "length", "--router", "oracle", "--router",
                 "always-weak", "--json", "--train-rows", "10"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    records = {r["router"]: r for r in out["routers"]}
    assert set(records) == {"length", "oracle", "always-weak"}
    assert records["oracle"]["apgr"] > records["length"]["apgr"] > 0.5
    assert records["always-weak"]["strong_share"] == 0.0
    assert records["always-weak"]["apgr"] is None  # a fixed router has no curve
    for key in ("apgr", "cpt50", "cpt80", "auc", "accuracy", "strong_share", "apgr_qcut10"):
        assert key in records["length"]
    # headline metrics carry a bootstrap 95 % interval
    assert records["length"]["apgr_lo"] <= records["length"]["apgr"] <= records["length"]["apgr_hi"]
    assert any("strong = strong_model" in n for n in out["notes"])  # the more accurate one


def test_explicit_pair_and_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = write_table(tmp_path)
    decisions = tmp_path / "judge.csv"
    lines = ["prompt,model"] + [
        f"question {i} {'x' * i},{'strong_model' if i >= 20 else 'weak_model'}" for i in range(40)
    ]
    decisions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["eval", str(table), "--router", "always-strong", "--decisions", str(decisions),
                 "--strong", "strong_model", "--weak", "weak_model", "--json",
                 "--train-rows", "10"])  # fmt: skip
    assert code == 0
    records = {r["router"]: r for r in json.loads(capsys.readouterr().out)["routers"]}
    assert records["judge"]["kind"] == "point"
    assert records["always-strong"]["strong_share"] == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [("question,a\nq,True\n", "no 'prompt' column"), ("prompt\nq\n", "no model columns")],
)
def test_bad_table_names_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(text, encoding="utf-8")
    assert main(["eval", str(file), "--router", "length"]) == 2
    assert message in capsys.readouterr().err


def test_missing_table_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope.csv")]) == 2
    assert "routellm-mmlu" in capsys.readouterr().err
