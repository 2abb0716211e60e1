"""The exploration layer: rows of networks (profile, compare), architecture search with its
store, and the findings computed over rows."""
