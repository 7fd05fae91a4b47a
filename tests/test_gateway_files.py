"""File checks happen before any call: unsupported kinds, missing, unreadable, oversized files
and files a model cannot read all raise clear errors while the client stays untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from routerlab.errors import ConfigError
from routerlab.gateway import CapabilityError, FileInputError, Gateway, check_files
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.routers.baselines import FixedRouter
from routerlab.testing import ScriptedChatClient, make_pool

FIXTURES = Path(__file__).parent / "fixtures" / "judge"


def blind_pool() -> Pool:
    """A pool whose cheap model reads neither images nor PDFs."""
    return make_pool(["blind", "seer"], [(0.1, 0.4), (2.0, 8.0)], vision={"seer"}, pdf={"seer"})


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ((FIXTURES / "report.docx",), "unsupported file 'report.docx'"),
        ((FIXTURES / "absent.png",), "file not found"),
        ((FIXTURES,), "unsupported file"),  # a folder has no suffix
    ],
)
def test_bad_files_fail_before_any_call(pool, files, message):
    client = ScriptedChatClient(pool=pool)
    gw = Gateway(pool, client, FixedRouter(pool, "gpt-4.1"))
    with pytest.raises(FileInputError, match=message):
        gw.route(RouteRequest("look", files=files))
    with pytest.raises(FileInputError, match=message):
        gw.answer(RouteRequest("look", files=files), "gpt-4.1")
    assert client.calls == []


def test_unsupported_message_lists_allowed_kinds():
    with pytest.raises(FileInputError, match=r"allowed: images .*PDF .*text-like"):
        check_files([FIXTURES / "x.exe"])


def test_directory_with_text_suffix_is_rejected(tmp_path):
    folder = tmp_path / "data.txt"
    folder.mkdir()
    with pytest.raises(FileInputError, match="not a regular file"):
        check_files([folder])


def test_oversized_file_is_rejected(pool):
    client = ScriptedChatClient(pool=pool)
    gw = Gateway(pool, client, max_file_bytes={"image": 10})
    with pytest.raises(
        FileInputError, match=r"dot.png is 70 bytes; the limit for image files is 10"
    ):
        gw.answer(RouteRequest("look", files=(FIXTURES / "dot.png",)), "gpt-4.1")
    assert client.calls == []


def test_non_utf8_text_file_is_unreadable(pool, tmp_path):
    bad = tmp_path / "latin.txt"
    bad.write_bytes(b"caf\xe9 \xff\xfe")
    client = ScriptedChatClient(pool=pool)
    with pytest.raises(FileInputError, match="not UTF-8"):
        Gateway(pool, client).answer(RouteRequest("read", files=(bad,)), "gpt-4.1")
    assert client.calls == []


def test_file_sent_to_model_without_capability():
    pool = blind_pool()
    client = ScriptedChatClient(pool=pool)
    gw = Gateway(pool, client, FixedRouter(pool, "blind"))
    with pytest.raises(
        CapabilityError, match=r"'blind' cannot read image files.*models that can: seer"
    ):
        gw.route(RouteRequest("what is this", files=(FIXTURES / "dot.png",)))
    with pytest.raises(CapabilityError, match="cannot read pdf"):
        gw.answer(RouteRequest("read", files=(FIXTURES / "page.pdf",)), "blind")
    assert client.calls == []
    # text files are inlined, so any model takes them
    resp = gw.answer(RouteRequest("read", files=(FIXTURES / "notes.txt",)), "blind")
    assert resp.answer == "ok" and len(client.calls) == 1


def test_gateway_rejects_bad_settings(pool):
    with pytest.raises(ConfigError, match="pdf_mode"):
        Gateway(pool, ScriptedChatClient(pool=pool), pdf_mode="ftp")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no router"):
        Gateway(pool, ScriptedChatClient(pool=pool)).route("hi")
    with pytest.raises(ConfigError, match="concurrency"):
        Gateway(pool, ScriptedChatClient(pool=pool)).batch(["hi"], model="gpt-4.1", concurrency=0)


def test_make_request_and_overview(pool):
    from routerlab.gateway import make_request

    assert make_request("hi", 0.2, "").files == ()
    assert make_request("hi", 0.2, None).files == ()
    assert make_request("hi", 0.2, FIXTURES / "dot.png").files == (FIXTURES / "dot.png",)
    client = ScriptedChatClient(pool=pool)
    resp = Gateway(pool, client, FixedRouter(pool, "o4-mini")).route(make_request("hi"))
    facts = dict(zip(*resp.overview().to_dict("list").values(), strict=True))
    assert facts["model"] == "o4-mini" and facts["router"] == "fixed"
    assert facts["fallback"] == "no" and client.calls[0].temperature is None


def test_openai_file_uploader_uses_purpose_user_data():
    import asyncio
    from types import SimpleNamespace

    from routerlab.gateway import openai_file_uploader

    seen: dict[str, Any] = {}

    async def create(*, file, purpose):
        seen["name"], seen["purpose"] = Path(file.name).name, purpose
        return SimpleNamespace(id="file-xyz")

    fake_sdk = SimpleNamespace(files=SimpleNamespace(create=create))
    file_id = asyncio.run(openai_file_uploader(fake_sdk)(FIXTURES / "page.pdf"))
    assert file_id == "file-xyz" and seen == {"name": "page.pdf", "purpose": "user_data"}


# ----------------------------------------------------------------------------- content checks


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("fake.png", b"plain text pretending\n", r"fake.png is named as an image .*plain text"),
        ("doc.png", (FIXTURES / "page.pdf").read_bytes(), r"its bytes are application/pdf"),
        ("empty.txt", b"", r"empty.txt is empty \(0 bytes\)"),
        ("fake.pdf", b"not a pdf at all", r"fake.pdf is named as a PDF .*%PDF-"),
        ("nul.txt", b"abc\x00def", r"nul.txt .*not UTF-8 text"),
        ("photo.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", r"photo.webp .*PNG, JPEG, GIF or WebP"),
    ],
)
def test_files_are_checked_by_content(pool, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    client = ScriptedChatClient(pool=pool)
    gw = Gateway(pool, client, FixedRouter(pool, "gpt-4.1"))
    with pytest.raises(FileInputError, match=message):
        gw.route(RouteRequest("look", files=(path,)))
    with pytest.raises(FileInputError, match=message):
        check_files([path])
    assert client.calls == []


def test_file_names_sent_upstream_are_checked(tmp_path):
    odd = tmp_path / "a\x1bb.txt"
    odd.write_text("hello", encoding="utf-8")
    with pytest.raises(FileInputError, match="control or invisible characters"):
        check_files([odd])


def test_image_is_sent_with_the_type_its_bytes_prove(pool, tmp_path):
    import asyncio

    from routerlab.gateway import content_parts

    misnamed = tmp_path / "dot.jpg"  # PNG bytes behind a .jpg name
    misnamed.write_bytes((FIXTURES / "dot.png").read_bytes())
    checked = check_files([misnamed, FIXTURES / "page.pdf"])
    assert [f.media_type for f in checked] == ["image/png", "application/pdf"]
    parts = asyncio.run(content_parts("look", checked))
    assert isinstance(parts, list)
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_content_is_checked_again_on_the_bytes_sent(pool, tmp_path):
    """A file swapped between the check and the call is refused, not sent."""
    import asyncio

    from routerlab.gateway import content_parts

    image = tmp_path / "dot.png"
    image.write_bytes((FIXTURES / "dot.png").read_bytes())
    checked = check_files([image])
    image.write_text("now it is text", encoding="utf-8")
    with pytest.raises(FileInputError, match="plain text"):
        asyncio.run(content_parts("look", checked))
