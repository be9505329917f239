"""The local backend's file checks: clear one-line errors before llama.cpp is touched."""

from __future__ import annotations

import pytest

from storypainter.errors import BackendError
from storypainter.providers.llms.local import compact_schema, resolve_model_path
from storypainter.providers.llms.structured import wire_schema
from storypainter.schema import Story


def test_missing_model_file_is_named(tmp_path):
    with pytest.raises(BackendError, match="local model not found") as caught:
        resolve_model_path(str(tmp_path / "absent.gguf"))
    assert "absent.gguf" in str(caught.value) and "\n" not in str(caught.value)


def test_corrupt_model_file_is_rejected_by_header(tmp_path):
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"NOPE" + bytes(100))
    with pytest.raises(BackendError, match="bad header"):
        resolve_model_path(str(corrupt))


def test_compact_schema_bounds_every_string_and_list():
    schema = compact_schema(wire_schema(Story))
    properties = schema["properties"]
    assert properties["cors"]["minItems"] == 3 and properties["cors"]["maxItems"] >= 3
    assert properties["description"]["pattern"].startswith("^[A-Z]")
    character = schema["$defs"]["Character"]["properties"]
    assert "enum" in character["emotion"] and "happy" in character["emotion"]["enum"]
    strings = [prop for node in [schema, *schema["$defs"].values()] for prop in node["properties"].values()
               if prop.get("type") == "string"]
    assert all("pattern" in prop or "enum" in prop for prop in strings)
