"""python -m bot.store migrate   # bring the database to the latest schema"""
import sys

from bot.store.db import database_url, migrate


def main(argv) -> int:
    if argv[1:2] == ["migrate"]:
        migrate()
        scheme = database_url().split(":", 1)[0]
        print(f"database schema is up to date ({scheme})")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
