"""Where the demo couple spends: merchants, how often, how much, and in which season.

Each merchant is a category under a category parent, the labels its card payments (or
credits) carry on the statement, a price range in cents with the shape of its
distribution, how many times a month the couple pays there, and how that changes with
the calendar (December gifts, summer holidays, January sales). The generator draws
amounts from a per-merchant table of 1,024 integer amounts built here once: an index
drawn with `getrandbits(10)` picks an amount, so no money is ever computed in floats
and a draw costs one C call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from foyer.demo.household import CAMILLE, HUGO, JOINT

#: Size of each merchant's amount table; a 10-bit random index picks an entry.
AMOUNT_BITS = 10
#: A merchant's labels and accounts are padded to 8 and 4 entries: picked by 3 and 2 bits.
LABEL_BITS, ACCOUNT_BITS = 3, 2

# Who pays: 4 entries, picked uniformly.
SHARED = (JOINT, JOINT, CAMILLE, HUGO)  # mostly the joint card
HOUSEHOLD = (JOINT, JOINT, JOINT, JOINT)  # always the joint card
PERSONAL = (CAMILLE, HUGO, CAMILLE, HUGO)  # each on their own card

#: Months of the summer holidays: rows of holiday-minded merchants get the tag "vacances".
SUMMER = (7, 8)


@dataclass(frozen=True, slots=True)
class Merchant:
    parent: str
    category: str
    labels: tuple[str, ...]  # statement labels; "CB …" ones get the card date " DD/MM"
    low_cents: int  # signed like the row: debits negative, credits positive
    high_cents: int
    per_month: int  # how many times a month, in hundredths (150 = 1.5 a month)
    skew: int = 1  # 1 uniform; 2 and 3 favour small amounts (mean low + span/(skew+1))
    step: int = 1  # prices end on multiples of this many cents
    season: dict[int, int] = field(default_factory=dict)  # month -> % of per_month
    only: tuple[int, ...] = ()  # if set, never in other months
    tags: tuple[str, ...] = ()
    accounts: tuple[str, ...] = SHARED
    holiday: bool = False  # tagged "vacances" in summer

    @property
    def dated(self) -> bool:
        # Card payments and withdrawals show the card date; transfers do not.
        return not self.labels[0].startswith("VIR ")

    def weight(self, month_number: int) -> int:
        if self.only and month_number not in self.only:
            return 0
        return self.per_month * self.season.get(month_number, 100)


def amount_table(m: Merchant) -> tuple[int, ...]:
    """1,024 amounts in cents from low to high, spaced by the merchant's shape.

    Entry i is low + span * (i / 1023) ** skew, computed in integers and rounded to the
    merchant's price step (within the range): a uniform index gives the distribution.
    """
    size = 1 << AMOUNT_BITS
    top = (size - 1) ** m.skew
    low, span = abs(m.low_cents), abs(m.high_cents) - abs(m.low_cents)
    sign = -1 if m.low_cents < 0 else 1
    table = []
    for i in range(size):
        cents = low + span * i**m.skew // top
        rounded = (cents + m.step // 2) // m.step * m.step
        table.append(sign * min(low + span, max(low, rounded)))
    return tuple(table)


def _pad(values: tuple[str, ...], size: int) -> tuple[str, ...]:
    """Repeat `values` to `size` entries, so a fixed number of random bits picks one."""
    return tuple(values[i % len(values)] for i in range(size))


def labels_of(m: Merchant) -> tuple[str, ...]:
    return _pad(m.labels, 1 << LABEL_BITS)


def accounts_of(m: Merchant) -> tuple[str, ...]:
    return _pad(m.accounts, 1 << ACCOUNT_BITS)


# fmt: off
M = Merchant
# Amounts in cents (debits negative); per_month in hundredths of a payment. At the default
# size (~110 payments a month) these add up to ~1,700 € of variable spending in an
# ordinary month, about a third of the couple's net income.
MERCHANTS = (
    # alimentation: a weekly shop, small top-ups on the way home, the bakery most days
    M("alimentation", "courses",
      ("CB CARREFOUR MARKET", "CB MONOPRIX", "CB LIDL", "CB FRANPRIX"),
      -1_200, -11_000, 800, skew=2, season={8: 40, 12: 110}, tags=("courses",),
      accounts=HOUSEHOLD),
    M("alimentation", "courses", ("CB CARREFOUR CITY", "CB MONOP"), -300, -2_500, 600,
      skew=2, season={8: 50}, tags=("courses",), accounts=SHARED),
    M("alimentation", "courses", ("CB PICARD",), -1_200, -6_000, 100, tags=("courses",),
      accounts=HOUSEHOLD),
    M("alimentation", "boulangerie", ("CB BOULANGERIE DU MARCHE", "CB MAISON KAYSER"),
      -110, -1_200, 2_000, skew=3, step=10),
    M("alimentation", "marché", ("CB PRIMEUR DES ALLIES", "CB FROMAGERIE DU MARCHE"),
      -800, -4_000, 150, season={8: 40}),
    # restaurants: coffees and lunches on work days, dinners out at weekends
    M("restaurants", "café", ("CB CAFE DES SPORTS", "CB COLUMBUS CAFE", "CB STARBUCKS"),
      -200, -500, 2_200, step=10, accounts=PERSONAL),
    M("restaurants", "café", ("CB SELECTA",), -80, -250, 800, step=10, season={8: 20},
      tags=("travail",), accounts=PERSONAL),
    M("restaurants", "déjeuner", ("CB PRET A MANGER", "CB POKAWA", "CB COJEAN"),
      -850, -1_600, 1_000, step=10, season={8: 20, 12: 70}, tags=("travail",),
      accounts=PERSONAL),
    M("restaurants", "restaurant",
      ("CB LE PETIT BISTROT", "CB SUSHI SHOP", "CB PIZZERIA DA NELLO", "CB BRASSERIE LE ZINC"),
      -1_800, -9_500, 250, skew=2, step=10, season={7: 150, 8: 140, 12: 150},
      tags=("sortie",), holiday=True),
    M("restaurants", "livraison", ("CB UBER EATS", "CB DELIVEROO"), -1_500, -4_500, 100),
    M("restaurants", "bar", ("CB LE BAR DU COIN",), -600, -4_500, 200, skew=2, step=10,
      season={6: 140, 7: 140, 8: 200}, tags=("sortie",)),
    # transport: the car at weekends, trains for holidays, tickets for Hugo
    M("transport", "carburant", ("CB TOTALENERGIES", "CB ESSO EXPRESS"), -3_500, -8_500, 120,
      season={7: 180, 8: 160}, tags=("voiture",), accounts=HOUSEHOLD, holiday=True),
    M("transport", "train", ("CB SNCF CONNECT", "CB OUIGO"), -3_000, -15_000, 50, step=10,
      season={4: 150, 5: 150, 7: 250, 8: 100, 12: 200}, holiday=True),
    M("transport", "transports en commun", ("CB RATP",), -215, -3_160, 400, skew=3, step=5,
      season={8: 40}, tags=("travail",), accounts=(HUGO,)),
    M("transport", "péage", ("CB VINCI AUTOROUTES", "CB SANEF"), -250, -2_800, 40, skew=2,
      step=10, season={7: 500, 8: 500}, tags=("voiture",), holiday=True),
    M("transport", "parking", ("CB INDIGO", "CB SAEMES"), -200, -1_800, 120, skew=2, step=10,
      tags=("voiture",)),
    # santé: debits, and the Assurance maladie's and the mutuelle's reimbursements
    M("santé", "pharmacie", ("CB PHARMACIE DU CENTRE", "CB PHARMACIE DE LA GARE"),
      -400, -4_500, 150, skew=2, season={1: 150, 2: 150, 11: 130}, tags=("remboursable",)),
    M("santé", "médecin", ("CB DR MARTIN", "CB CABINET DENTAIRE VOLTAIRE", "CB DR LEFEVRE KINE"),
      -2_650, -9_000, 100, skew=2, step=50, tags=("remboursable",)),
    M("santé", "remboursements", ("VIR SEPA CPAM PARIS REMBOURSEMENT",), 1_000, 4_500, 90),
    M("santé", "remboursements", ("VIR SEPA HARMONIE MUTUELLE REMB",), 500, 3_500, 50),
    # shopping
    M("shopping", "vêtements", ("CB ZARA", "CB UNIQLO", "CB H&M", "CB CELIO"),
      -1_500, -12_000, 120, skew=2, step=5, season={1: 220, 7: 160, 9: 150, 12: 120},
      accounts=PERSONAL),
    M("shopping", "sport", ("CB DECATHLON",), -800, -12_000, 50, skew=3, step=10,
      season={1: 150, 9: 180}),
    M("shopping", "culture", ("CB FNAC", "CB CULTURA", "CB GIBERT JOSEPH"), -800, -8_000, 80,
      skew=2, step=10, season={12: 250}),
    M("shopping", "en ligne", ("CB AMAZON PAYMENTS", "CB AMAZON MKTPLACE"), -800, -12_000, 150,
      skew=3, season={11: 150, 12: 200}),
    M("shopping", "high-tech", ("CB DARTY", "CB BOULANGER"), -2_000, -25_000, 10, skew=3,
      step=100, season={11: 300, 12: 200}),
    M("shopping", "remboursements", ("AVOIR CB ZARA", "AVOIR CB DECATHLON", "AVOIR CB FNAC"),
      1_500, 8_000, 30, step=5, season={1: 250}),
    # loisirs (the streaming subscriptions are in household.SUBSCRIPTIONS)
    M("loisirs", "cinéma", ("CB UGC CINE CITE", "CB PATHE", "CB MK2"), -790, -2_400, 200,
      step=10, tags=("sortie",)),
    M("loisirs", "spectacles", ("CB FNAC SPECTACLES", "CB TICKETMASTER"), -1_200, -9_000, 40,
      skew=2, step=50, tags=("sortie",)),
    # maison
    M("maison", "ameublement", ("CB IKEA PARIS NORD", "CB MAISONS DU MONDE"), -1_000, -20_000,
      30, skew=3, step=100, season={1: 150, 9: 180}, tags=("maison",), accounts=HOUSEHOLD),
    M("maison", "bricolage", ("CB LEROY MERLIN", "CB CASTORAMA"), -600, -15_000, 50, skew=3,
      season={4: 180, 5: 180}, tags=("maison",), accounts=HOUSEHOLD),
    M("maison", "animaux", ("CB ZOOPLUS", "CB TRUFFAUT"), -1_200, -6_500, 100, tags=("chat",),
      accounts=HOUSEHOLD),
    # cadeaux: birthdays all year, Valentine's and Mother's Day, and December
    M("cadeaux", "cadeaux",
      ("CB NATURE ET DECOUVERTES", "CB SEPHORA", "CB FLEURS DU MARCHE", "CB LA GRANDE RECRE"),
      -1_500, -9_000, 70, skew=2, step=10, season={2: 180, 5: 150, 12: 600}, tags=("cadeau",)),
    # vacances: a long weekend at Easter, the summer holidays in August (the rest of the
    # rental was paid from the Vacances provision's savings account)
    M("vacances", "hébergement", ("CB AIRBNB", "CB BOOKING.COM", "CB CAMPING LES PINS"),
      -20_000, -40_000, 10, step=100, season={4: 150, 8: 900}, only=(4, 8),
      tags=("vacances",), accounts=HOUSEHOLD),
    # where they are on holiday: the supermarket, ice creams, bike hire, museums
    M("alimentation", "courses", ("CB SUPER U", "CB INTERMARCHE"), -800, -9_000, 30, skew=2,
      season={7: 500, 8: 1_000}, only=(4, 5, 7, 8), tags=("vacances",), accounts=HOUSEHOLD),
    M("vacances", "activités", ("CB GLACES DU PORT", "CB LOCATION VELOS", "CB MUSEE DE LA MER"),
      -300, -4_000, 20, skew=3, step=10, season={4: 300, 7: 3_000, 8: 4_500},
      only=(4, 5, 7, 8), tags=("vacances",)),
    # divers
    M("divers", "espèces", ("RETRAIT DAB",), -2_000, -10_000, 80, step=1_000,
      accounts=PERSONAL),
    M("divers", "tabac-presse", ("CB RELAY", "CB TABAC LE NARVAL"), -200, -1_200, 400, step=10,
      accounts=PERSONAL),
    M("divers", "coiffeur", ("CB SALON JEAN LOUIS DAVID", "CB BARBIER DU CANAL"), -1_800,
      -6_500, 70, step=100, accounts=PERSONAL),
)
# fmt: on
