"""The CLI under bad input (issue 13): every command turns a missing, empty, binary or wrongly
shaped input and an unusable output path into one line on stderr and exit code 2, before any
work is done; ``route --file`` checks attachments by content. Each case runs through
``routerlab.cli.main``; a few run in a real subprocess to prove no traceback reaches a terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import routerlab.cli.label as label_cli
from routerlab.cli import main

LABEL_FIXTURES = Path(__file__).parent / "fixtures" / "labeling"
JUDGE_FIXTURES = Path(__file__).parent / "fixtures" / "judge"
PROMPTS = LABEL_FIXTURES / "prompts.csv"
SRC = str(Path(__file__).parents[1] / "src")
BINARY = bytes(range(256)) * 4  # NUL bytes and invalid UTF-8 sequences
ROUTE = ["--router", "length", "--decision-only", "--profile", "offline"]


def one_line_error(capsys: pytest.CaptureFixture[str], command: str, *needles: str) -> str:
    """The captured stderr, checked to be exactly one ``routerlab CMD: error:`` line."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"routerlab {command}: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Hostile inputs, made fresh for each test."""
    made = {
        "empty.csv": b"",
        "binary.csv": BINARY,
        "header.csv": b"prompt,strong,weak\n",
        "blank.csv": b"\n\n\n",
        "noprompt.csv": b"text,strong,weak\nhi,1,0\n",
        "badtype.csv": b"prompt,strong,weak\nhi,maybe,0\nho,1,0\n",
        "small.csv": b"prompt,strong,weak\n"
        + b"".join(f"q{i},{i % 2},{i % 3 == 0}\n".encode() for i in range(40)),
        "fake.png": b"just some text, not an image\n",
        "zero.txt": b"",
        "fake.pdf": b"hello, not a pdf\n",
        "binary.txt": b"abc\x00def",
        "pdf.png": b"%PDF-1.4\n%fake\n",
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    made_paths = {name: tmp_path / name for name in made}
    (tmp_path / "folder").mkdir()
    made_paths["folder"] = tmp_path / "folder"
    made_paths["missing.csv"] = tmp_path / "missing.csv"
    return made_paths


# ----------------------------------------------------------------------------- eval


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("empty.csv", ("empty.csv", "is empty (0 bytes)", "expected a CSV with a 'prompt'")),
        ("binary.csv", ("binary.csv", "binary, not UTF-8 text")),
        ("header.csv", ("header.csv", "has a header but no rows")),
        ("blank.csv", ("blank.csv", "no header and no rows")),
        ("noprompt.csv", ("no 'prompt' column", "['text', 'strong', 'weak']")),
        ("badtype.csv", ("model column 'strong'", "boolean", "maybe")),
        ("folder", ("is a folder, not a file",)),
        ("missing.csv", ("missing.csv", "does not exist")),
    ],
)
def test_eval_bad_tables(files, capsys, name, needles):
    assert main(["eval", str(files[name]), "--router", "always-strong"]) == 2
    one_line_error(capsys, "eval", *needles)


def test_eval_too_few_rows_names_the_flag(files, capsys):
    # an explicit --train-rows that leaves nothing to score is refused, naming the flag ...
    args = ["eval", str(files["small.csv"]), "--router", "always-strong"]
    assert main([*args, "--train-rows", "1500"]) == 2
    line = one_line_error(capsys, "eval", "has 40 row(s)", "--train-rows is 1,500")
    assert "pass --train-rows N with N < 40" in line
    # ... and the default trains on half of a small table, so it is scored as it is
    assert main(args) == 0
    assert "always-strong" in capsys.readouterr().out


def test_eval_binary_decisions_file(files, capsys, tmp_path):
    args = ["eval", str(files["small.csv"]), "--train-rows", "10", "--router", "always-strong"]
    assert main([*args, "--decisions", str(files["binary.csv"])]) == 2
    one_line_error(capsys, "eval", "decisions file", "binary.csv", "not UTF-8")


# ----------------------------------------------------------------------------- label


@pytest.fixture
def judges(monkeypatch) -> list[object]:
    """Every judge client the label command builds (none, when it refuses up front)."""
    sys.path.insert(0, str(LABEL_FIXTURES))
    from fake_judge import FakeJudge

    made: list[object] = []

    def make(profile, pool):
        made.append(FakeJudge(pool))
        return made[-1]

    monkeypatch.setattr(label_cli, "_make_client", make)
    return made


def label(inp: Path | str, out: Path | str) -> int:
    return main(["label", str(inp), str(out), "--profile", "offline", "--no-progress"])


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("binary.csv", ("binary.csv", "binary, not UTF-8 text", "allowed: .csv")),
        ("empty.csv", ("empty.csv", "is empty (0 bytes)")),
        ("header.csv", ("header.csv", "has a header but no rows", "user_query or prompt")),
        ("blank.csv", ("no header and no rows",)),
        ("noprompt.csv", ("need a column named user_query or prompt", "text, strong, weak")),
        ("folder", ("is a folder, not a file",)),
        ("missing.csv", ("missing.csv", "does not exist")),
        ("fake.png", ("suffix '.png'", "allowed: .csv, .jsonl, .json, .parquet")),
    ],
)
def test_label_bad_inputs(files, judges, capsys, tmp_path, name, needles):
    out = tmp_path / "labels.csv"
    assert label(files[name], out) == 2
    one_line_error(capsys, "label", *needles)
    assert judges == [] and not out.exists()


def test_label_binary_parquet(judges, capsys, tmp_path):
    bad = tmp_path / "prompts.parquet"
    bad.write_bytes(BINARY)
    assert label(bad, tmp_path / "out.csv") == 2
    one_line_error(capsys, "label", "prompts.parquet", "not a parquet file")


def test_label_output_folder_refused_before_labeling(judges, capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert label(PROMPTS, out) == 2
    one_line_error(capsys, "label", "is an existing folder", "give a file path")
    assert judges == []  # no judge built, so no call made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no out.tmp, no checkpoint
    assert list(out.iterdir()) == []


def test_label_output_under_a_file(judges, capsys, tmp_path):
    blocker = tmp_path / "notafolder"
    blocker.write_text("x")
    assert label(PROMPTS, blocker / "labels.csv") == 2
    one_line_error(capsys, "label", "notafolder", "is a file, not a folder")
    assert judges == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_label_output_in_read_only_folder(judges, capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert label(PROMPTS, locked / "labels.csv") == 2
    finally:
        locked.chmod(0o700)
    one_line_error(capsys, "label", "is not writable")
    assert judges == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_label_output_where_files_cannot_be_created(judges, capsys):
    # /proc refuses new files even for root, which os.access would not reveal
    assert label(PROMPTS, "/proc/routerlab-labels.csv") == 2
    one_line_error(capsys, "label", "/proc", "not writable")
    assert judges == []


def test_label_output_is_the_input(judges, capsys, tmp_path):
    copy = tmp_path / "prompts.csv"
    copy.write_bytes(PROMPTS.read_bytes())
    assert label(copy, copy) == 2
    one_line_error(capsys, "label", "is the input file")
    assert copy.read_bytes() == PROMPTS.read_bytes() and judges == []


def test_label_all_prompts_empty(judges, capsys, tmp_path):
    blank = tmp_path / "blank_prompts.csv"
    blank.write_text('prompt\n""\n"  "\n', encoding="utf-8")
    assert label(blank, tmp_path / "out.csv") == 2
    one_line_error(capsys, "label", "every prompt is empty")
    assert judges == []


# ----------------------------------------------------------------------------- route --file


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("fake.png", ("fake.png", "named as an image file", "it is plain text", "PNG, JPEG")),
        ("pdf.png", ("pdf.png", "its bytes are application/pdf")),
        ("zero.txt", ("zero.txt", "is empty (0 bytes)")),
        ("fake.pdf", ("fake.pdf", "it is plain text", "a PDF (starting with %PDF-)")),
        ("binary.txt", ("binary.txt", "not UTF-8 text", "UTF-8 text without NUL bytes")),
        ("folder", ("not a regular file",)),  # no suffix: refused as unsupported first
    ],
)
def test_route_files_checked_by_content(files, capsys, name, needles):
    path = files[name]
    if name == "folder":
        path = path.parent / "folder.txt"
        path.mkdir()
    assert main(["route", "look", "--file", str(path), *ROUTE]) == 2
    one_line_error(capsys, "route", *needles)


def test_route_file_name_with_control_character(tmp_path, capsys):
    odd = tmp_path / "a\x07b.txt"
    odd.write_text("hello", encoding="utf-8")
    assert main(["route", "look", "--file", str(odd), *ROUTE]) == 2
    one_line_error(capsys, "route", "control or invisible characters")


def test_route_real_files_still_pass(capsys):
    for name in ("dot.png", "page.pdf", "notes.txt"):
        assert main(["route", "look", "--file", str(JUDGE_FIXTURES / name), *ROUTE]) == 0
    capsys.readouterr()


# ----------------------------------------------------------------------------- serve


@pytest.fixture
def no_server(monkeypatch) -> list[str]:
    """Fail loudly instead of serving if a bad config got through."""
    import uvicorn

    import routerlab.server.app as app_module

    started: list[str] = []

    def refuse(*args, **kwargs):
        started.append("started")
        raise AssertionError("the server started on a config that should have been refused")

    monkeypatch.setattr(app_module, "create_app", refuse)
    monkeypatch.setattr(uvicorn, "run", refuse)
    return started


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        (BINARY, ("server config", "binary, not UTF-8 text", "TOML")),
        (b"", ("server config", "is empty (0 bytes)", "no --config for the defaults")),
        (b"[server\nport = = 1\n", ("server config", "is not valid TOML")),
        (b"[server]\nport = 'eighty'\n", ("port",)),
    ],
)
def test_serve_bad_config(tmp_path, capsys, no_server, content, needles):
    config = tmp_path / "gateway.toml"
    config.write_bytes(content)
    assert main(["serve", "--config", str(config), "--profile", "offline"]) == 2
    one_line_error(capsys, "serve", *needles)
    assert no_server == []


def test_serve_config_folder_and_missing(tmp_path, capsys, no_server):
    assert main(["serve", "--config", str(tmp_path), "--profile", "offline"]) == 2
    one_line_error(capsys, "serve", "is a folder, not a file")
    assert main(["serve", "--config", str(tmp_path / "no.toml"), "--profile", "offline"]) == 2
    one_line_error(capsys, "serve", "no.toml", "does not exist")
    assert no_server == []


def test_serve_padded_token(tmp_path, capsys, no_server):
    config = tmp_path / "gateway.toml"
    config.write_text('[server]\ntoken = " padded "\n', encoding="utf-8")
    assert main(["serve", "--config", str(config), "--profile", "offline"]) == 2
    one_line_error(capsys, "serve", "token")
    assert no_server == []


# ----------------------------------------------------------------------------- train, notebooks


def test_train_unusable_output_dirs(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["train", "--profile", "offline", "--output-dir", str(blocker)]) == 2
    one_line_error(capsys, "train", "--output-dir", "is a file, not a folder")
    args = ["train", "--profile", "offline", "--output-dir", str(tmp_path / "out")]
    assert main([*args, "--model-dir", str(blocker / "model")]) == 2
    one_line_error(capsys, "train", "--model-dir", "is a file, not a folder")
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_notebooks_output_dir_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["notebooks", "--profile", "offline", "--output-dir", str(blocker)]) == 2
    one_line_error(capsys, "notebooks", "--output-dir", "is a file, not a folder")


# ----------------------------------------------------------------------------- doctor, pool


def test_binary_pool_file_from_environment(files, capsys, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_POOL", str(files["binary.csv"]))
    assert main(["doctor", "--profile", "offline", "--no-model"]) == 2
    one_line_error(capsys, "doctor", "pool file ($ROUTERLAB_POOL)", "binary, not UTF-8")


def run_command(monkeypatch, func, argv=("label", "a.csv", "b.csv")) -> int:
    """``main(argv)`` with the command's function replaced by ``func``."""
    import routerlab.cli as cli

    parser = cli.build_parser()

    class Fixed:
        def parse_args(self, given):
            args = parser.parse_args(given)
            args.func = func
            return args

    monkeypatch.setattr(cli, "build_parser", Fixed)
    return main(list(argv))


def test_multi_line_messages_are_folded(capsys, monkeypatch):
    from routerlab.errors import ConfigError

    def fails(args):
        raise ConfigError("first line\n  second line\n")

    assert run_command(monkeypatch, fails) == 2
    assert one_line_error(capsys, "label").endswith("error: first line second line")


def test_unexpected_exceptions_keep_their_traceback(monkeypatch):
    # Only errors raised on purpose become one line; a bug must stay visible.
    def bug(args):
        raise ZeroDivisionError("a real bug")

    with pytest.raises(ZeroDivisionError):
        run_command(monkeypatch, bug)


# ----------------------------------------------------------------------------- real processes


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["eval", "@empty.csv"], "is empty (0 bytes)"),
        (["eval", "@binary.csv"], "binary, not UTF-8 text"),
        (["label", "@binary.csv", "@folder", "--profile", "offline"], "binary, not UTF-8"),
        (["route", "x", "--file", "@fake.png", *ROUTE], "it is plain text"),
    ],
)
def test_no_traceback_reaches_the_terminal(files, argv, needle):
    args = [str(files[a[1:]]) if a.startswith("@") else a for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "routerlab", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_label_prompts_that_are_not_text(judges, capsys, tmp_path):
    bad = tmp_path / "typed.jsonl"
    bad.write_text('{"prompt": "fine"}\n{"prompt": 7}\n{"prompt": {"x": 1}}\n', encoding="utf-8")
    assert label(bad, tmp_path / "out.csv") == 2
    one_line_error(capsys, "label", "2 value(s) of column 'prompt' are not text", "row 2: int")
    assert judges == []


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("ragged.csv", b'prompt,x\n"unterminated\n', "cannot be parsed"),
        ("broken.jsonl", b'{"prompt": "hi"\n', "is not valid JSONL"),
        ("cut.parquet", b"PAR1 and then nothing a parquet reader accepts", "cannot be read"),
    ],
)
def test_label_unparseable_inputs(judges, capsys, tmp_path, name, content, needle):
    bad = tmp_path / name
    bad.write_bytes(content)
    assert label(bad, tmp_path / "out.csv") == 2
    one_line_error(capsys, "label", needle)
    assert judges == []


def test_label_checkpoint_path_is_a_folder(judges, capsys, tmp_path):
    (tmp_path / "out.csv.checkpoint.jsonl").mkdir()
    assert label(PROMPTS, tmp_path / "out.csv") == 2
    one_line_error(capsys, "label", "checkpoint", "is a folder")
    assert judges == []


def test_eval_named_classifier_dir_must_exist(files, capsys, tmp_path):
    args = ["eval", str(files["small.csv"]), "--train-rows", "10", "--router", "classifier"]
    assert main([*args, "--classifier-dir", str(tmp_path / "nope")]) == 2
    one_line_error(capsys, "eval", "--classifier-dir", "nope", "is not a folder")


def test_serve_binary_replay_file(files, capsys, no_server):
    assert main(["serve", "--profile", "offline", "--replay", str(files["binary.csv"])]) == 2
    one_line_error(capsys, "serve", "replay file", "binary, not UTF-8")
    assert no_server == []


# -- route: context windows apply to --decision-only too ---------------------------------------

WINDOW_POOL = """
[models."tiny"]
order = 0
input = 0.1
cached_input = 0.025
output = 0.4
context_window = 64
description = "tiny"

[models."big"]
order = 1
input = 2.0
cached_input = 0.5
output = 8.0
context_window = 600
description = "big"

[models."deep"]
order = 2
input = 1.0
cached_input = 0.25
output = 4.0
context_window = 2000
reasoning = true
temperature = false
description = "deep"
"""
WORDS = " ".join(f"word{i}" for i in range(200))  # about 400 o200k tokens


@pytest.fixture
def window_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pool.toml"
    path.write_text(WINDOW_POOL)
    monkeypatch.setenv("ROUTERLAB_POOL", str(path))
    return path


def test_route_decision_only_keeps_to_models_whose_window_fits(window_pool, capsys):
    # `fixed` names the strongest general model, big (600 tokens): with 500 output tokens the
    # ~400-token prompt no longer fits, so the decision moves to deep (2,000 tokens).
    args = ["route", WORDS, "--router", "fixed", "--decision-only", "--profile", "offline"]
    assert main([*args, "--json"]) == 0
    assert '"model": "big"' in capsys.readouterr().out
    assert main([*args, "--json", "--max-tokens", "500"]) == 0
    out = capsys.readouterr().out
    assert '"model": "deep"' in out and '"context_window_replaced": "big"' in out


def test_route_decision_only_refuses_a_prompt_no_window_holds(window_pool, capsys):
    args = ["route", WORDS * 6, "--router", "fixed", "--decision-only", "--profile", "offline"]
    assert main(args) == 2
    one_line_error(capsys, "route", "largest is 2,000 tokens (deep)")


def test_train_without_model_dir_checks_the_default_folder(tmp_path, monkeypatch, capsys):
    # --model-dir defaults to None (the split's folder): the path checks must use that folder,
    # not crash on None; the bad sample size is then the one-line error.
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--profile", "offline", "--sample-size", "0"]) == 2
    one_line_error(capsys, "train", "--sample-size must be >= 1")


def test_route_counts_inlined_text_files_against_the_window(window_pool, tmp_path, capsys):
    # The ~400-token text file is inlined into the message: with 500 output tokens it no longer
    # fits big's 600-token window, though the prompt itself is two words.
    notes = tmp_path / "notes.txt"
    notes.write_text(WORDS, encoding="utf-8")
    args = ["route", "summarise this", "--file", str(notes), "--router", "fixed"]
    args += ["--decision-only", "--profile", "offline", "--json", "--max-tokens", "500"]
    assert main(args) == 0
    assert '"model": "deep"' in capsys.readouterr().out
