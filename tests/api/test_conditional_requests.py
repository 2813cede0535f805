"""Conditional requests and encodings on the cached views: the ETag changes exactly when the
view's data does, If-None-Match gets a 304 without a body, large bodies come gzipped with
their own ETag, every answer says `Vary: Accept-Encoding` once.
"""

from __future__ import annotations

from tests.factories import Api, make_transaction


def test_etag_changes_exactly_when_the_views_data_does(api: Api) -> None:
    api.create_transactions(make_transaction(date="2025-06-03"))

    def etag() -> str:
        response = api.get("/dashboard/summary", month="2025-06")
        assert response.headers["Cache-Control"] == "private, no-cache"
        return str(response.headers["ETag"])

    first = etag()
    assert first.startswith('"')
    assert etag() == first
    api.create_transactions(make_transaction(date="2025-05-20"))  # another month
    assert etag() == first
    api.create_transactions(make_transaction(date="2025-06-21"))  # this month
    second = etag()
    assert second != first
    assert api.put("/config", {"income2": 1234}).status_code == 200  # the key changes
    assert etag() not in (first, second)


def test_if_none_match_gets_304_without_a_body(api: Api) -> None:
    api.create_transactions(make_transaction())
    response = api.get("/transactions/hierarchy", month="2025-06")
    if_none_match = f'W/{response.headers["ETag"]}, "other"'
    again = api.get(
        "/transactions/hierarchy", month="2025-06", headers={"If-None-Match": if_none_match}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == response.headers["ETag"]


def test_large_bodies_come_gzipped_with_their_own_etag(api: Api) -> None:
    api.create_transactions(
        *(make_transaction(category=f"cat{i}", category_parent=f"p{i % 4}") for i in range(40))
    )
    plain = api.get(
        "/transactions/hierarchy", month="2025-06", headers={"Accept-Encoding": "identity"}
    )
    zipped = api.get(
        "/transactions/hierarchy", month="2025-06", headers={"Accept-Encoding": "gzip"}
    )
    assert len(plain.content) > 1024
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # a strong ETag per encoding
    assert zipped.json() == plain.json()  # the client decoded it


def test_every_answer_says_vary_accept_encoding_exactly_once(api: Api) -> None:
    api.create_transactions(
        *(make_transaction(category=f"cat{i}", category_parent=f"p{i % 4}") for i in range(40))
    )
    answers = []
    for path, encoding in (
        ("/transactions/hierarchy", "identity"),  # large, uncompressed
        ("/transactions/hierarchy", "gzip"),  # large, compressed
        ("/dashboard/drill-down/none", "gzip"),  # small
    ):
        response = api.get(path, month="2025-06", headers={"Accept-Encoding": encoding})
        answers.append(response)
        headers = {"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]}
        revalidated = api.get(path, month="2025-06", headers=headers)
        assert revalidated.status_code == 304
        answers.append(revalidated)
    for response in answers:
        assert response.headers.get_list("vary") == ["Accept-Encoding"], response.headers


def test_small_bodies_are_not_compressed(api: Api) -> None:
    response = api.get(
        "/dashboard/drill-down/none", month="2025-06", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def test_trends_change_key_only_for_writes_inside_their_range(api: Api) -> None:
    def etag() -> str:
        response = api.get("/dashboard/trends", **{"from": "2025-01", "to": "2025-06"})
        assert response.status_code == 200
        return str(response.headers["ETag"])

    first = etag()
    api.create_transactions(make_transaction(date="2025-07-02"))  # after the range
    api.create_transactions(make_transaction(date="2024-12-31"))  # before it
    assert etag() == first
    api.create_transactions(make_transaction(date="2025-01-01"))  # its first month
    assert etag() != first
