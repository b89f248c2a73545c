"""Storage: one database URL, SQLite by default, PostgreSQL 15 for several users."""
