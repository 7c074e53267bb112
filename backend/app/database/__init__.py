"""PostgreSQL, as the store and the migrations use it: how to connect (connection.py), what
a failure means (diagnosis.py), and the schema's migrations (migrations.py).

Imported only when DATABASE_URL is set: the in-memory backend never loads psycopg.
"""
