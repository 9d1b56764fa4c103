"""Plain words in both languages, measured ("Todo en español").

Every member-facing text is scored with textstat (pinned in constraints.txt; it counts
syllables with pyphen's bundled dictionaries, so nothing is downloaded):

- the two catalogs, bot/messages/en.yml and es.yml (loaded with bot.messages.catalog);
- every language-keyed text in policies_kb/*.yml (answers, explanations, timelines,
  conditions, next steps, grievance rights, ride texts, labels), in both languages. The
  `quote` fields are the policies' own words, kept verbatim so they can be checked
  against the source: they are not ours to simplify and are not scored.

Limits: in each language the median is at most grade 6 and no text is above grade 8.

English: Flesch-Kincaid grade level (Kincaid et al. 1975), a US school grade.

Spanish: Fernández Huerta's lecturabilidad (1959, with Gwillim Law's 2011 correction of
the formula: L = 206.84 - 0.60 P - 1.02 F, P syllables per 100 words, F words per
sentence), higher is easier. Fernández Huerta published it with a table of school
grades (as given by legible.es, "Lecturabilidad de Fernández Huerta"):

    L 90-100  muy fácil              4º grado
    L 80-90   fácil                  5º grado
    L 70-80   algo fácil             6º grado
    L 60-70   normal (para adulto)   7º u 8º grado
    L 50-60   algo difícil           preuniversitario
    L 30-50   difícil                cursos selectivos
    L  0-30   muy difícil            universitario (especialización)

The grade equivalent used here is read off that table: a score at a band's lower edge
is that band's highest grade (90 -> 4, 80 -> 5, 70 -> 6, 60 -> 8, 50 -> 12, 30 -> 16,
0 -> 18), straight lines in between. So "grade 6 at most" means L >= 70 and "grade 8
at most" means L >= 60, the top of the table's "normal (para adulto)" band.

How a text is scored:
- {placeholders} are filled with realistic sample values (SAMPLES below; a text that
  says another text, like {answer} or {timeline}, gets a short plain sentence: the
  inner text is scored on its own). A placeholder without a sample fails the test.
- A line break ends a sentence: lists and summaries are shown one item per line, so a
  list is scored as short lines, not as one giant sentence. Each line must read alone.
  (bot/policy.py joins a KB text's lines today, so a KB list shows "1. ... 2. ..." in
  one paragraph; its items end with a full stop, so the score is the same either way.)
- textstat counts syllables at pyphen's hyphenation points, which undercounts some
  long words; the limits are for this measure, taken the same way before and after.
- Texts with fewer than 4 words of their own (placeholders aside) are left out:
  button labels ("Send"), status words ("scheduled"), headings and names ("Second
  Opinion Assistant"), bare templates ("{pcs_text}", "{answer} (Source: {citation}...)").
  Both formulas measure sentences; in a label of three words or fewer one long word
  decides the grade ("Second medical opinions" scores grade 12.7), so it measures nothing.
- `citation` labels in policies_kb/ are the names of documents ("Partnership policy
  MPUP3078", "Medi-Cal transportation benefit"), said after "Source:": names, not prose;
  so are the plans' `menu` labels, their names in the plan question.
- Strftime patterns (*_format) and the day and month names are not sentences, and
  neither are the catalogs' mappings of labels by key (button titles by payload, names
  of specialties by stored value): each is a label, read as a name, not as prose.
- `chat_opening` is what the chat page sends for the member ("hi"), not a text shown.
- facts/dmhc_statement in medi_cal_grievance_rights.yml is left out: Health and Safety
  Code 1368.02(b) prescribes its wording, so it is reproduced as the law says it and
  may not be simplified (the Help Center line beside it is the plain version).
"""

from __future__ import annotations

import re
import statistics
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from textstat.textstat import textstatistics  # pinned in requirements.txt: not skipped if missing

from bot.messages import catalog, plan_menu, plan_names

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "policies_kb"
LANGS = ("en", "es")

MEDIAN_GRADE = 6
MAX_GRADE = 8
MIN_WORDS = 4

# Catalog keys that are not member-facing sentences.
NOT_SENTENCES = {"chat_opening"}
# KB texts whose wording is prescribed by law (see the docstring).
PRESCRIBED = {"medi_cal_grievance_rights/facts/dmhc_statement"}
# KB texts that are names, not prose: documents cited, plans in the plan question.
NAMES = ("/citation", "/menu")

# Realistic values for each {placeholder}, per language.
SAMPLES: dict[str, dict[str, str]] = {
    "en": {
        "plan_name": "Kern Health Systems",
        "named_plan": "Health Net",
        "plan": "Kern Health Systems",
        "plan_short": "KHS",
        "first_name": "Maria",
        "name": "Dr. Kim",
        "agent_name": "Rosa",
        "reference": "SO-7K2M-9QXA",
        "attempt": "2",
        "max_attempts": "3",
        "number": "2",
        "label": "You question the diagnosis",
        "title": "Start a request",
        "citation": "Kern Health Systems policy 3.09-P",
        "section": "IV.A",
        "source": "42 CFR 438.402",
        "answer": "You can ask for a second opinion yourself.",
        "rule": "You can file a grievance with your plan at any time.",
        "requirement": "A second opinion needs approval. KHS decides within 7 calendar days.",
        "timeline": "For a routine request, KHS decides within 7 calendar days.",
        "next_steps": "You can make an appointment with a provider in the network.",
        "reasons": "The doctor you asked for is not in the network.",
        "pcs_text": "Please ask your doctor to send the form.",
        "due": "Thursday, December 3, 2026 at 1:51 PM",
        "ack_due": "Thu Dec 3, 2026, 1:51 PM",
        "resolve_due": "Fri Jan 1, 2027, 1:51 PM",
        "appointment": "Thu Dec 3, 10:00 AM",
        "days": "2",
        "phone": "the Member Services number on your member ID card",
        "last_four": "0134",
        "preferred_time": "weekday mornings",
        "body": "I can help with that.",
        "pickup": "123 Main St, Bakersfield",
        "companion": "yes",
        "vehicle": "car or rideshare",
        "status": "scheduled",
        "about": "a second-opinion request was denied",
        "account": "My doctor will not refer me.",
        "expedited": "no",
        "reason_label": "You question the diagnosis",
        "reason_text": "I am not sure about the surgery.",
        "initial_provider": "Dr. Lee",
        "initial_specialty": "surgeon",
        "initial_date": "last week",
        "initial_recommendation": "knee surgery",
        "requested_by_label": "you (the member)",
        "network_label": "in your plan's network",
        "preferred_label": "no one in mind",
        "urgency_label": "no",
    },
    "es": {
        "plan_name": "Kern Health Systems",
        "named_plan": "Health Net",
        "plan": "Kern Health Systems",
        "plan_short": "KHS",
        "first_name": "María",
        "name": "Dra. Kim",
        "agent_name": "Rosa",
        "reference": "SO-7K2M-9QXA",
        "attempt": "2",
        "max_attempts": "3",
        "number": "2",
        "label": "Tiene dudas sobre el diagnóstico",
        "title": "Pedir una segunda opinión",
        "citation": "póliza 3.09-P de Kern Health Systems",
        "section": "IV.A",
        "source": "42 CFR 438.402",
        "answer": "Usted puede pedir una segunda opinión.",
        "rule": "Puede poner una queja con su plan en cualquier momento.",
        "requirement": "Una segunda opinión necesita aprobación. KHS decide dentro de 7 días.",
        "timeline": "Si la solicitud es de rutina, KHS decide dentro de 7 días calendario.",
        "next_steps": "Puede hacer una cita con un proveedor de la red.",
        "reasons": "El doctor que pidió no está en la red.",
        "pcs_text": "Pídale a su doctor que mande el formulario.",
        "due": "jueves 3 de diciembre de 2026, 1:51 p. m.",
        "ack_due": "jue 3 dic 2026, 1:51 p. m.",
        "resolve_due": "vie 1 ene 2027, 1:51 p. m.",
        "appointment": "jue 3 dic, 10:00 a. m.",
        "days": "2",
        "phone": "el número de Servicios para Miembros de su tarjeta",
        "last_four": "0134",
        "preferred_time": "en las mañanas",
        "body": "Le puedo ayudar con eso.",
        "pickup": "123 Main St, Bakersfield",
        "companion": "sí",
        "vehicle": "carro o carro por aplicación",
        "status": "programado",
        "about": "me negaron una segunda opinión",
        "account": "Mi doctor no me quiere referir.",
        "expedited": "no",
        "reason_label": "Tiene dudas sobre el diagnóstico",
        "reason_text": "No estoy seguro de la cirugía.",
        "initial_provider": "Dr. Lee",
        "initial_specialty": "cirujano",
        "initial_date": "la semana pasada",
        "initial_recommendation": "cirugía de rodilla",
        "requested_by_label": "usted (el miembro)",
        "network_label": "en la red de su plan",
        "preferred_label": "nadie en particular",
        "urgency_label": "no",
    },
}


def _reason_choices(lang: str) -> str:
    """{choices} of ask_reason_choices: the five situations of the statute, one a line."""
    doc = yaml.safe_load((KB / "statute_1383_15.yml").read_text(encoding="utf-8"))
    return "\n".join(f"{s['number']} {s['label'][lang]}" for s in doc["situations"].values())


for _lang in LANGS:
    SAMPLES[_lang]["choices"] = _reason_choices(_lang)
    # The plans as the catalogs list them, from policies_kb/ (filled by bot.messages).
    SAMPLES[_lang].update(plan_menu=plan_menu(_lang), plan_names=plan_names(_lang))


def placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def own_words(text: str) -> int:
    """Words a text says itself, its placeholders left out."""
    return len(re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.sub(r"\{[^}]*\}", " ", text)))


def fill(text: str, lang: str, values: dict[str, str]) -> str:
    missing = [n for n in placeholders(text) if n not in values]
    assert not missing, f"no sample value for {missing}: add one to SAMPLES[{lang!r}]"
    return text.format(**values)


def catalog_texts(lang: str) -> Iterator[tuple[str, str]]:
    """(key, template) of every member-facing text of a catalog."""
    for key, value in catalog(lang).items():
        if key in NOT_SENTENCES or key.endswith("_format") or isinstance(value, (list, dict)):
            continue
        yield key, str(value)


def _language_keyed(node, where: str) -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        if any(isinstance(node.get(lang), str) for lang in LANGS):
            yield where, node
        for key, value in node.items():
            if key not in LANGS:
                yield from _language_keyed(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _language_keyed(value, f"{where}[{i}]")


def kb_texts(lang: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(where, text, values) of every language-keyed KB text; {plan} is the plan's name."""
    for path in sorted(KB.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        plans = list((doc.get("plans") or {}).values())
        values = dict(SAMPLES[lang])
        if plans:
            values.update(plan=plans[0]["name"], plan_short=plans[0]["short_name"])
        seen = set()
        for where, texts in _language_keyed(doc, path.stem):
            if where in PRESCRIBED or where.endswith(NAMES) or id(texts) in seen:  # YAML anchors say a text twice
                continue
            seen.add(id(texts))
            if isinstance(texts.get(lang), str):
                yield where, texts[lang], values


def as_read(text: str) -> str:
    """The text as the scorer should read it: a line break ends a sentence."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if line[-1] in ".!?:" else line + "." for line in lines)


_SCORERS: dict[str, textstatistics] = {}


def _scorer(lang: str) -> textstatistics:
    if lang not in _SCORERS:
        scorer = textstatistics()
        scorer.set_lang("en_US" if lang == "en" else "es")
        _SCORERS[lang] = scorer
    return _SCORERS[lang]


# Fernández Huerta's table, as (score at a band's lower edge, grade there).
HUERTA_GRADES = [(100, 3), (90, 4), (80, 5), (70, 6), (60, 8), (50, 12), (30, 16), (0, 18)]


def huerta_grade(score: float) -> float:
    """A US-style grade equivalent of a Fernández Huerta score (see the docstring)."""
    if score >= HUERTA_GRADES[0][0]:
        return float(HUERTA_GRADES[0][1])
    for (hi, g_hi), (lo, g_lo) in zip(HUERTA_GRADES, HUERTA_GRADES[1:], strict=False):
        if score >= lo:
            return g_lo + (g_hi - g_lo) * (score - lo) / (hi - lo)
    return float(HUERTA_GRADES[-1][1])


def grade(text: str, lang: str) -> tuple[float, float]:
    """(grade, raw score) of a filled text."""
    text = as_read(text)
    if lang == "en":
        value = _scorer("en").flesch_kincaid_grade(text)
        return value, value
    value = _scorer("es").fernandez_huerta(text)
    return huerta_grade(value), value


def scored(lang: str) -> list[tuple[float, float, str, str]]:
    """(grade, raw score, where, filled text) of every member-facing text of a language."""
    out = []
    for key, template in catalog_texts(lang):
        if own_words(template) >= MIN_WORDS:
            text = fill(template, lang, SAMPLES[lang])
            out.append((*grade(text, lang), f"messages/{key}", text))
    for where, template, values in kb_texts(lang):
        if own_words(template) >= MIN_WORDS:
            text = fill(template, lang, values)
            out.append((*grade(text, lang), f"policies_kb/{where}", text))
    return out


def report(lang: str, rows) -> str:
    name = "Flesch-Kincaid grade" if lang == "en" else "Fernández Huerta, as a grade"
    grades = [g for g, _, _, _ in rows]
    over = [r for r in rows if r[0] > MAX_GRADE]
    raw = "" if lang == "en" else f" (L {statistics.median(r for _, r, _, _ in rows):.1f})"
    lines = [
        f"{lang}: {len(rows)} texts, {name}: median {statistics.median(grades):.1f}{raw}, "
        f"{len(over)} ({100 * len(over) / len(rows):.0f}%) above grade {MAX_GRADE}"
    ]
    for g, raw, where, text in sorted(over, reverse=True):
        shown = f"grade {g:.1f}" if lang == "en" else f"grade {g:.1f} (L {raw:.1f})"
        lines.append(f"  {shown}  {where}: {' '.join(text.split())}")
    return "\n".join(lines)


# -- the measure itself ------------------------------------------------------------------
def test_the_scorers_tell_plain_from_hard():
    assert grade("You can ask for a second opinion. It costs you nothing.", "en")[0] < 4
    legal = (
        "Utilizing this grievance procedure does not prohibit any potential legal rights or "
        "remedies that may be available to you, including independent medical review."
    )
    assert grade(legal, "en")[0] > 12
    assert grade("Usted puede pedir una segunda opinión. No le cuesta nada.", "es")[0] <= 6
    assert (
        grade(
            "La utilización de este procedimiento administrativo no prohíbe ningún posible "
            "derecho o recurso legal que pudiera corresponderle, incluida la revisión "
            "médica independiente de las determinaciones.",
            "es",
        )[0]
        > 12
    )


def test_huerta_grades_follow_the_published_bands():
    assert huerta_grade(95) == 3.5 and huerta_grade(85) == 4.5
    assert huerta_grade(70) == 6 and huerta_grade(60) == 8 and huerta_grade(65) == 7
    assert huerta_grade(50) == 12 and huerta_grade(-10) == 18 and huerta_grade(120) == 3


def test_a_list_is_read_line_by_line():
    lines = (
        "Your plan lists reasons for a second opinion. Some are:\n"
        "1. You question whether a recommended surgery is needed\n"
        "2. The tests conflict, or your doctor cannot tell what is wrong\n"
        "3. Your treatment is not helping in a reasonable time"
    )
    one_sentence = (
        "Your plan lists reasons for a second opinion, including: you question whether a "
        "recommended surgery is needed; the tests conflict, or your doctor cannot tell "
        "what is wrong; your treatment is not helping in a reasonable time."
    )
    assert grade(lines, "en")[0] <= MEDIAN_GRADE < MAX_GRADE < grade(one_sentence, "en")[0]


def test_every_text_is_found():
    for lang in LANGS:
        wheres = [w for _, _, w, _ in scored(lang)]
        assert len(wheres) > 200, (lang, len(wheres))
        assert "messages/utter_greet" in wheres
        assert "policies_kb/khs_3_09_p/topics/situations/answer" in wheres
        assert not any("quote" in w or "dmhc_statement" in w for w in wheres)


# -- the limits ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_median_is_at_most_grade_6(lang, capsys):
    rows = scored(lang)
    median = statistics.median(g for g, _, _, _ in rows)
    with capsys.disabled():
        print("\n" + report(lang, rows))
    assert median <= MEDIAN_GRADE, report(lang, rows)


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_is_above_grade_8(lang):
    rows = scored(lang)
    over = [r for r in rows if r[0] > MAX_GRADE]
    assert not over, (
        "rewrite these in plainer words (shorter sentences, common words, "
        "lists as numbered lines):\n" + report(lang, rows)
    )
