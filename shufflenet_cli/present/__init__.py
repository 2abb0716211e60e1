"""The presentation layer: column vocabulary, tables, plots and the report folder."""
