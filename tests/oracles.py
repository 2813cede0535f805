"""Independent recomputations (oracles): what foyer should answer, in plain Python.

Each is written from the SPEC, in integers, Fractions or Decimals, without foyer's domain
or read code (`foyer.money.round_half_up` aside, itself held to `half_up` by the money
properties), so a rule that drifts shows up as a counterexample:
- `half_up`, `income_key`, `item_share`: the money rules (SPEC §1–§4);
- `summary`, `hierarchy`, `trends`, `analytics`: the dashboard views of a household
  (SPEC §2–§6), from the inputs a test wrote (drawn in cents and basis points);
- `listing_order`, `matching`: the transaction listing's order and filters (SPEC §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from foyer.money import round_half_up
from tests.helpers import cents

JSON = dict[str, Any]

# -- money rules ------------------------------------------------------------------------------


def half_up(numerator: int, denominator: int = 1) -> int:
    """floor(n/d + 1/2) for n >= 0, d > 0, in integers only."""
    return (2 * numerator + denominator) // (2 * denominator)


def income_key(income1: int, income2: int, tax_rate1_bp: int, tax_rate2_bp: int) -> Fraction:
    """Member 1's share of the net incomes; 1/2 when there is no net income at all."""
    net1 = Fraction(income1 * (10_000 - tax_rate1_bp), 10_000)
    net2 = Fraction(income2 * (10_000 - tax_rate2_bp), 10_000)
    return Fraction(1, 2) if net1 + net2 == 0 else net1 / (net1 + net2)


def item_share(split_mode: str, custom_share1_bp: int | None, key: Fraction) -> Fraction:
    """Member 1's share of a fixed line or provision."""
    if split_mode == "custom":
        assert custom_share1_bp is not None
        return Fraction(custom_share1_bp, 10_000)
    return {
        "key": key,
        "equal": Fraction(1, 2),
        "member1": Fraction(1),
        "member2": Fraction(0),
    }[split_mode]


# -- dashboard views --------------------------------------------------------------------------
#
# Inputs as the property tests draw them: a config (`ZERO_CONFIG`'s fields, money in cents,
# rates in basis points), fixed lines and provisions (with the `id` the API gave them; a
# provision's window as `(start_month, end_month)`), transactions (a `date`, `amount` in
# cents, category, parent, exclude, expense type).

ZERO_CONFIG = {
    "member1_name": "",
    "member2_name": "",
    "income1": 0,
    "income2": 0,
    "tax_rate1": 0,
    "tax_rate2": 0,
    "split_mode": "income",
    "manual_share1": 0,
}


def money(value: int) -> float:
    return value / 100


def ratio4(value: Fraction) -> float:
    return round_half_up(value * 10_000) / 10_000


def key(cfg: JSON) -> Fraction:
    if cfg["split_mode"] == "manual":
        return Fraction(cfg["manual_share1"], 10_000)
    return income_key(cfg["income1"], cfg["income2"], cfg["tax_rate1"], cfg["tax_rate2"])


def split(amount: int, share: Fraction) -> tuple[int, int, int]:
    member1 = round_half_up(amount * share)
    return amount, member1, amount - member1


def provision_monthly(p: JSON, cfg: JSON) -> int:
    income = {
        "total": cfg["income1"] + cfg["income2"],
        "member1": cfg["income1"],
        "member2": cfg["income2"],
    }
    if p["base"] == "fixed":
        return int(p["fixed_amount"])
    return round_half_up(Fraction(income[p["base"]] * p["percentage"], 10_000))


def provision_counted(p: JSON, month: str) -> bool:
    start, end = p["window"]
    return p["is_active"] and (start is None or start <= month) and (end is None or month <= end)


def block_numbers(parts: list[tuple[int, int, int]]) -> JSON:
    return {
        "total": money(sum(p[0] for p in parts)),
        "member1": money(sum(p[1] for p in parts)),
        "member2": money(sum(p[2] for p in parts)),
        "count": len(parts),
    }


def summary(month: str, cfg: JSON, lines: list[JSON], provs: list[JSON], txs: list[JSON]) -> JSON:
    """GET /dashboard/summary of `month`."""
    r1 = key(cfg)
    rows = [t for t in txs if t["date"].strftime("%Y-%m") == month]
    kept = [t for t in rows if not t["exclude"]]

    def debits(kind: str) -> list[int]:
        return [-t["amount"] for t in kept if t["amount"] < 0 and t["expense_type"] == kind]

    variable = debits("VARIABLE")
    v = split(sum(variable), r1)

    active_lines = sorted(
        (ln for ln in lines if ln["active"]), key=lambda ln: (ln["label"], ln["id"])
    )
    line_parts, line_items = [], []
    for ln in active_lines:
        period = {"monthly": 1, "quarterly": 3, "annual": 12}[ln["frequency"]]
        share = item_share(ln["split_mode"], ln["custom_share1"], r1)
        part = split(round_half_up(Fraction(ln["amount"], period)), share)
        line_parts.append(part)
        line_items.append(
            {"id": ln["id"], "label": ln["label"], "category": ln["category"],
             "monthly": money(part[0]), "member1": money(part[1]), "member2": money(part[2])}
        )  # fmt: skip

    counted = sorted(
        (p for p in provs if provision_counted(p, month)),
        key=lambda p: (p["display_order"], p["name"], p["id"]),
    )
    prov_parts, prov_items = [], []
    for p in counted:
        share = item_share(p["split_mode"], p["custom_share1"], r1)
        part = split(provision_monthly(p, cfg), share)
        prov_parts.append(part)
        target = p["target_amount"]
        prov_items.append(
            {"id": p["id"], "name": p["name"], "icon": p["icon"], "color": p["color"].upper(),
             "monthly": money(part[0]), "member1": money(part[1]), "member2": money(part[2]),
             "progress": None if target is None
             else ratio4(Fraction(p["current_amount"], target))}
        )  # fmt: skip

    member1 = v[1] + sum(p[1] for p in line_parts) + sum(p[1] for p in prov_parts)
    member2 = v[2] + sum(p[2] for p in line_parts) + sum(p[2] for p in prov_parts)
    return {
        "month": month,
        "members": {"member1": cfg["member1_name"], "member2": cfg["member2_name"]},
        "key": {"member1": ratio4(r1), "member2": ratio4(1 - r1)},
        "variable": {**block_numbers([v]), "count": len(variable)},
        "fixed": {**block_numbers(line_parts), "lines": line_items},
        "provisions": {**block_numbers(prov_parts), "items": prov_items},
        "totals": {
            "member1": money(member1),
            "member2": money(member2),
            "grand_total": money(member1 + member2),
        },
        "actuals": {
            "income": money(sum(t["amount"] for t in kept if t["amount"] > 0)),
            "fixed_debits": money(sum(debits("FIXED"))),
            "provision_debits": money(sum(debits("PROVISION"))),
            "excluded": money(sum(abs(t["amount"]) for t in rows if t["exclude"])),
            "transactions": len(rows),
        },
    }


def hierarchy(month: str, txs: list[JSON]) -> list[JSON]:
    """GET /transactions/hierarchy of `month`."""
    groups: dict[str, dict[str, list[int]]] = {}
    for t in txs:
        if t["date"].strftime("%Y-%m") == month and not t["exclude"] and t["amount"] < 0:
            cats = groups.setdefault(t["category_parent"], {})
            cats.setdefault(t["category"], []).append(-t["amount"])
    parents = []
    for parent, cats in groups.items():
        categories = sorted(
            ((sum(v), len(v), name) for name, v in cats.items()), key=lambda c: (-c[0], c[2])
        )
        parents.append(
            (sum(c[0] for c in categories), sum(c[1] for c in categories), parent, categories)
        )
    parents.sort(key=lambda p: (-p[0], p[2]))
    return [
        {"category_parent": parent, "total": money(total), "count": count,
         "categories": [{"category": name, "total": money(tot), "count": n}
                        for tot, n, name in categories]}
        for total, count, parent, categories in parents
    ]  # fmt: skip


def trends(months: Sequence[str], txs: list[JSON]) -> JSON:
    """GET /dashboard/trends over `months` (consecutive, first to last)."""
    out = []
    for month in months:
        of_month = summary(month, {**ZERO_CONFIG}, [], [], txs)
        variable = cents(of_month["variable"]["total"])
        actuals = {k: cents(v) for k, v in of_month["actuals"].items() if k != "transactions"}
        net = actuals["income"] - variable - actuals["fixed_debits"] - actuals["provision_debits"]
        out.append(
            {"month": month, "variable": money(variable),
             "fixed_debits": money(actuals["fixed_debits"]),
             "provision_debits": money(actuals["provision_debits"]),
             "income": money(actuals["income"]), "net": money(net),
             "count": of_month["actuals"]["transactions"]}
        )  # fmt: skip
    return {"months": out}


def analytics(month: str, txs: list[JSON]) -> JSON:
    """GET /analytics/categories of `month`, every expense type."""
    groups: dict[tuple[str, str], list[int]] = {}
    for t in txs:
        if t["date"].strftime("%Y-%m") == month and not t["exclude"] and t["amount"] < 0:
            groups.setdefault((t["category"], t["expense_type"]), []).append(-t["amount"])
    ranked = sorted(groups.items(), key=lambda g: (-sum(g[1]), g[0]))
    return {
        "month": month,
        "items": [
            {"category": category, "expense_type": kind, "count": len(v), "total": money(sum(v)),
             "avg": money(round_half_up(Fraction(sum(v), len(v)))), "min": money(min(v)),
             "max": money(max(v))}
            for (category, kind), v in ranked
        ],
    }  # fmt: skip


# -- the transaction listing ------------------------------------------------------------------
#
# Rows as a test posted them (`make_transaction` bodies: money as JSON numbers), by id.


def listing_order(rows: dict[int, JSON], sort: str) -> list[int]:
    """Ids in `sort` order with ties broken on id: ascending for *_asc, descending for *_desc."""
    column, direction = sort.split("_")

    def sort_key(row_id: int) -> tuple[Any, int]:
        row = rows[row_id]
        value = row["date"] if column == "date" else cents(row["amount"])
        return value, row_id

    return sorted(rows, key=sort_key, reverse=direction == "desc")


def matching(rows: dict[int, JSON], **where: Any) -> set[int]:
    """Ids of the rows every filter keeps (exact values; `month` and `tag` as the API reads
    them)."""

    def keep(row: JSON) -> bool:
        for name, value in where.items():
            if name == "month" and row["date"][:7] != value:
                return False
            if name == "tag" and value not in row["tags"]:
                return False
            if name not in ("month", "tag") and row[name] != value:
                return False
        return True

    return {tid for tid, row in rows.items() if keep(row)}
