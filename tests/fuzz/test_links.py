"""The OpenAPI links (foyer.api.links) name operations that exist, with their parameters."""

from __future__ import annotations

import copy

import pytest
from fastapi import FastAPI

from foyer.api.links import LINKS, PREFIX, Link, add_links


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_link_is_in_the_served_schema(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for link in LINKS:
        method, path = link.source
        links = paths[PREFIX + path][method]["responses"][link.status]["links"]
        target_method, target_path = link.target
        target = paths[PREFIX + target_path][target_method]
        declared = links[target["operationId"]]
        names = {parameter["name"] for parameter in target.get("parameters", [])}
        assert set(declared["parameters"]) <= names, link


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_link_to_no_route_is_refused(app: FastAPI) -> None:
    schema = copy.deepcopy(app.openapi())
    nowhere = Link(
        ("post", "/fixed-lines"), "201", ("get", "/nowhere/{id}"), (("id", "$response.body#/id"),)
    )
    with pytest.raises(LookupError, match="which no route serves"):
        add_links(schema, (nowhere,))
