"""Every setting, read from the environment (a `.env` file may supply it).

A malformed or missing value raises `ConfigError` naming the variable; each
process turns that into one line on stderr and exit status 2.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import isodate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIELDS_FILE = ROOT / "shared" / "data" / "fields.yaml"
DEFAULT_SITES_FILE = ROOT / "shared" / "data" / "sites.yaml"


class ConfigError(Exception):
    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    database_url: str
    kafka_bootstrap_servers: tuple[str, ...]
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_security: str
    mail_from: str
    public_base_url: str
    secret_key: str
    auth_mode: str
    trusted_proxies: tuple = ()
    api_tokens: dict = field(default_factory=dict)
    fields_file: Path = DEFAULT_FIELDS_FILE
    sites: tuple[str, ...] = ()  # the company's sites (SITES_FILE)
    response_timeout: timedelta = timedelta(hours=72)
    min_lead_time: timedelta = timedelta(hours=12)
    response_margin: timedelta = timedelta(hours=2)  # answer this long before the start
    personal_data_retention: timedelta = timedelta(days=7)  # on the broker
    intake_port: int = 8000
    matcher_port: int = 8001
    notifier_port: int = 8002
    bind_host: str = "127.0.0.1"
    topic_prefix: str = ""
    topic_partitions: int = 3
    log_level: str = "INFO"
    max_open_requests: int = 3
    submissions_per_hour: int = 10
    horizon_days: int = 60
    max_body_bytes: int = 65536
    notify_retry_base: timedelta = timedelta(seconds=30)
    notify_max_attempts: int = 8
    notify_batch: int = 1
    consumer_batch: int = 50
    reminder_before: timedelta = timedelta(hours=24)
    followup_after: timedelta = timedelta(hours=2)
    smtp_timeout_s: float = 10.0
    # the matcher's periodic jobs, in seconds
    expire_invitations_every_s: float = 30.0
    retry_waitlist_every_s: float = 60.0
    unmatch_passed_every_s: float = 300.0
    complete_meetings_every_s: float = 300.0
    # matching rounds: a request waits this long, then is assigned with others (0: at once)
    match_round_window: timedelta = timedelta(seconds=3)
    match_demand_window: timedelta = timedelta(days=30)  # arrivals counted as demand
    pool_size: int = 8  # database connections per process
    outbox_relay: bool = True  # off: a WSGI worker leaves publishing to others
    mail_sink_dir: Path | None = None  # the local sink's folder, shown to ops
    ops_personal_data_group: str = "ops-personal-data"  # may export names and emails
    # hosts' own calendars (docs/calendars.md)
    calendar_refresh: timedelta = timedelta(minutes=15)
    calendar_stale_after: timedelta = timedelta(hours=24)
    calendar_timeout_s: float = 10.0  # a whole fetch, connection to last byte
    calendar_max_bytes: int = 5_000_000
    calendar_concurrency: int = 8  # feeds read at once by one process
    calendar_allow_private: bool = (
        False  # fetch loopback/private addresses (dev, tests)
    )


def is_number(text: str) -> bool:
    """ASCII digits only ("²".isdigit() is True, int("²") is not)."""
    return re.fullmatch(r"[0-9]+", text.strip()) is not None


def parse_duration(variable: str, raw: str) -> timedelta:
    text = raw.strip()
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            value = timedelta(seconds=float(text))
        else:
            value = isodate.parse_duration(text)
    except (ValueError, isodate.ISO8601Error):
        raise ConfigError(
            variable, f"{raw!r} is not an ISO-8601 duration or a number of seconds"
        ) from None
    if not isinstance(value, timedelta):
        raise ConfigError(
            variable, f"{raw!r} uses months or years; give days, hours or seconds"
        )
    if value < timedelta(0):
        raise ConfigError(variable, f"{raw!r} is negative")
    return value


def parse_port(variable: str, raw: str) -> int:
    if not is_number(raw) or not 0 < int(raw) < 65536:
        raise ConfigError(variable, f"{raw!r} is not a TCP port (1-65535)")
    return int(raw)


def parse_database_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres") or not (
        parts.hostname or "host=" in parts.query
    ):
        raise ConfigError(
            "DATABASE_URL", f"{raw!r} is not a postgresql://user@host:port/db URL"
        )
    return raw


def parse_bootstrap(raw: str) -> tuple[str, ...]:
    servers = tuple(s.strip() for s in raw.split(",") if s.strip())
    for server in servers:
        host, _, port = server.rpartition(":")
        if not host or not is_number(port):
            raise ConfigError("KAFKA_BOOTSTRAP_SERVERS", f"{server!r} is not host:port")
    if not servers:
        raise ConfigError("KAFKA_BOOTSTRAP_SERVERS", "is empty")
    return servers


def parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(
            "LOG_LEVEL", f"{raw!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
        )
    return level


def parse_base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("PUBLIC_BASE_URL", f"{raw!r} is not an http(s) URL")
    return raw.rstrip("/")


def parse_proxies(raw: str) -> tuple:
    try:
        return tuple(
            ipaddress.ip_network(p.strip()) for p in raw.split(",") if p.strip()
        )
    except ValueError as exc:
        raise ConfigError("TRUSTED_PROXIES", str(exc)) from None


def parse_tokens(raw: str) -> dict:
    """API_TOKENS: comma-separated `token=identity[:group+group]` pairs."""
    tokens = {}
    for item in filter(None, (p.strip() for p in raw.split(","))):
        token, sep, who = item.partition("=")
        if not sep or len(token) < 16 or not who:
            raise ConfigError(
                "API_TOKENS", "expected token=identity pairs, tokens of 16+ characters"
            )
        identity, _, groups = who.partition(":")
        tokens[token] = (identity, tuple(g for g in groups.split("+") if g))
    return tokens


def parse_count(variable: str, raw: str, minimum: int = 1) -> int:
    if not is_number(raw) or int(raw) < minimum:
        raise ConfigError(variable, f"{raw!r} is not a whole number >= {minimum}")
    return int(raw)


# Values that only ever stand in for a real secret (ours in old compose
# files, the usual ones in examples).
PLACEHOLDER_WORDS = (
    "change-me",
    "changeme",
    "replace-me",
    "secret-key-here",
    "your-secret",
)
INSECURE_DEV_AUTH = "INSECURE_DEV_AUTH_ON_NETWORK"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_sites(path: Path) -> tuple[str, ...]:
    """SITES_FILE: a YAML (or JSON) list of the company's site names."""
    import yaml

    try:
        sites = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            "SITES_FILE", f"{path} does not load: {exc}".splitlines()[0]
        ) from None
    if (
        not isinstance(sites, list)
        or not sites
        or not all(isinstance(x, str) and 0 < len(x) <= 120 for x in sites)
    ):
        raise ConfigError("SITES_FILE", f"{path} must hold a list of site names")
    return tuple(sites)


def parse_interval(variable: str, raw: str) -> float:
    """A job's period in seconds, at least 50 ms."""
    return max(parse_duration(variable, raw).total_seconds(), 0.05)


def parse_switch(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("on", "off"):
        raise ConfigError(variable, f"{raw!r} is not one of on, off")
    return value == "on"


def parse_folder(variable: str, raw: str | None) -> Path | None:
    if raw is None:
        return None
    if not Path(raw).is_dir():
        raise ConfigError(variable, f"{raw} is not a folder")
    return Path(raw)


def _get(env, name, default=None, required=False):
    value = env.get(name)
    if value is None or value == "":
        if required:
            raise ConfigError(name, "is required but not set")
        return default
    return value


def _setting(env, parse, name, default=None, *bounds):
    """`parse` applied to the variable `name`, which error messages name."""
    return parse(name, _get(env, name, default), *bounds)


def load(env=None) -> Settings:
    """Build the settings from `env` (default: os.environ after `.env`)."""
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(ROOT / ".env", override=False)
        env = os.environ
    auth_mode = _get(env, "AUTH_MODE", required=True)
    if auth_mode not in ("dev", "proxy"):
        raise ConfigError("AUTH_MODE", f"{auth_mode!r} is not one of dev, proxy")
    security = _get(env, "SMTP_SECURITY", "none")
    if security not in ("none", "starttls", "ssl"):
        raise ConfigError(
            "SMTP_SECURITY", f"{security!r} is not one of none, starttls, ssl"
        )
    fields_file = Path(_get(env, "FIELDS_FILE", str(DEFAULT_FIELDS_FILE)))
    if not fields_file.is_file():
        raise ConfigError("FIELDS_FILE", f"{fields_file} is not a readable file")
    settings = Settings(
        database_url=parse_database_url(_get(env, "DATABASE_URL", required=True)),
        kafka_bootstrap_servers=parse_bootstrap(
            _get(env, "KAFKA_BOOTSTRAP_SERVERS", required=True)
        ),
        smtp_host=_get(env, "SMTP_HOST", "127.0.0.1"),
        smtp_port=_setting(env, parse_port, "SMTP_PORT", "1025"),
        smtp_user=_get(env, "SMTP_USER", ""),
        smtp_password=_get(env, "SMTP_PASSWORD", ""),
        smtp_security=security,
        mail_from=_get(
            env, "MAIL_FROM", "Entretiens réseau <no-reply@matchmaker.local>"
        ),
        public_base_url=parse_base_url(
            _get(env, "PUBLIC_BASE_URL", "http://127.0.0.1:8000")
        ),
        secret_key=_get(env, "SECRET_KEY", required=True),
        auth_mode=auth_mode,
        trusted_proxies=parse_proxies(_get(env, "TRUSTED_PROXIES", "127.0.0.1/32")),
        api_tokens=parse_tokens(_get(env, "API_TOKENS", "")),
        fields_file=fields_file,
        sites=parse_sites(Path(_get(env, "SITES_FILE", str(DEFAULT_SITES_FILE)))),
        response_timeout=_setting(env, parse_duration, "RESPONSE_TIMEOUT", "PT72H"),
        personal_data_retention=_setting(
            env, parse_duration, "PERSONAL_DATA_RETENTION", "P7D"
        ),
        response_margin=_setting(env, parse_duration, "RESPONSE_MARGIN", "PT2H"),
        min_lead_time=_setting(env, parse_duration, "MIN_LEAD_TIME", "PT12H"),
        intake_port=_setting(env, parse_port, "INTAKE_PORT", "8000"),
        matcher_port=_setting(env, parse_port, "MATCHER_PORT", "8001"),
        notifier_port=_setting(env, parse_port, "NOTIFIER_PORT", "8002"),
        bind_host=_get(env, "BIND_HOST", "127.0.0.1"),
        topic_prefix=_get(env, "TOPIC_PREFIX", ""),
        topic_partitions=_setting(env, parse_count, "TOPIC_PARTITIONS", "3"),
        max_open_requests=_setting(env, parse_count, "MAX_OPEN_REQUESTS", "3"),
        submissions_per_hour=_setting(env, parse_count, "SUBMISSIONS_PER_HOUR", "10"),
        horizon_days=_setting(env, parse_count, "REQUEST_HORIZON_DAYS", "60"),
        max_body_bytes=_setting(env, parse_count, "MAX_BODY_BYTES", "65536", 1024),
        notify_retry_base=_setting(env, parse_duration, "NOTIFY_RETRY_BASE", "PT30S"),
        notify_max_attempts=_setting(env, parse_count, "NOTIFY_MAX_ATTEMPTS", "8"),
        notify_batch=_setting(env, parse_count, "NOTIFY_BATCH", "1"),
        consumer_batch=_setting(env, parse_count, "CONSUMER_BATCH", "50"),
        reminder_before=_setting(env, parse_duration, "REMINDER_BEFORE", "PT24H"),
        followup_after=_setting(env, parse_duration, "FOLLOWUP_AFTER", "PT2H"),
        smtp_timeout_s=_setting(
            env, parse_duration, "SMTP_TIMEOUT", "PT10S"
        ).total_seconds(),
        log_level=parse_log_level(_get(env, "LOG_LEVEL", "INFO")),
        expire_invitations_every_s=_setting(
            env, parse_interval, "MATCHER_EXPIRY_INTERVAL", "30"
        ),
        retry_waitlist_every_s=_setting(
            env, parse_interval, "MATCHER_RETRY_INTERVAL", "60"
        ),
        unmatch_passed_every_s=_setting(
            env, parse_interval, "MATCHER_UNMATCHED_INTERVAL", "300"
        ),
        complete_meetings_every_s=_setting(
            env, parse_interval, "MATCHER_COMPLETION_INTERVAL", "300"
        ),
        match_round_window=_setting(env, parse_duration, "MATCH_ROUND_WINDOW", "PT3S"),
        match_demand_window=_setting(
            env, parse_duration, "MATCH_DEMAND_WINDOW", "P30D"
        ),
        pool_size=_setting(env, parse_count, "POOL_SIZE", "8"),
        outbox_relay=_setting(env, parse_switch, "OUTBOX_RELAY", "on"),
        mail_sink_dir=_setting(env, parse_folder, "MAIL_SINK_DIR"),
        ops_personal_data_group=_get(
            env, "OPS_PERSONAL_DATA_GROUP", "ops-personal-data"
        ).strip(),
        calendar_refresh=_setting(env, parse_duration, "CALENDAR_REFRESH", "PT15M"),
        calendar_stale_after=_setting(
            env, parse_duration, "CALENDAR_STALE_AFTER", "PT24H"
        ),
        calendar_timeout_s=_setting(
            env, parse_duration, "CALENDAR_TIMEOUT", "PT10S"
        ).total_seconds(),
        calendar_max_bytes=_setting(
            env, parse_count, "CALENDAR_MAX_BYTES", "5000000", 1024
        ),
        calendar_concurrency=_setting(env, parse_count, "CALENDAR_CONCURRENCY", "8"),
        calendar_allow_private=_setting(
            env, parse_switch, "CALENDAR_ALLOW_PRIVATE_ADDRESSES", "off"
        ),
    )
    if settings.calendar_refresh < timedelta(seconds=1):
        raise ConfigError("CALENDAR_REFRESH", "must be at least one second")
    if settings.calendar_timeout_s <= 0:
        raise ConfigError("CALENDAR_TIMEOUT", "must be longer than zero")
    if settings.match_demand_window <= timedelta(0):
        raise ConfigError("MATCH_DEMAND_WINDOW", "must be longer than zero")
    if len(settings.secret_key) < 16:
        raise ConfigError("SECRET_KEY", "must be at least 16 characters")
    if settings.response_margin >= settings.min_lead_time:
        raise ConfigError(
            "RESPONSE_MARGIN",
            "must be shorter than MIN_LEAD_TIME, or no invitation could be answered",
        )
    if any(word in settings.secret_key.lower() for word in PLACEHOLDER_WORDS):
        raise ConfigError(
            "SECRET_KEY",
            "is a placeholder: generate one (python -m secrets, or openssl rand -base64 48)",
        )
    if settings.auth_mode == "dev" and not is_loopback(settings.bind_host):
        if _setting(env, parse_switch, INSECURE_DEV_AUTH, "off") is False:
            raise ConfigError(
                "AUTH_MODE",
                f"dev trusts identity headers from anyone, so it binds only a loopback"
                f" address, not BIND_HOST={settings.bind_host}; use proxy, or set"
                f" {INSECURE_DEV_AUTH}=on to let anyone who reaches it sign in as anyone",
            )
    from shared import fields

    try:
        fields.load_taxonomy(settings.fields_file)
    except fields.TaxonomyError as exc:
        raise ConfigError("FIELDS_FILE", str(exc)) from None
    return settings
