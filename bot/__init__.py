"""Second Opinion Assistant: domain logic, storage, language tools and web app."""
