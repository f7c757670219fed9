"""The emulator's pieces that need no running service: routes and env files."""

from __future__ import annotations

import pytest

from django_lambda_bridge.local import api_routes, emulator


def test_env_files_must_have_sams_shape(tmp_path):
    path = tmp_path / "env.json"
    path.write_text('{"Fn": ["not", "a", "mapping"]}')
    with pytest.raises(emulator.EmulatorError, match="must map 'Parameters' or function ids"):
        emulator.read_env_file(path)


@pytest.mark.parametrize(
    ("method", "path", "chosen"),
    [
        ("GET", "/items/7", "one"),
        ("GET", "/items", "list"),
        ("POST", "/items", "any"),
        ("GET", "/items/7/parts/1", "greedy"),
        ("GET", "/", "root"),
        ("GET", "/other", "greedy-root"),
    ],
)
def test_routes_pick_the_most_specific(method, path, chosen):
    targets = [
        api_routes.Target("greedy-root", "/{proxy+}", "ANY"),
        api_routes.Target("root", "/", "ANY"),
        api_routes.Target("greedy", "/items/{proxy+}", "GET"),
        api_routes.Target("one", "/items/{id}", "GET"),
        api_routes.Target("list", "/items", "GET"),
        api_routes.Target("any", "/items", "ANY"),
    ]
    assert api_routes.pick(targets, method, path).function == chosen


def test_no_route_is_none():
    assert api_routes.pick([api_routes.Target("f", "/a", "GET")], "GET", "/b") is None
    assert api_routes.pick([api_routes.Target("f", "/a", "GET")], "POST", "/a") is None
