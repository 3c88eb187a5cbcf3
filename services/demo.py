"""The demo clinic: an aesthetic and dermatology clinic in Bengaluru, generated from a seed.

The same `today` always gives the same clinic: catalog, three promotions, staff, about
2,000 patients and two years of visits ending `today`, numbered in the branch's own
series per fiscal year. The visits are priced by the promotion engine in the order they
happened, so the promotions have a history of uses (and the usage log to match).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.models import (
    AppSetting,
    Branch,
    CatalogItem,
    ConsentLedger,
    InvoiceHeader,
    InvoiceLineItem,
    InvoiceSequence,
    Patient,
    PromotionCampaign,
    PromotionUsageLog,
    User,
)
from domain import consent as consent_rules
from domain.consent import CHANNELS
from domain.fiscal import fiscal_year_label
from domain.gst import Taxability, document_type, split_line
from domain.invoice_numbers import DEFAULT_FORMAT, format_invoice_number
from domain.promotion_rules import promotion_from_row
from domain.promotions import CartLine, ItemType, PatientHistory, PromotionBook, price_cart
from domain.roles import Role
from services import channel_settings, documents
from services.auth import hash_pin
from services.campaigns.demo import write_demo_campaigns
from services.sponsor_demo import write_demo_sponsor

SEED = 20251121
DEMO_KEY = "demo_clinic"
# Every channel writes to the preview folder (issue #16): sends show without any account.
DEMO_CHANNELS = asdict(
    channel_settings.ChannelSettings(modes=dict.fromkeys(channel_settings.CHANNELS, "preview"))
)
HISTORY_DAYS = 730
PATIENT_COUNT = 2000
TIMEZONE = "Asia/Kolkata"

# code, name, type, category, price (Rs.), cost (Rs.), GST %, max discount %
CATALOG: list[tuple[str, str, str, str, int, int, int, int]] = [
    ("CONSULT", "Consultation", "service", "Consultation", 500, 0, 0, 100),
    ("FOLLOWUP", "Follow-up consultation", "service", "Consultation", 300, 0, 0, 100),
    ("BOTOX50", "Botox (50 units)", "service", "Injectables", 4500, 2600, 18, 30),
    ("BOTOX100", "Botox (100 units)", "service", "Injectables", 8500, 5000, 18, 30),
    ("FILLER1", "Dermal filler (1 ml)", "service", "Injectables", 18000, 9500, 18, 25),
    ("PRP-FACE", "PRP facial", "service", "Injectables", 7000, 1800, 18, 40),
    ("HYDRAFACIAL", "HydraFacial", "service", "Facials", 5500, 1500, 18, 40),
    ("MEDIFACIAL", "Medi-facial", "service", "Facials", 2500, 600, 18, 50),
    ("ACNE-EXT", "Acne extraction", "service", "Facials", 1200, 200, 18, 50),
    ("PEEL-GLY", "Glycolic peel", "service", "Peels", 1800, 350, 18, 50),
    ("PEEL-SAL", "Salicylic peel", "service", "Peels", 2000, 400, 18, 50),
    ("PEEL-TCA", "TCA peel", "service", "Peels", 3000, 600, 18, 50),
    ("PEEL-YELLOW", "Yellow peel", "service", "Peels", 4000, 900, 18, 50),
    ("CARBONPEEL", "Carbon laser peel", "service", "Laser", 3500, 700, 18, 50),
    ("QSWITCH", "Q-switch laser toning", "service", "Laser", 3500, 700, 18, 50),
    ("FRAX-CO2", "Fractional CO2 laser", "service", "Laser", 6500, 1500, 18, 40),
    ("MNRF", "Microneedling RF", "service", "Laser", 8000, 2200, 18, 40),
    (
        "LHR-FACE",
        "Laser hair reduction - face",
        "service",
        "Laser hair reduction",
        2500,
        400,
        18,
        50,
    ),
    (
        "LHR-ARMS",
        "Laser hair reduction - underarms",
        "service",
        "Laser hair reduction",
        2000,
        350,
        18,
        50,
    ),
    (
        "LHR-FULLARM",
        "Laser hair reduction - full arms",
        "service",
        "Laser hair reduction",
        5000,
        900,
        18,
        50,
    ),
    (
        "LHR-FULLLEG",
        "Laser hair reduction - full legs",
        "service",
        "Laser hair reduction",
        7000,
        1300,
        18,
        50,
    ),
    (
        "LHR-BODY",
        "Laser hair reduction - full body",
        "service",
        "Laser hair reduction",
        18000,
        3500,
        18,
        40,
    ),
    ("DERMAROLL", "Microneedling (dermaroller)", "service", "Procedures", 3000, 500, 18, 50),
    ("SKINTAG", "Skin tag removal", "service", "Procedures", 1500, 200, 0, 50),
    ("WART-RF", "Wart removal (RF)", "service", "Procedures", 2000, 300, 0, 50),
    ("MOLE", "Mole removal", "service", "Procedures", 2500, 400, 0, 50),
    ("PRP-HAIR", "PRP hair session", "service", "Hair", 6000, 1500, 18, 40),
    ("GFC-HAIR", "GFC hair therapy", "service", "Hair", 9000, 2500, 18, 40),
    ("MESO-HAIR", "Hair mesotherapy", "service", "Hair", 4000, 900, 18, 50),
    ("SPF50", "Sunscreen SPF 50 (50 g)", "product", "Skincare products", 850, 420, 18, 20),
    ("CLEANSER", "Gentle foaming cleanser", "product", "Skincare products", 650, 300, 18, 20),
    ("CERAMIDE", "Ceramide moisturiser", "product", "Skincare products", 950, 450, 18, 20),
    ("VITC-SERUM", "Vitamin C serum", "product", "Skincare products", 1450, 700, 18, 20),
    ("NIACIN", "Niacinamide serum", "product", "Skincare products", 1100, 520, 18, 20),
    ("RETINOL", "Retinol night cream", "product", "Skincare products", 1650, 800, 18, 20),
    ("AZELAIC", "Azelaic acid gel", "product", "Skincare products", 780, 360, 12, 20),
    ("DEPIGMENT", "Depigmentation cream", "product", "Skincare products", 1250, 600, 12, 20),
    ("LIPBALM", "SPF lip balm", "product", "Skincare products", 350, 150, 18, 20),
    ("HAIR-SERUM", "Hair growth serum", "product", "Hair care products", 1350, 650, 18, 20),
    ("KETO-SHAMPOO", "Ketoconazole shampoo", "product", "Hair care products", 520, 240, 12, 20),
]

# GST (domain.gst): consultations and medical procedures are health care by a clinical
# establishment, exempt (notification 12/2017-CT(Rate), entry 74; SAC 999312, rate 0 in
# the catalog above); cosmetic treatments (injectables, facials, peels, lasers, hair) are
# taxable at 18% (SAC 999722); products carry their HSN, medicated ones at 12%.
PRODUCT_HSN = {
    "CLEANSER": "34013090",
    "AZELAIC": "30049099",
    "DEPIGMENT": "30049099",
    "HAIR-SERUM": "33059090",
    "KETO-SHAMPOO": "30049099",
}


def demo_gst(code: str, kind: str, rate: int) -> tuple[str, str]:
    """(HSN/SAC, taxability) of a demo item."""
    if kind == "product":
        return PRODUCT_HSN.get(code, "33049990"), "taxable"
    return ("999312", "exempt") if rate == 0 else ("999722", "taxable")


# username, full name, role, PIN, manual discount limit %
STAFF: list[tuple[str, str, Role, str, int]] = [
    ("priya", "Priya Sharma", Role.FRONT_DESK, "1111", 10),
    ("rahul", "Rahul Verma", Role.FRONT_DESK, "3333", 10),
    ("meera", "Meera Nair", Role.MANAGER, "2222", 30),
    ("admin", "Arun Kumar", Role.ADMIN, "9999", 100),
]

FIRST_NAMES = [
    "Aarav",
    "Aditi",
    "Aditya",
    "Akash",
    "Amit",
    "Ananya",
    "Anil",
    "Anjali",
    "Arjun",
    "Asha",
    "Bhavna",
    "Deepa",
    "Deepak",
    "Divya",
    "Farah",
    "Gaurav",
    "Geeta",
    "Harini",
    "Isha",
    "Jaya",
    "Karan",
    "Kavya",
    "Kiran",
    "Lakshmi",
    "Madhu",
    "Manish",
    "Meghna",
    "Mohan",
    "Nandini",
    "Naveen",
    "Neha",
    "Nikhil",
    "Nisha",
    "Pooja",
    "Pradeep",
    "Priyanka",
    "Rahul",
    "Rajesh",
    "Ramya",
    "Ravi",
    "Rekha",
    "Rohan",
    "Sakshi",
    "Sanjay",
    "Sarita",
    "Shreya",
    "Sneha",
    "Suresh",
    "Swati",
    "Tanvi",
    "Uma",
    "Varun",
    "Vidya",
    "Vikram",
    "Vinay",
    "Yamini",
    "Zoya",
    "Imran",
    "Sana",
    "Joseph",
    "Mary",
    "Farhan",
    "Tara",
    "Kabir",
]
SURNAMES = [
    "Sharma",
    "Verma",
    "Iyer",
    "Nair",
    "Rao",
    "Reddy",
    "Menon",
    "Pillai",
    "Gupta",
    "Agarwal",
    "Joshi",
    "Kulkarni",
    "Patil",
    "Desai",
    "Shah",
    "Mehta",
    "Kapoor",
    "Khan",
    "Singh",
    "Das",
    "Banerjee",
    "Chatterjee",
    "Mukherjee",
    "Bose",
    "Naidu",
    "Hegde",
    "Shetty",
    "Kamath",
    "Bhat",
    "Fernandes",
    "D'Souza",
    "Thomas",
    "George",
    "Varghese",
    "Krishnan",
    "Subramanian",
]

# Interests steer what a patient buys: each is a list of (item code, weight).
INTERESTS: dict[str, list[tuple[str, int]]] = {
    "injectables": [("BOTOX50", 6), ("BOTOX100", 2), ("FILLER1", 2), ("PRP-FACE", 2)],
    "skin": [
        ("HYDRAFACIAL", 5),
        ("MEDIFACIAL", 4),
        ("PEEL-GLY", 3),
        ("PEEL-SAL", 3),
        ("PEEL-TCA", 1),
        ("PEEL-YELLOW", 1),
        ("CARBONPEEL", 3),
        ("QSWITCH", 2),
        ("ACNE-EXT", 3),
    ],
    "laser_hair": [
        ("LHR-FACE", 5),
        ("LHR-ARMS", 5),
        ("LHR-FULLARM", 3),
        ("LHR-FULLLEG", 3),
        ("LHR-BODY", 1),
    ],
    "scars": [("FRAX-CO2", 3), ("MNRF", 3), ("DERMAROLL", 3)],
    "hair": [("PRP-HAIR", 5), ("GFC-HAIR", 2), ("MESO-HAIR", 3)],
    "procedures": [("SKINTAG", 3), ("WART-RF", 3), ("MOLE", 2)],
}
PRODUCTS_FOR: dict[str, list[str]] = {
    "hair": ["HAIR-SERUM", "KETO-SHAMPOO"],
}
SKINCARE = ["SPF50", "CLEANSER", "CERAMIDE", "VITC-SERUM", "NIACIN", "RETINOL", "AZELAIC"]
SKINCARE += ["DEPIGMENT", "LIPBALM"]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _ean13(rng: random.Random) -> str:
    digits = "890" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def promotions(today: date) -> list[dict[str, Any]]:
    """The demo's three promotions, as column values (amounts in paise)."""
    fy_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    return [
        {
            "campaign_code": "PREMIUM_CONSULT",
            "campaign_name": "Premium Service - Free Consultation",
            "description": "Buy a Botox treatment and the consultation is free.",
            "promotion_type": "buy_x_get_y",
            "rules": {
                "buy": {"item_codes": ["BOTOX50", "BOTOX100"], "quantity": 1},
                "get": {"item_codes": ["CONSULT"], "quantity": 1, "discount_percent": "100"},
                "repeat": True,
                "max_sets_per_invoice": 2,
            },
            "discount_percent": Decimal(100),
            "priority": 10,
            "is_stackable": False,
            "start_date": fy_start - timedelta(days=365),
            "end_date": None,
        },
        {
            "campaign_code": "GLOW20",
            "campaign_name": "Glow Bundle - 20% off skincare with a HydraFacial",
            "description": "20% off skincare products bought with a HydraFacial (up to Rs.1,000).",
            "promotion_type": "percentage",
            "rules": {
                "scope": "category",
                "categories": ["Skincare products"],
                "requires_item_codes": ["HYDRAFACIAL"],
            },
            "discount_percent": Decimal(20),
            "max_discount_amount": 100_000,
            "priority": 20,
            "is_stackable": True,
            "start_date": fy_start,
            "end_date": None,
        },
        {
            "campaign_code": "FESTIVE500",
            "campaign_name": "Festive Season - Rs.500 off above Rs.5,000",
            "description": "Rs.500 off any invoice of Rs.5,000 or more, once per patient.",
            "promotion_type": "fixed_amount",
            "rules": {"scope": "invoice"},
            "discount_amount": 50_000,
            "min_purchase_amount": 500_000,
            "priority": 50,
            "is_stackable": False,
            "max_total_uses": 500,
            "max_uses_per_patient": 1,
            "start_date": today - timedelta(days=30),
            "end_date": today + timedelta(days=30),
        },
    ]


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    codes = [code for code, _ in choices]
    return rng.choices(codes, weights=[weight for _, weight in choices])[0]


def _visit_dates(rng: random.Random, first_day: date, today: date) -> list[date]:
    kind = rng.random()
    if kind < 0.38:
        count = 1
    elif kind < 0.73:
        count = rng.randint(2, 4)
    elif kind < 0.94:
        count = rng.randint(5, 9)
    else:
        count = rng.randint(10, 22)
    start = today - timedelta(days=HISTORY_DAYS)
    first = start + timedelta(days=rng.randrange((today - start).days + 1))
    days = [first]
    mean_gap = rng.choice((21, 30, 45, 75, 120))
    for _ in range(count - 1):
        following = days[-1] + timedelta(days=max(1, int(rng.expovariate(1 / mean_gap))))
        if following > today:
            break
        days.append(following)
    return [d for d in days if d >= first_day]


def write_demo_clinic(session: Session, *, now: datetime, today: date) -> uuid.UUID:
    """Write the whole demo clinic into the session's open transaction; return its branch id."""
    rng = random.Random(SEED)
    branch_id = _uuid(rng)
    session.add(
        Branch(
            id=branch_id,
            name="Indiranagar",
            legal_name="Lumen Skin & Aesthetics Private Limited",
            branch_code="IND",
            number_format=DEFAULT_FORMAT,
            state_code="29",
            upi_id="lumenskin@okaxis",
            address="Lumen Skin & Aesthetics, 12 100 Feet Road, Indiranagar, Bengaluru 560038",
            phone="080 4123 4567",
            gstin="29ABCDE1234F1ZW",
            timezone=TIMEZONE,
            fiscal_year_start_month=4,
            invoice_series="SVC",
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    users = []
    for username, full_name, role, pin, limit in STAFF:
        user = User(
            id=_uuid(rng),
            branch_id=branch_id,
            username=username,
            full_name=full_name,
            role=role.value,
            pin_hash=hash_pin(pin),
            max_manual_discount_percent=Decimal(limit),
            created_at=now,
        )
        users.append(user)
        session.add(user)
    desk_ids = [u.id for u in users if u.role == Role.FRONT_DESK.value]

    items: dict[str, dict[str, Any]] = {}
    item_rows = []
    for code, name, kind, category, price, cost, gst, max_discount in CATALOG:
        hsn_sac, taxability = demo_gst(code, kind, gst)
        row = {
            "id": _uuid(rng),
            "code": code,
            "name": name,
            "item_type": kind,
            "category": category,
            "price": price * 100,
            "cost": cost * 100,
            "tax_rate": Decimal(gst),
            "hsn_sac": hsn_sac,
            "taxability": taxability,
            "max_discount_percent": Decimal(max_discount),
            "barcode": _ean13(rng) if kind == "product" else None,
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }
        items[code] = row
        item_rows.append(row)
    session.execute(insert(CatalogItem), item_rows)

    promotion_rows = [
        {"id": _uuid(rng), "created_at": now, "updated_at": now, "branch_id": None, **p}
        for p in promotions(today)
    ]
    patients, visits = _history(rng, branch_id, desk_ids, items, today, now)
    invoices, lines, uses = _price_history(visits, items, promotion_rows, branch_id)
    for row in promotion_rows:
        row["current_uses"] = sum(1 for use in uses if use["campaign_id"] == row["id"])
    session.execute(insert(PromotionCampaign), promotion_rows)
    session.execute(insert(Patient), patients)
    session.execute(insert(ConsentLedger), _form_consents(patients, "Indiranagar"))
    _number_invoices(session, branch_id, invoices)
    session.execute(insert(InvoiceHeader), invoices)
    session.execute(insert(InvoiceLineItem), lines)
    session.execute(insert(PromotionUsageLog), uses)
    write_demo_campaigns(session, random.Random(SEED + 16), branch_id, now=now, today=today)
    write_demo_sponsor(
        session,
        random.Random(SEED + 17),
        branch_id,
        [patient["id"] for patient in patients],
        now=now,
        today=today,
        timezone=TIMEZONE,
    )
    session.add(AppSetting(key=DEMO_KEY, value={"seed": SEED, "today": today.isoformat()}))
    # The demo has no provider accounts: its campaign messages go to the preview folder.
    session.add(AppSetting(key=channel_settings.CHANNEL_SETTINGS_KEY, value=DEMO_CHANNELS))
    return branch_id


def _form_consents(patients: list[dict[str, Any]], clinic: str) -> list[dict[str, Any]]:
    """The consent ledger's grants for the boxes each demo patient ticked on the form when
    registering (as services.consent.form_consent_events writes them), so the demo's
    audiences reach the patients who agreed."""
    return [
        {
            "id": uuid.uuid5(patient["id"], channel),  # the demo's other draws unchanged
            "branch_id": patient["branch_id"],
            "patient_id": patient["id"],
            "channel": channel,
            "purpose": "promotional",
            "action": "granted",
            "notice": consent_rules.notice("promotional", channel, clinic),
            "source": "form",
            "at": patient["created_at"],
            "recorded_by": None,
        }
        for patient in patients
        for channel in CHANNELS
        if patient[f"consent_{channel}"]
    ]


def _history(
    rng: random.Random,
    branch_id: uuid.UUID,
    desk_ids: list[uuid.UUID],
    items: dict[str, dict[str, Any]],
    today: date,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Patients, and their visits up to `now` as carts (not yet priced)."""
    zone = ZoneInfo(TIMEZONE)
    mobiles: set[str] = set()
    patients: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    start = today - timedelta(days=HISTORY_DAYS)
    for _ in range(PATIENT_COUNT):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        mobile = ""
        while not mobile or mobile in mobiles:
            mobile = str(rng.randint(6, 9)) + "".join(str(rng.randrange(10)) for _ in range(9))
        mobiles.add(mobile)
        patient_id = _uuid(rng)
        interests = rng.sample(sorted(INTERESTS), k=rng.choice((1, 1, 2, 2, 3)))
        days = _visit_dates(rng, start, today)
        joined = min(datetime.combine(days[0], time(10), zone).astimezone(UTC), now)
        handle = f"{first}.{last}".lower().replace("'", "")
        patients.append(
            {
                "id": patient_id,
                "branch_id": branch_id,
                "name": f"{first} {last}",
                "mobile": mobile,
                "email": f"{handle}{rng.randrange(100)}@example.com"
                if rng.random() < 0.6
                else None,
                "birth_date": date(
                    today.year - rng.randint(18, 65), rng.randint(1, 12), rng.randint(1, 28)
                ),
                "gender": rng.choice(("female", "female", "female", "male")),
                "consent_sms": rng.random() < 0.8,
                "consent_email": rng.random() < 0.5,
                "consent_whatsapp": rng.random() < 0.7,
                "created_at": joined,
                "updated_at": joined,
            }
        )
        for number, day in enumerate(days):
            codes = [_weighted(rng, INTERESTS[rng.choice(interests)])]
            if number == 0 or rng.random() < 0.15:
                codes.insert(0, "CONSULT" if number == 0 else "FOLLOWUP")
            if rng.random() < 0.15:
                codes.append(_weighted(rng, INTERESTS[rng.choice(interests)]))
            if rng.random() < 0.35:
                codes.append(rng.choice(PRODUCTS_FOR.get(interests[0], SKINCARE)))
            at = datetime.combine(day, time(rng.randint(10, 19), rng.choice((0, 15, 30, 45))), zone)
            cart = [_cart_entry(rng, code, items) for code in dict.fromkeys(codes)]
            visit_id, desk_id = _uuid(rng), rng.choice(desk_ids)
            if at > now:
                continue  # later today: the demo has no invoices from the future
            visits.append(
                {
                    "id": visit_id,
                    "patient_id": patient_id,
                    "day": day,
                    "at": at.astimezone(UTC),
                    "created_by": desk_id,
                    "cart": cart,
                }
            )
    return patients, visits


def _cart_entry(
    rng: random.Random, code: str, items: dict[str, dict[str, Any]]
) -> tuple[uuid.UUID, str, int, Decimal | None]:
    """(line id, item code, quantity, manual discount %) for one line of a visit."""
    kind = items[code]["item_type"]
    quantity = rng.choice((1, 1, 1, 2)) if kind == "product" else 1
    manual = None
    if kind == "service" and code != "CONSULT" and rng.random() < 0.06:
        manual = Decimal(rng.choice((5, 10)))
    return _uuid(rng), code, quantity, manual


def _price_history(
    visits: list[dict[str, Any]],
    items: dict[str, dict[str, Any]],
    promotion_rows: list[dict[str, Any]],
    branch_id: uuid.UUID,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Price every visit with the promotion engine in the order they happened, counting
    uses as the counter would: invoices, their lines and the promotion usage log."""
    promotions = [promotion_from_row(row) for row in promotion_rows]
    total_uses: Counter[str] = Counter()
    patient_uses: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    invoices: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    uses: list[dict[str, Any]] = []
    for visit in sorted(visits, key=lambda v: (v["at"], v["id"])):
        book = PromotionBook(replace(p, current_uses=total_uses[p.id]) for p in promotions)
        cart = [
            CartLine(
                line_key=str(line_id),
                item_id=str(items[code]["id"]),
                item_code=code,
                name=items[code]["name"],
                item_type=ItemType(items[code]["item_type"]),
                category=items[code]["category"],
                unit_price=items[code]["price"],
                quantity=quantity,
                max_discount_percent=items[code]["max_discount_percent"],
                tax_rate=items[code]["tax_rate"],
                manual_discount_percent=manual,
            )
            for line_id, code, quantity, manual in visit["cart"]
        ]
        patient = visit["patient_id"]
        priced = price_cart(
            cart,
            book,
            now=visit["at"],
            today=visit["day"],
            patient=PatientHistory(str(patient), prior_uses=dict(patient_uses[patient])),
        )
        totals = priced.totals
        kinds = [Taxability(items[line.line.item_code]["taxability"]) for line in priced.lines]
        invoices.append(
            {
                "id": visit["id"],
                "branch_id": branch_id,
                "invoice_date": visit["day"],
                "patient_id": patient,
                "created_by": visit["created_by"],
                "created_at": visit["at"],
                "status": "issued",
                "gross_amount": totals.gross,
                "total_discount": totals.total_discount,
                "tax_amount": totals.tax,
                "round_off": totals.round_off,
                "total_amount": totals.payable,
                "campaigns_applied": documents.json_ready(priced.campaigns_applied),
                "promo_codes_entered": None,
                "is_history": False,
                "paid_outside": True,
                "notes": "",
                "document_type": document_type(
                    kinds, supplier_registered=True, recipient_registered=False
                ).value,
                "place_of_supply": "29",
                "recipient_gstin": "",
                "total_quantity": sum(line.line.quantity for line in priced.lines),
                "total_cost": sum(
                    line.line.quantity * items[line.line.item_code]["cost"] for line in priced.lines
                ),
            }
        )
        for line_no, line in enumerate(priced.lines, start=1):
            item = items[line.line.item_code]
            gst = split_line(line.line_total, item["tax_rate"], inter_state=False)
            lines.append(
                {
                    "id": uuid.UUID(line.line_key),
                    "invoice_id": visit["id"],
                    "line_no": line_no,
                    "item_id": item["id"],
                    "item_code": item["code"],
                    "item_name": item["name"],
                    "item_type": item["item_type"],
                    "category": item["category"],
                    "quantity": line.line.quantity,
                    "unit_price": item["price"],
                    "unit_cost": item["cost"],
                    "gross_amount": line.gross_amount,
                    "discount_type": line.discount_type.value if line.discount_type else None,
                    "discount_percent": line.discount_percent,
                    "discount_amount": line.discount_amount,
                    "promotion_id": uuid.UUID(line.promotion_id) if line.promotion_id else None,
                    "badge_text": line.badge_text,
                    "tax_rate": item["tax_rate"],
                    "tax_amount": line.tax_amount,
                    "line_total": line.line_total,
                    "hsn_sac": item["hsn_sac"],
                    "taxability": item["taxability"],
                    "taxable_value": gst.taxable_value,
                    "cgst_amount": gst.cgst,
                    "sgst_amount": gst.sgst,
                    "igst_amount": gst.igst,
                }
            )
        for applied in priced.applied:
            total_uses[applied.promotion_id] += 1
            patient_uses[patient][applied.promotion_id] += 1
            uses.append(
                {
                    "id": uuid.uuid5(visit["id"], applied.promotion_id),
                    "campaign_id": uuid.UUID(applied.promotion_id),
                    "branch_id": branch_id,
                    "patient_id": patient,
                    "invoice_id": visit["id"],
                    "usage_date": visit["at"],
                    "discount_amount": applied.discount_amount,
                    "applied_by": visit["created_by"],
                }
            )
    return invoices, lines, uses


def _number_invoices(
    session: Session, branch_id: uuid.UUID, invoices: list[dict[str, Any]]
) -> None:
    """Number invoices gap-free per fiscal year in the order they were made."""
    invoices.sort(key=lambda row: row["created_at"])
    last: dict[str, int] = defaultdict(int)
    for row in invoices:
        year = fiscal_year_label(row["invoice_date"], 4)
        last[year] += 1
        row.update(
            series="SVC",
            fiscal_year=year,
            sequence_no=last[year],
            invoice_number=format_invoice_number(
                "SVC", year, last[year], template=DEFAULT_FORMAT, branch_code="IND"
            ),
        )
    session.execute(
        insert(InvoiceSequence),
        [
            {"branch_id": branch_id, "series": "SVC", "fiscal_year": year, "last_number": n}
            for year, n in sorted(last.items())
        ],
    )
