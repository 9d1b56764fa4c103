"""Held-out evaluations of the assistant, end to end: rights questions (`python -m
eval.rights`) and the member simulator (`python -m eval.members`)."""
