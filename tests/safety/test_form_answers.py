"""Answers members give to the request's own questions are not crises: 988 in front of
"yes, waiting could hurt me" or "it's me, I'm asking for myself" tells a member we did
not listen. The same words about harming oneself still are."""

import pytest

from bot import safety


@pytest.mark.parametrize(
    "answer",
    [
        "its me, im asking for myself",
        "its me im asking for myself because my mom cant",
        "órale sí, esperar me puede hacer daño",
        "si, la espera me podria hacer mucho daño",
        "el tratamiento para la diabetes no esta funcionando",
        "my husband is asking for me",
        "my daughter is doing this for me, i cant see the screen well",
        "mi hijo esta preguntando por mi",
        "sorry. im safe, my daughter is with me. lets keep going",
        "ok im safe now my wife is here, continue",
        "perdon ya estoy bien, mi hermana esta aqui, sigamos",
        "mi doctora me dijo que tengo que operarme de la vesícula pero yo no me siento segura, quisiera otra opinión",
    ],
)
def test_an_answer_to_a_question_of_the_request_is_not_a_crisis(answer):
    assert safety.check(answer) is None


@pytest.mark.parametrize(
    "message,category",
    [
        ("esperar me puede hacer daño, me quiero morir", "suicide"),
        ("me puedo hacer daño", "self_harm"),
        ("tengo ganas de hacerme daño", "self_harm"),
        ("si yo misma me quito la vida mis hijos cobran?", "suicide"),
        ("does life insurance still pay out if its on purpose", "suicide"),
        ("i want to hurt myself", "self_harm"),
        ("sorry, im not safe tonight", "suicide"),
        ("no me siento segura, no se que hacer", "suicide"),
        ("no me siento a salvo, el doctor no me cree", "suicide"),
    ],
)
def test_the_same_words_about_harming_oneself_still_are(message, category):
    found = safety.check(message)
    assert found is not None and found.category == category, found
