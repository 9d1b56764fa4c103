"""The gateway: FastAPI app for the member-services API (and, later, chat and console)."""
