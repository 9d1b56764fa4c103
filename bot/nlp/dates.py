"""When the first opinion was given, as members say it: "November 18", "the 10th",
"10/30", "2 weeks ago", "back in march", "hace un mes", "I don't remember".

A date is never in the future; a month and day without a year is the latest such day
that is not after today. A month alone is taken as its first day (members rarely know
more), a day alone ("the 10th") as that day of the reference month when one is known.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTH_NAMES = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
}
MONTHS = dict(MONTH_NAMES)
MONTHS.update({k[:3]: v for k, v in MONTH_NAMES.items() if k[:3] not in MONTHS})
MONTHS.update({"sept": 9, "sep": 9, "ene": 1, "abr": 4, "ago": 8, "dic": 12})

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?:de\s+|del\s+)?(?P<year>(?:19|20)\d\d))?"
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "few": 3,
    "couple of": 2,
    "couple": 2,
    "un": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "unos": 3,
    "unas": 3,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "quince": 15,
    "veinte": 20,
    "un par de": 2,
    "par de": 2,
}
_UNITS = {
    "day": 1,
    "week": 7,
    "month": 30,
    "year": 365,
    "dia": 1,
    "día": 1,
    "semana": 7,
    "mes": 30,
    "año": 365,
    "ano": 365,
    "wk": 7,
    "mo": 30,
    "mth": 30,
    "yr": 365,
    "d": 1,
}
_COUNT = r"(?P<n>\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>day|week|month|year|d[ií]a|semana|mes|a[ñn]o|wk|mth|mo|yr|d)(?:s|es)?"

PATTERNS = (
    ("ago", re.compile(rf"\b{_COUNT}\s*{_UNIT}\s+ago\b")),
    # "hace como 3 meses", "hace ya dos semanas", "hace mas o menos un mes"
    (
        "ago",
        re.compile(
            rf"\bhace\s+(?:(?:como|unos|unas|casi|ya|mas o menos|más o menos|aproximadamente|aprox|"
            rf"alrededor de|cerca de)\s+)*{_COUNT}\s+{_UNIT}\b"
        ),
    ),
    ("numeric", re.compile(r"\b(?P<month>[01]?\d)([/-])(?P<day>[0-3]?\d)(?:\2(?P<year>\d{4}|\d{2}))?\b")),
    ("month_day", re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}")),
    ("day_month", re.compile(rf"\b{_DAY}\s+(?:of\s+|de\s+)?{_MONTH}{_YEAR}")),
    (
        "relative",
        re.compile(
            r"\b(?P<word>today|yesterday|last week|last month|last year|this week|this month|"
            r"earlier this week|earlier this month|hoy|ayer|la semana pasada|el mes pasado|"
            r"el ano pasado|el año pasado|esta semana|este mes|antier|anteayer|antes de ayer)\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            r"\b(?:last|this past|past|on|el|este|el pasado)\s+(?P<weekday>monday|tuesday|wednesday|thursday|friday|"
            r"saturday|sunday|lunes|martes|miercoles|miércoles|jueves|viernes|sabado|sábado|domingo)\b"
        ),
    ),
    (
        "day_only",
        re.compile(
            r"\b(?:the|el)\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?!\s+op)|"
            r"\b(?P<day2>[0-3]?\d)(?:st|nd|rd|th)\b(?!\s+(?:op|round|time|doctor|dr))"
        ),
    ),
    (
        "month_only",
        re.compile(
            rf"\b(?:in|back in|since|early|late|mid|around|en|a principios de|a finales de|a fines de|a fin de|"
            rf"a mediados de|"
            rf"finales de|principios de|mediados de)\s+"
            rf"(?:of\s+)?{_MONTH}\b"
        ),
    ),
    ("month_only", re.compile(rf"^\s*{_MONTH}\s*$")),
    (
        "season",
        re.compile(
            r"\b(?P<season>spring|summer|fall|autumn|winter|primavera|verano|oto[ñn]o|invierno|"
            r"christmas|navidad|thanksgiving|new year'?s?)\b"
        ),
    ),
)
# A season or holiday is taken as a day in it (members rarely know more): the latest such
# day that is not after today.
SEASON_DAYS = {
    "spring": (4, 15),
    "primavera": (4, 15),
    "summer": (7, 15),
    "verano": (7, 15),
    "fall": (10, 15),
    "autumn": (10, 15),
    "otoño": (10, 15),
    "otono": (10, 15),
    "winter": (1, 15),
    "invierno": (1, 15),
    "christmas": (12, 25),
    "navidad": (12, 25),
    "thanksgiving": (11, 26),
    "new year": (1, 1),
    "new years": (1, 1),
    "new year's": (1, 1),
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "lunes"),
            ("tuesday", "martes"),
            ("wednesday", "miercoles", "miércoles"),
            ("thursday", "jueves"),
            ("friday", "viernes"),
            ("saturday", "sabado", "sábado"),
            ("sunday", "domingo"),
        )
    )
    for name in names
}
RELATIVE_DAYS = {
    "today": 0,
    "hoy": 0,
    "this week": 0,
    "this month": 0,
    "esta semana": 0,
    "este mes": 0,
    "earlier this week": 2,
    "earlier this month": 7,
    "yesterday": 1,
    "ayer": 1,
    "last week": 7,
    "la semana pasada": 7,
    "last month": 30,
    "el mes pasado": 30,
    "last year": 365,
    "el ano pasado": 365,
    "el año pasado": 365,
    "antier": 2,
    "anteayer": 2,
    "antes de ayer": 2,
}

DONT_REMEMBER = re.compile(
    r"\b(don'?t|do not|can'?t|cannot|cant|dont)\s+(remember|recall|know)|\bnot sure\b|\bno idea\b|\bidk\b|"
    r"\bforgot\b|\bforget when\b|\bno clue\b|\bskip\b|\bunknown\b|\bno me acuerdo\b|\bno recuerdo\b|\bno s[eé]\b|"
    r"\bquien sabe\b|\bquién sabe\b|\bni me acuerdo\b|\bya no me acuerdo\b|\bno me recuerdo\b|\bni idea\b|"
    r"\bolvid[eé]\b",
    re.IGNORECASE,
)


def doesnt_remember(text: str) -> bool:
    return bool(DONT_REMEMBER.search(text or ""))


# Texting shorthand after "last"/"this": "last wk", "this mo".
SHORT_UNIT = re.compile(r"\b(last|this|past) (wk|mth|mo|yr)\b")
SHORT_UNITS = {"wk": "week", "mth": "month", "mo": "month", "yr": "year"}


def _clean(text: str) -> str:
    t = " ".join(re.sub(r"[^\w/'\- ]+", " ", (text or "").lower().replace("’", "'")).split())
    return SHORT_UNIT.sub(lambda m: f"{m[1]} {SHORT_UNITS[m[2]]}", t)


def _past(year: int, month: int, day: int, today: date, year_given: bool) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if found > today and not year_given:
        try:
            found = date(year - 1, month, day)
        except ValueError:
            return None
    return found if found <= today else None


def _year(text: str | None, today: date) -> int:
    if not text:
        return today.year
    year = int(text)
    return year + 2000 if year < 100 else year


def _from_match(kind: str, m: re.Match[str], today: date, reference: date | None) -> date | None:
    g = m.groupdict()
    if kind == "ago":
        n = int(g["n"]) if g["n"].isdigit() else _NUMBER_WORDS[g["n"]]
        return today - timedelta(days=n * _UNITS[g["unit"]])
    if kind == "relative":
        return today - timedelta(days=RELATIVE_DAYS[g["word"]])
    if kind == "weekday":  # "last tuesday": the latest one before today
        back = (today.weekday() - WEEKDAYS[g["weekday"]]) % 7 or 7
        return today - timedelta(days=back)
    if kind == "season":
        month, day = SEASON_DAYS[g["season"]]
        return _past(today.year, month, day, today, False)
    if kind == "day_only":
        day = int(g["day"] or g["day2"])
        base = reference or today
        found = _past(base.year, base.month, day, today, True)
        if found is None and reference is None:  # "the 28th" said on the 2nd: last month
            last_month = base.replace(day=1) - timedelta(days=1)
            found = _past(last_month.year, last_month.month, day, today, True)
        return found
    month = int(g["month"]) if g["month"].isdigit() else MONTHS[g["month"]]
    day = int(g["day"]) if g.get("day") else 1
    return _past(_year(g.get("year"), today), month, day, today, bool(g.get("year")))


def find_date(text: str, today: date, reference: date | None = None) -> tuple[date, str] | None:
    """(date, the words that said it) for the first date expression in a message."""
    t = _clean(text)
    for kind, pattern in PATTERNS:
        m = pattern.search(t)
        if m:
            found = _from_match(kind, m, today, reference)
            if found:
                return found, m.group(0).strip()
    return None


def parse_date_hint(text: str, today: date, reference: date | None = None) -> date | None:
    """Roughly when: a best date, never in the future, or None."""
    found = find_date(text, today, reference)
    return found[0] if found else None


def corrected_date_text(new_text: str, earlier_text: str | None, today: date) -> str:
    """A corrected date in full words: "the 10th" after "November 3" is "November 10, 2026"."""
    earlier = parse_date_hint(earlier_text or "", today)
    found = find_date(new_text, today, reference=earlier)
    return found[0].strftime("%B %-d, %Y") if found else new_text
