"""Thin rasa-sdk actions: read slots, ask bot/, say the result."""
