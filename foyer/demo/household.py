"""The demo couple: configuration, fixed lines, provisions, and the rows they produce.

Camille and Hugo rent a flat near Paris. Everything about them is declared once here, in
integer cents and basis points: the loader hands these declarations to the budget
services as their typed inputs (tests/cli/test_demo.py holds them to every rule the API
holds user data to), and `Profile.recurring_rows` derives each month's salaries, direct
debits, card subscriptions and savings transfers from the same declarations, so the
statement's FIXED and PROVISION debits match the configured fixed lines and provisions
to the cent.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from fractions import Fraction

from foyer.domain.vocabulary import Frequency, ProvisionBase, SplitMode
from foyer.money import percent, share_of, split
from foyer.months import add_months, parse_month
from foyer.services.budget import ConfigChanges, NewFixedLine, NewProvision
from foyer.services.transactions import NewRow

#: Bank accounts: the joint one pays the household's charges, each partner has their own.
JOINT, CAMILLE, HUGO = "joint", "camille", "hugo"


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    account: str
    gross_cents: int  # monthly gross income, as the configuration states it
    tax_bp: int  # gross to net, in basis points
    raise_bp: int  # yearly raise, each January
    employer: str
    payday: int  # the salary arrives on this day of every month


@dataclass(frozen=True, slots=True)
class FixedCharge:
    """A fixed line and the direct debit that pays it."""

    label: str
    amount_cents: int
    frequency: Frequency
    split_mode: SplitMode
    line_category: str  # the fixed line's category, and the debit's category parent
    category: str  # the debit's category
    bank_label: str
    day: int
    due_month: int = 1  # quarterly: the first of its four months; annual: its month
    custom_bp: int | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Provision:
    """A savings envelope and the monthly transfer that fills it."""

    name: str
    icon: str
    color: str
    base: ProvisionBase
    percentage_bp: int
    fixed_cents: int
    split_mode: SplitMode
    bank_label: str
    custom_bp: int | None = None
    window: tuple[int, int] | None = None  # (start, end), months relative to the end month
    target_cents: int | None = None
    current_cents: int = 0


MEMBERS = (
    Member("Camille", CAMILLE, 340_000, 1450, 250, "LUMEN CONSEIL SAS", 27),
    Member("Hugo", HUGO, 260_000, 1100, 150, "ATELIERS MOREAU", 28),
)

# fmt: off
# label, cents, frequency, split mode, fixed-line category, debit category, bank label,
# day of the debit[, due month, custom share (bp), active]
_F = FixedCharge
FIXED_CHARGES = (
    _F("Loyer", 115_000, "monthly", "key", "logement", "loyer",
       "PRLV SEPA FONCIA LOYER", 5),
    _F("Électricité EDF", 7_800, "monthly", "key", "logement", "énergie",
       "PRLV SEPA EDF", 10),
    _F("Internet Free", 3_999, "monthly", "equal", "télécom", "internet",
       "PRLV SEPA FREE TELECOM", 8),
    _F("Assurance auto", 13_500, "quarterly", "member2", "transport", "assurance",
       "PRLV SEPA MAIF AUTO", 12),
    _F("Assurance habitation", 21_600, "annual", "key", "logement", "assurance",
       "PRLV SEPA MAIF HABITATION", 12, 9),
    _F("Carte bancaire", 13_400, "annual", "equal", "banque", "frais bancaires",
       "COTISATION CARTE VISA PREMIER", 3, 3),
    _F("Mutuelle", 9_500, "monthly", "custom", "santé", "mutuelle",
       "PRLV SEPA HARMONIE MUTUELLE", 6, 1, 6000),
    _F("Téléphone Camille", 1_599, "monthly", "member1", "télécom", "mobile",
       "PRLV SEPA BOUYGUES TELECOM", 15),
    _F("Téléphone Hugo", 1_999, "monthly", "member2", "télécom", "mobile",
       "PRLV SEPA SFR", 18),
    _F("Navigo Camille", 8_880, "monthly", "member1", "transport", "transports en commun",
       "PRLV SEPA COMUTITRES NAVIGO", 4),
    _F("Netflix", 1_349, "monthly", "equal", "loisirs", "abonnements",
       "PRLV SEPA NETFLIX.COM", 21),
    # Cancelled last year: still configured but inactive, so never debited.
    _F("Salle de sport", 3_500, "monthly", "member1", "loisirs", "sport",
       "PRLV SEPA BASIC FIT", 2, 1, None, False),
)

# name, icon, color, base, percentage (bp), fixed (cents), split mode, bank label
# [, custom share (bp), window, target (cents), current (cents)]
_P = Provision
PROVISIONS = (
    _P("Vacances", "🏖️", "#0EA5E9", "total", 400, 0, "key",
       "VIR SEPA LIVRET A VACANCES", target_cents=300_000, current_cents=124_000),
    _P("Voiture", "🚗", "#F97316", "fixed", 0, 15_000, "equal",
       "VIR SEPA LIVRET VOITURE", target_cents=800_000, current_cents=215_000),
    _P("Épargne Camille", "💶", "#22C55E", "member1", 1000, 0, "member1",
       "VIR SEPA LDDS CAMILLE"),
    _P("Épargne Hugo", "💷", "#16A34A", "member2", 800, 0, "member2",
       "VIR SEPA LDDS HUGO"),
    _P("Cadeaux de Noël", "🎁", "#DC2626", "fixed", 0, 6_000, "custom",
       "VIR SEPA LIVRET CADEAUX", 5500, (-2, 1)),
    _P("Travaux cuisine", "🔨", "#A855F7", "total", 250, 0, "key",
       "VIR SEPA LIVRET TRAVAUX", None, (-18, -6), 500_000, 500_000),
)
# fmt: on

#: Card subscriptions, charged the same day each month: (label, cents, day, account).
SUBSCRIPTIONS = (("CB SPOTIFY", 1_799, 9, CAMILLE), ("CB APPLE.COM/BILL", 299, 14, HUGO))

#: What the couple moves to the joint account every month, split by their key.
JOINT_CONTRIBUTION_CENTS = 360_000


def config_changes() -> ConfigChanges:
    """The household configuration, as the budget service takes it."""
    first, second = MEMBERS
    return ConfigChanges(
        member1_name=first.name,
        member2_name=second.name,
        income1_cents=first.gross_cents,
        income2_cents=second.gross_cents,
        tax_rate1_bp=first.tax_bp,
        tax_rate2_bp=second.tax_bp,
        split_mode="income",
        manual_share1_bp=5000,
        buffer_cents=30_000,  # the joint account keeps 300 € aside
    )


def new_fixed_lines() -> list[NewFixedLine]:
    """The fixed lines, as the budget service takes them."""
    return [
        NewFixedLine(
            label=c.label,
            amount_cents=c.amount_cents,
            frequency=c.frequency,
            split_mode=c.split_mode,
            custom_share1_bp=c.custom_bp,
            category=c.line_category,
            active=c.active,
        )
        for c in FIXED_CHARGES
    ]


def new_provisions(end_month: str) -> list[NewProvision]:
    """The provisions, as the budget service takes them, windows placed around `end_month`."""
    items = []
    for order, p in enumerate(PROVISIONS, start=1):
        start = add_months(end_month, p.window[0]) if p.window else None
        end = add_months(end_month, p.window[1]) if p.window else None
        items.append(
            NewProvision(
                name=p.name,
                icon=p.icon,
                color=p.color,
                display_order=order,
                base=p.base,
                percentage_bp=p.percentage_bp,
                fixed_amount_cents=p.fixed_cents,
                split_mode=p.split_mode,
                custom_share1_bp=p.custom_bp,
                is_active=True,
                start_month=start,
                end_month=end,
                target_amount_cents=p.target_cents,
                current_amount_cents=p.current_cents,
            )
        )
    return items


def net_cents(member: Member) -> int:
    """The configured net income: gross less the tax rate, as the key computes it."""
    return share_of(member.gross_cents, percent(10_000 - member.tax_bp))


def salary_cents(member: Member, *, years_from_now: int) -> int:
    """The salary credited `years_from_now` years from the configuration's year: its net,
    raised each January (compounded; held flat beyond eight years either way)."""
    years = max(-8, min(8, years_from_now))
    return share_of(net_cents(member), Fraction(10_000 + member.raise_bp, 10_000) ** years)


def provision_monthly_cents(p: Provision) -> int:
    """SPEC §4's monthly amount, on the configured gross incomes."""
    if p.base == "fixed":
        return p.fixed_cents
    first, second = MEMBERS
    base = {"total": first.gross_cents + second.gross_cents}
    base |= {"member1": first.gross_cents, "member2": second.gross_cents}
    return share_of(base[p.base], percent(p.percentage_bp))


def _due(charge: FixedCharge, month_number: int) -> bool:
    if not charge.active:
        return False
    if charge.frequency == "quarterly":
        return (month_number - charge.due_month) % 3 == 0
    return charge.frequency == "monthly" or month_number == charge.due_month


def _paid_from(split_mode: str) -> str:
    # A partner's own line is paid from their own account, shared ones from the joint one.
    return {"member1": CAMILLE, "member2": HUGO}.get(split_mode, JOINT)


@dataclass(frozen=True, slots=True)
class Profile:
    """The couple as of `end_month`: the configuration states that year's salaries, and
    the provisions' windows sit around that month."""

    end_month: str

    def provision_counted(self, p: Provision, month: str) -> bool:
        if p.window is None:
            return True
        first, last = (add_months(self.end_month, offset) for offset in p.window)
        return first <= month <= last

    def recurring_rows(self, month: str, created_at: dt.datetime) -> list[NewRow]:
        """Salaries, transfers to the joint account, direct debits and savings transfers
        of `month`: the rows every month has, however many card payments it holds."""
        year, number = parse_month(month)
        after = dt.date(year + number // 12, number % 12 + 1, 1)
        last_day = (after - dt.timedelta(days=1)).day
        years = year - parse_month(self.end_month)[0]
        rows: list[NewRow] = []

        def add(day: int, *fields: *tuple[str, int, str, str, str, bool, str]) -> None:
            # fields: label, cents, category, parent, account, exclude, expense type
            date = dt.date(year, number, min(day, last_day))
            rows.append(NewRow(date, month, *fields, None, created_at))

        for m in MEMBERS:
            salary = salary_cents(m, years_from_now=years)
            label = f"VIR SEPA SALAIRE {m.employer}"
            add(m.payday, label, salary, "salaire", "revenus", m.account, False, "VARIABLE")
        # Both sides of each partner's transfer to the joint account, excluded: money
        # moving between the couple's own accounts is neither income nor spending.
        key = Fraction(net_cents(MEMBERS[0]), sum(net_cents(m) for m in MEMBERS))
        for m, cents in zip(MEMBERS, split(JOINT_CONTRIBUTION_CENTS, key), strict=True):
            internal = ("virement interne", "virements")
            add(1, "VIR SEPA VERS COMPTE JOINT", -cents, *internal, m.account, True, "VARIABLE")
            add(1, f"VIR SEPA RECU {m.name.upper()}", cents, *internal, JOINT, True, "VARIABLE")
        for label, cents, day, account in SUBSCRIPTIONS:
            dated = f"{label} {min(day, last_day):02d}/{number:02d}"
            add(day, dated, -cents, "streaming", "loisirs", account, False, "VARIABLE")
        for c in FIXED_CHARGES:
            if _due(c, number):
                debit = (c.bank_label, -c.amount_cents, c.category, c.line_category)
                add(c.day, *debit, _paid_from(c.split_mode), False, "FIXED")
        for p in PROVISIONS:
            if self.provision_counted(p, month):
                debit = (p.bank_label, -provision_monthly_cents(p), p.name.lower(), "épargne")
                add(7, *debit, JOINT, False, "PROVISION")
        return rows


@functools.lru_cache(maxsize=64)
def profile(end_month: str) -> Profile:
    """The couple as of `end_month` (cached: the generator asks once per month)."""
    return Profile(end_month)
