"""Entry point for `rasa run actions`: importing the modules registers the actions."""

from actions import callback, conversation, grievances, handoff, lookup, notify, request, rides, rights  # noqa: F401
