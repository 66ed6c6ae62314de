"""The API's own machinery: sessions, tasks, events (``event.from`` and the legacy calls), messages and data sources."""
