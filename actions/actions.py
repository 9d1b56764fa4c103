"""Entry point for `rasa run actions`: importing the modules registers the actions."""
from actions import conversation, grievances, request, rides, rights  # noqa: F401
