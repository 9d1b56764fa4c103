"""Database chores.

python -m bot.store migrate                  bring the database to the latest schema
python -m bot.store seed-demo                load the fictional demo members
python -m bot.store purge-trackers [--days N]
                                             delete conversation events older than N days
                                             (default TRACKER_RETENTION_DAYS, or 30)
python -m bot.store redact-trackers          hide every date-of-birth answer the conversations
                                             already hold (new ones are hidden as they are written)
"""

import argparse
import sys

from bot.members import seed_demo_roster
from bot.runtime import tracker_store_url
from bot.store.db import database_url, migrate
from bot.store.redaction import redact_tracker_store
from bot.store.retention import purge_tracker_events, retention_days


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.store", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    sub.add_parser("seed-demo")
    purge = sub.add_parser("purge-trackers")
    purge.add_argument("--days", type=int, default=None)
    sub.add_parser("redact-trackers")
    args = parser.parse_args(argv[1:])

    if args.command == "migrate":
        migrate()
        print(f"database schema is up to date ({database_url().split(':', 1)[0]})")
    elif args.command == "seed-demo":
        print(f"loaded {seed_demo_roster()} DEMO members (fictional; marked is_demo)")
    elif args.command == "redact-trackers":
        print(f"hid the date of birth in {redact_tracker_store(tracker_store_url())} conversation events")
    else:
        days = args.days if args.days is not None else retention_days()
        deleted = purge_tracker_events(tracker_store_url(), days)
        print(f"deleted {deleted} conversation events older than {days} days")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
