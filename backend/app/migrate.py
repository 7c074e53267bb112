"""Entry point: `python -m app.migrate` waits for DATABASE_URL's database, applies the
pending migrations, then exits (app/database/migrations.py does it)."""

import asyncio

from app.database.migrations import main

if __name__ == "__main__":
    asyncio.run(main())
