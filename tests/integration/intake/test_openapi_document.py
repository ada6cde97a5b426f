"""The OpenAPI document and the app's routes hold each other: every
operation of the JSON API (and of ops' JSON and CSV endpoints) is
documented, grouped and typed, and the document names nothing the app
does not answer."""

from __future__ import annotations

import re

from tests.fixtures_intake import user

# The document's own pages are not operations of the API.
NOT_OPERATIONS = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/assets/<name>"}
METHODS = {"get", "post", "put", "delete", "patch"}


def app_operations(app) -> set[tuple[str, str]]:
    """(method, rule as a regular expression) of every route of the JSON
    API and of ops' JSON and CSV endpoints."""
    out = set()
    for rule in app.url_map.iter_rules():
        if (
            not rule.rule.startswith(("/api/v1/", "/ops/api/", "/ops/export/"))
            or rule.rule in NOT_OPERATIONS
        ):
            continue
        pattern = "^" + re.sub(r"<[^>]+>", "[^/]+", rule.rule) + "$"
        for method in rule.methods & {m.upper() for m in METHODS}:
            out.add((method.lower(), pattern))
    return out


def documented(client) -> set[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json
    return {
        (method, re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in spec["paths"].items()
        for method in operations
        if method in METHODS
    }


def test_every_route_of_the_api_is_documented_and_nothing_else(app, client):
    routes, document = app_operations(app), documented(client)
    undocumented = {
        (method, pattern)
        for method, pattern in routes
        if not any(m == method and re.match(pattern, p) for m, p in document)
    }
    unanswered = {
        (method, path)
        for method, path in document
        if not any(m == method and re.match(pattern, path) for m, pattern in routes)
    }
    assert undocumented == set() and unanswered == set()


def test_each_operation_sits_in_its_group_and_the_answers_have_real_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    groups = [t["name"] for t in spec["tags"]]
    assert groups == [
        "requests",
        "hosts",
        "invitations",
        "calendars",
        "me",
        "fields",
        "ops",
    ]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert len(op["tags"]) == 1 and op["tags"][0] in groups, (method, path)
    fields = spec["paths"]["/api/v1/fields"]["get"]["responses"]["200"]
    assert fields["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/Field"
    }
    assert set(spec["components"]["schemas"]["Field"]["properties"]) == {
        "slug", "label", "parent",
    }  # fmt: skip
    assert "/api/v1/hosts" in spec["paths"]
    for path, method, schema in (
        ("/api/v1/requests", "post", "Request"),
        ("/api/v1/requests/{id}", "get", "Request"),
        ("/api/v1/requests", "get", "Requests"),
        ("/api/v1/hosts/me", "get", "HostProfile"),
        ("/api/v1/hosts", "get", "HostDirectory"),
    ):
        answers = spec["paths"][path][method]["responses"]
        ok = next(v for k, v in answers.items() if k.startswith("2"))
        assert ok["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{schema}"
        }, (method, path)


def test_the_reference_page_says_its_title_once_in_the_readers_language(client):
    page = client.get("/api/v1/docs", headers=user("a@example.com", lang="fr"))
    text = page.get_data(as_text=True)
    assert text.count("<h1") == 1 and "<h1>Référence de l'API</h1>" in text


def test_a_control_character_in_the_directorys_query_is_refused_not_a_5xx(client):
    answer = client.get("/api/v1/hosts?q=%00", headers=user("a@example.com"))
    assert answer.status_code == 422 and "q" in answer.json["errors"]
    assert client.get("/api/v1/hosts?q=", headers=user("a@example.com")).json == {
        "hosts": []
    }


def test_an_unknown_token_on_a_page_gets_the_401_page_not_a_5xx(client):
    answer = client.get(
        "/ops/export/matches.csv", headers={"Authorization": "Bearer not-ours"}
    )
    assert answer.status_code == 401 and answer.mimetype == "text/html"


def test_the_reference_speaks_the_readers_language(client):
    french = client.get("/api/v1/openapi.json", headers={"Accept-Language": "fr"}).json
    assert french["info"]["title"] == "API des entretiens réseau"
    post = french["paths"]["/api/v1/requests"]["post"]
    assert post["summary"] == "Demander un entretien"
    assert post["responses"]["401"]["description"] == "Aucune identité"
    english = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"}).json
    assert (
        english["paths"]["/api/v1/requests"]["post"]["summary"]
        == "Ask for an introduction"
    )
    page = client.get("/api/v1/docs?lang=fr").get_data(as_text=True)
    assert "API des entretiens réseau" in page
