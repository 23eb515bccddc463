"""Data access and business rules. Plain async functions; no GraphQL types live here."""
