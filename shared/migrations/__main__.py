import sys

from shared import config
from shared.migrations import migrate

if __name__ == "__main__":
    try:
        settings = config.load()
    except config.ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    applied = migrate(settings.database_url)
    print(
        f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}"
    )
