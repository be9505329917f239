"""The one credential rule (storypainter/credentials.py) and the settings-tree bound (limits.py)."""

from __future__ import annotations

import pytest

from storypainter.credentials import credential_problem, secret_name
from storypainter.limits import MAX_TREE_DEPTH, tree_problem


@pytest.mark.parametrize("name", ["api_key", "api-key", "apiKey", "API KEY", "X-Api-Key", "key", "token",
                                  "access_token", "Authorization", "proxy-authorization", "client_secret",
                                  "password", "passwd", "Cookie", "auth", "x-goog-api-key", "credentials"])
def test_credential_names_in_any_spelling(name):
    assert secret_name(name)


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens", "api_key_env", "base_url", "timeout",
                                  "default_headers", "negative_prompt", "top_k", "structured", "keep_alive"])
def test_ordinary_option_names_are_not_credentials(name):
    assert not secret_name(name)


@pytest.mark.parametrize(("options", "named"), [
    ({"default_headers": {"Authorization": "x"}}, "o.default_headers.Authorization"),
    ({"default_query": {"key": "x"}}, "o.default_query.key"),
    ({"base_url": "http://h:1/v1?api-key=x"}, "o.base_url carries a credential in its query"),
    ({"base_url": "http://u:p@h:1/v1"}, "o.base_url carries user info"),
    ({"clients": [{"headers": {"X-Custom": "Bearer abcdefghijklmnopqrstuvwxyz"}}]}, "o.clients.0.headers.X-Custom"),
    ({"extra": "sk-proj-abcdefghijklmnopqrstuv"}, "o.extra looks like a credential"),
])
def test_a_credential_is_found_at_any_depth_and_named_without_its_value(options, named):
    problem = credential_problem(options, "o")
    assert problem is not None and problem.startswith(named)
    assert "abcdefghijklmnop" not in problem


def test_ordinary_values_pass():
    options = {"base_url": "http://h:1/v1?api-version=2024-06-01", "negative_prompt": "Basic shapes, blurry",
               "max_tokens": 900, "default_headers": {"X-Trace": "on"}}
    assert credential_problem(options, "o") is None


def test_a_tree_is_bounded_in_values_and_depth_counting_aliases_at_each_use():
    shared = ["x"] * 9
    for _ in range(4):
        shared = [shared] * 9  # what a YAML alias bomb loads to: one list, referenced many times
    assert "more than 10,000 values" in tree_problem({"bomb": shared})
    deep: object = "x"
    for _ in range(MAX_TREE_DEPTH):
        deep = [deep]
    assert "nested more than" in tree_problem(deep)
    assert tree_problem({"a": [1, 2, {"b": "c"}]}) is None
