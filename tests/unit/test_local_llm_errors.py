"""The local backend's file checks: clear one-line errors before llama.cpp is touched."""

from __future__ import annotations

import json
import re

import pytest

from storypainter.errors import BackendError
from storypainter.providers.llms.local import compact_schema, resolve_model_path, schema_gbnf, schema_grammar
from storypainter.providers.llms.structured import wire_schema
from storypainter.schema import Story
from tests import extras


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


@extras.llama
def test_the_story_grammar_lets_no_string_hold_a_raw_control_character():
    schema = json.dumps(wire_schema(Story))
    [char_rule] = [line for line in schema_gbnf(schema).splitlines() if line.startswith("char ::=")]
    unescaped = char_rule.removeprefix("char ::= ").split(" |")[0]  # a GBNF character class reads as a regex one
    assert all(re.fullmatch(unescaped, character) for character in ("a", "é", "'", "中"))
    assert not any(re.fullmatch(unescaped, character) for character in ("\t", "\n", "\x00", "\x1f", "\x7f", '"'))
    assert schema_grammar(schema) is not None  # llama.cpp parses it
