"""Saved mappings (SPEC §8): a mapping or dialect the household confirms is kept under the
file's header signature and proposed first for the next file with that header — for that
household only."""

from __future__ import annotations

from tests.factories import Api
from tests.imports.test_import_api import commit, upload

HEADER = "Date;Libelle;Montant;Frais\n"


def statement(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def test_a_confirmed_mapping_is_proposed_for_the_next_file_with_that_header(api: Api) -> None:
    first = upload(api, statement("05/02/2024;ABONNEMENT;-10,00;-1,00"))
    assert first["mapping"]["amount"] == "Montant"  # what detection alone picks
    mapping = {"date": "Date", "label": "Libelle", "amount": "Frais"}
    assert api.patch(f"/imports/{first['id']}", {"mapping": mapping}).status_code == 200

    second = upload(api, statement("06/03/2024;ABONNEMENT;-10,00;-2,50"))

    assert second["mapping"] == mapping
    assert second["rows"][0]["amount"] == -2.5
    assert commit(api, second["id"])["inserted"] == 1


def test_a_confirmed_dialect_is_proposed_too(api: Api) -> None:
    first = upload(api, statement("03/04/2024;ABONNEMENT;-10,00;0"))
    dialect = {**first["dialect"], "date_format": "%m/%d/%Y"}
    assert api.patch(f"/imports/{first['id']}", {"dialect": dialect}).status_code == 200

    second = upload(api, statement("03/05/2024;ABONNEMENT;-10,00;0"))

    assert second["dialect"] == dialect
    assert second["rows"][0]["date"] == "2024-03-05"


def test_the_header_signature_ignores_case_and_spaces_but_not_names(api: Api) -> None:
    first = upload(api, statement("05/02/2024;ABONNEMENT;-10,00;-1,00"))
    mapping = {"date": "Date", "label": "Libelle", "amount": "Frais"}
    api.patch(f"/imports/{first['id']}", {"mapping": mapping})

    shouted = upload(api, b"DATE ; LIBELLE;montant;FRAIS\n05/02/2024;X;-10,00;-1,00\n")
    other = upload(api, b"Date;Libelle;Montant;Commission\n05/02/2024;X;-10,00;-1,00\n")

    assert shouted["mapping"]["amount"] == "FRAIS"
    assert other["mapping"]["amount"] == "Montant"


def test_a_households_saved_mapping_is_its_own(api: Api, other_api: Api) -> None:
    first = upload(api, statement("05/02/2024;ABONNEMENT;-10,00;-1,00"))
    mapping = {"date": "Date", "label": "Libelle", "amount": "Frais"}
    api.patch(f"/imports/{first['id']}", {"mapping": mapping})

    theirs = upload(other_api, statement("05/02/2024;ABONNEMENT;-10,00;-1,00"))

    assert theirs["mapping"]["amount"] == "Montant"
