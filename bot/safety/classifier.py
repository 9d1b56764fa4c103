"""The learned half of the safety check: a linear classifier over word and character
n-grams of the normalised message, trained on the corpora kept beside this file
(corpus_en.yml, corpus_es.yml, dev_set.yml: crisis messages by category, and ordinary
ones, many with alarming words used in an ordinary way). It catches crises worded in
ways the lexicon has no pattern for; the lexicon stays the floor it cannot lower.

Trained in a few seconds on first use in each process (no file to ship or load, no
download); deterministic for the same corpora.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPORA = ("corpus_en.yml", "corpus_es.yml", "corpus_more.yml", "dev_set.yml")
# What members say to this assistant every day, in both languages, is ordinary too: the
# NLU training examples of every intent but `emergency` ("eso es todo por hoy" is not a crisis).
NLU_DATA = HERE.parent.parent / "data" / "nlu"
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](\{[^}]*\}|\([^)]*\))")
NONE = "none"
# A crisis when the classifier's probability of "none" falls below this: chosen on the
# held-out sets so that it adds recall and keeps false alarms under 1%.
THRESHOLD = 0.25
# Shorter messages give it too little to go on ("i think so"); the lexicon alone reads them.
MIN_WORDS = 5


def corpus() -> list[tuple[str, str]]:
    """(text, label): label is a crisis category or "none"."""
    examples = []
    for name in CORPORA:
        data = yaml.safe_load((HERE / name).read_text(encoding="utf-8"))
        examples += [(item["text"], item["category"]) for item in data["crisis"]]
        examples += [(item["text"], NONE) for item in data["ordinary"]]
    return examples + [(text, NONE) for text in assistant_examples()]


def assistant_examples() -> list[str]:
    """The NLU training examples (data/nlu/*.yml) of every intent but `emergency`."""
    out = []
    for path in sorted(NLU_DATA.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent") in (None, "emergency"):
                continue
            out += [
                ENTITY_MARKUP.sub(r"\1", line.strip()[2:])
                for line in str(block.get("examples") or "").splitlines()
                if line.strip().startswith("- ")
            ]
    return out


@lru_cache(maxsize=1)
def model() -> Any:  # a fitted scikit-learn Pipeline (scikit-learn is untyped)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    from bot.safety import normalise

    texts, labels = zip(*corpus(), strict=True)
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
    )
    pipeline = make_pipeline(features, LogisticRegression(C=4, class_weight="balanced", max_iter=3000))
    pipeline.fit([normalise(t) for t in texts], labels)
    return pipeline


def crisis_category(norm: str) -> tuple[str, float]:
    """The most likely crisis category of a normalised message, and the probability that
    it is no crisis at all."""
    pipeline = model()
    probabilities = dict(zip(pipeline.classes_, pipeline.predict_proba([norm])[0], strict=True))
    none = probabilities.pop(NONE)
    return max(probabilities, key=lambda category: probabilities[category]), none
