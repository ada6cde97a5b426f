"""Every setting, read from the environment (a `.env` file may supply it).

`Settings` is the one table of them: each field names its variable, how its
text is read, and its default (the contract's, and `make run`'s unless
`devstack` sets another). `load` reads them all through environs, which
reads the environment with marshmallow fields as the API reads bodies: a
malformed or missing value raises `ConfigError` naming the variable, and
each process turns that into one line on stderr and exit status 2.

(A table, so over 300 lines is allowed here: one row per setting.)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environs
import isodate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIELDS_FILE = ROOT / "shared" / "data" / "fields.yaml"
DEFAULT_SITES_FILE = ROOT / "shared" / "data" / "sites.yaml"
INSECURE_DEV_AUTH = "INSECURE_DEV_AUTH_ON_NETWORK"
# How the services reach Kafka (kafka-python's names, as Kafka's own clients').
KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# Values that only ever stand in for a real secret (ours in old compose
# files, the usual ones in examples).
PLACEHOLDER_WORDS = ("change-me", "changeme", "change-this", "replace-me",
                     "secret-key-here", "your-secret")  # fmt: skip


class ConfigError(Exception):
    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Invalid(environs.EnvError):
    """A parser's refusal; `load` names the variable."""


# -- how each kind of text is read (raw text -> value, or Invalid) ------------


def is_number(text: str) -> bool:
    """ASCII digits only ("²".isdigit() is True, int("²") is not)."""
    return re.fullmatch(r"[0-9]+", text.strip()) is not None


def _duration(raw: str) -> timedelta:
    text = raw.strip()
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            value = timedelta(seconds=float(text))
        else:
            value = isodate.parse_duration(text)
    except (ValueError, isodate.ISO8601Error):
        raise Invalid(
            f"{raw!r} is not an ISO-8601 duration or a number of seconds"
        ) from None
    if not isinstance(value, timedelta):
        raise Invalid(f"{raw!r} uses months or years; give days, hours or seconds")
    if value < timedelta(0):
        raise Invalid(f"{raw!r} is negative")
    return value


def _period(raw: str) -> timedelta:
    """A retention period: an ISO-8601 duration where a year is 365 days
    and a month 30 (P2Y, P90D, PT10S), at least one second."""
    text = raw.strip()
    try:
        value = isodate.parse_duration(text)
    except (ValueError, isodate.ISO8601Error):
        raise Invalid(f"{raw!r} is not an ISO-8601 duration") from None
    if not isinstance(value, timedelta):
        years, months = int(value.years), int(value.months)
        if years != value.years or months != value.months:
            raise Invalid(f"{raw!r}: give whole years and months")
        value = value.tdelta + timedelta(days=365 * years + 30 * months)
    if value < timedelta(seconds=1):
        raise Invalid(f"{raw!r} is shorter than a second")
    return value


def parse_duration(variable: str, raw: str) -> timedelta:
    """An ISO-8601 duration or a number of seconds, for `variable`."""
    try:
        return _duration(raw)
    except Invalid as exc:
        raise ConfigError(variable, str(exc)) from None


def _seconds(raw: str) -> float:
    return _duration(raw).total_seconds()


def _interval(raw: str) -> float:
    """A job's period in seconds, at least 50 ms."""
    return max(_seconds(raw), 0.05)


def _count(minimum: int):
    def parse(raw: str) -> int:
        if not is_number(raw) or int(raw) < minimum:
            raise Invalid(f"{raw!r} is not a whole number >= {minimum}")
        return int(raw)

    return parse


def _port(raw: str) -> int:
    if not is_number(raw) or not 0 < int(raw) < 65536:
        raise Invalid(f"{raw!r} is not a TCP port (1-65535)")
    return int(raw)


def _switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("on", "off"):
        raise Invalid(f"{raw!r} is not one of on, off")
    return value == "on"


def _database_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres") or not (
        parts.hostname or "host=" in parts.query
    ):
        raise Invalid(f"{raw!r} is not a postgresql://user@host:port/db URL")
    return raw


def _bootstrap(raw: str) -> tuple[str, ...]:
    servers = tuple(s.strip() for s in raw.split(",") if s.strip())
    for server in servers:
        host, _, port = server.rpartition(":")
        if not host or not is_number(port):
            raise Invalid(f"{server!r} is not host:port")
    if not servers:
        raise Invalid("is empty")
    return servers


def _base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(f"{raw!r} is not an http(s) URL")
    return raw.rstrip("/")


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise Invalid(f"{raw!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _networks(raw: str) -> tuple:
    try:
        return tuple(
            ipaddress.ip_network(p.strip()) for p in raw.split(",") if p.strip()
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def _tokens(raw: str) -> dict:
    """`token=identity[:group+group]`, comma-separated."""
    tokens = {}
    for item in filter(None, (p.strip() for p in raw.split(","))):
        token, sep, who = item.partition("=")
        if not sep or len(token) < 16 or not who:
            raise Invalid("expected token=identity pairs, tokens of 16+ characters")
        identity, _, groups = who.partition(":")
        tokens[token] = (identity, tuple(g for g in groups.split("+") if g))
    return tokens


def _folder(raw: str) -> Path:
    if not Path(raw).is_dir():
        raise Invalid(f"{raw} is not a folder")
    return Path(raw)


def _file(raw: str) -> Path:
    if not Path(raw).is_file():
        raise Invalid(f"{raw} is not a readable file")
    return Path(raw)


def _sites(raw: str) -> tuple[str, ...]:
    """A YAML (or JSON) list of the company's site names."""
    import yaml

    path = Path(raw)
    try:
        sites = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise Invalid(f"{path} does not load: {exc}".splitlines()[0]) from None
    if (
        not isinstance(sites, list)
        or not sites
        or not all(isinstance(x, str) and 0 < len(x) <= 120 for x in sites)
    ):
        raise Invalid(f"{path} must hold a list of site names")
    return tuple(sites)


def _servers(raw: str) -> tuple:
    """The company's own calendar servers a read may reach though they are
    not public: networks and host names, each with a port (without one,
    80 and 443; `:*`, any): `10.20.0.0/16, caldav.corp.example:8443`.
    A network wider than a /8 (a /32 in IPv6) is refused: it is not a server."""
    items = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        host, port = item, None
        if item.count(":") == 1 or (item.startswith("[") and "]:" in item):
            host, _, digits = item.rpartition(":")
            if digits == "*":  # any port
                port = 0
            elif not is_number(digits) or not 0 < int(digits) < 65536:
                raise Invalid(f"{item!r}: the port is not a number from 1 to 65535")
            else:
                port = int(digits)
        host = host.strip("[]")
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            network = None
        if network is not None:
            if network.prefixlen < (8 if network.version == 4 else 32):
                raise Invalid(f"{item!r} is wider than the company's servers can be")
            items.append((network, port))
        else:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", host):
                raise Invalid(f"{item!r} is not a network or a host name") from None
            items.append((host.lower(), port))
    return tuple(items)


def _text(raw: str) -> str:
    return raw


def _name(raw: str) -> str:
    return raw.strip()


def _one_of(*choices: str):
    def parse(raw: str) -> str:
        if raw not in choices:
            raise Invalid(f"{raw!r} is not one of {', '.join(choices)}")
        return raw

    return parse


REQUIRED = object()
# Database connections a notifier needs besides its senders': the consumer,
# the outbox relay, the purge job and the readiness check.
POOL_OTHERS = 4
# Variables one service needs that the others must not be given.
REQUIRED_BY = {"CALENDAR_KEY": ("intake",)}
# How many guesses a secret setting must take, as zxcvbn estimates them
# (10^30, about 100 bits: 16 random bytes or more, however written).
MIN_SECRET_GUESSES_LOG10 = 30


def setting(variable: str, parse, default=REQUIRED):
    """A field of `Settings`: read from `variable` by `parse`; `default` is
    the text used when it is unset (REQUIRED: it must be set)."""
    meta = {"variable": variable, "parse": parse, "default": default}
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    value = None if default is None else parse(default)
    if isinstance(value, dict):
        return dataclasses.field(default_factory=value.copy, metadata=meta)
    return dataclasses.field(default=value, metadata=meta)


# fmt: off
@dataclass(frozen=True, kw_only=True)
class Settings:
    # -- where the store, the broker and the mail server are -------------------
    database_url: str = setting("DATABASE_URL", _database_url)
    kafka_bootstrap_servers: tuple = setting("KAFKA_BOOTSTRAP_SERVERS", _bootstrap)
    kafka_security_protocol: str = setting("KAFKA_SECURITY_PROTOCOL", _one_of(*KAFKA_PROTOCOLS), "PLAINTEXT")
    kafka_sasl_mechanism: str = setting("KAFKA_SASL_MECHANISM", _one_of(*KAFKA_SASL_MECHANISMS), "PLAIN")
    kafka_sasl_username: str = setting("KAFKA_SASL_USERNAME", _text, "")
    kafka_sasl_password: str = setting("KAFKA_SASL_PASSWORD", _text, "")
    kafka_ssl_cafile: Path | None = setting("KAFKA_SSL_CAFILE", _file, None)  # else the system's CAs
    kafka_ssl_certfile: Path | None = setting("KAFKA_SSL_CERTFILE", _file, None)  # a client certificate
    kafka_ssl_keyfile: Path | None = setting("KAFKA_SSL_KEYFILE", _file, None)  # its key, if not in it
    smtp_host: str = setting("SMTP_HOST", _text, "127.0.0.1")
    smtp_port: int = setting("SMTP_PORT", _port, "1025")
    smtp_user: str = setting("SMTP_USER", _text, "")
    smtp_password: str = setting("SMTP_PASSWORD", _text, "")
    smtp_security: str = setting("SMTP_SECURITY", _one_of("none", "starttls", "ssl"), "none")
    smtp_timeout_s: float = setting("SMTP_TIMEOUT", _seconds, "PT10S")
    mail_from: str = setting("MAIL_FROM", _text, "Entretiens réseau <no-reply@matchmaker.local>")
    public_base_url: str = setting("PUBLIC_BASE_URL", _base_url, "http://127.0.0.1:8000")
    # -- who is who ---------------------------------------------------------------
    secret_key: str = setting("SECRET_KEY", _text)
    # opens hosts' stored calendar secrets: intake's alone (`REQUIRED_BY`)
    calendar_key: str = setting("CALENDAR_KEY", _text, "")
    auth_mode: str = setting("AUTH_MODE", _one_of("dev", "proxy", "oidc"))
    # AUTH_MODE=proxy: the headers the SSO proxy sets (oauth2-proxy: X-Forwarded-Email, -Groups)
    proxy_user_header: str = setting("PROXY_USER_HEADER", _text, "X-Remote-User")
    proxy_groups_header: str = setting("PROXY_GROUPS_HEADER", _text, "X-Remote-Groups")
    # AUTH_MODE=oidc: sign-in with the company's OpenID Connect provider (docs/security.md)
    oidc_issuer: str = setting("OIDC_ISSUER", _text, "")
    oidc_client_id: str = setting("OIDC_CLIENT_ID", _text, "")
    oidc_client_secret: str = setting("OIDC_CLIENT_SECRET", _text, "")
    oidc_audience: str = setting("OIDC_AUDIENCE", _text, "")  # of API access tokens; else the client id
    oidc_groups_claim: str = setting("OIDC_GROUPS_CLAIM", _text, "groups")
    oidc_scopes: str = setting("OIDC_SCOPES", _text, "openid email profile")
    oidc_trust_email: bool = setting("OIDC_TRUST_EMAIL", _switch, "off")  # on: email without email_verified
    session_lifetime: timedelta = setting("SESSION_LIFETIME", _duration, "PT8H")
    trusted_proxies: tuple = setting("TRUSTED_PROXIES", _networks, "127.0.0.1/32")
    api_tokens: dict = setting("API_TOKENS", _tokens, "")
    ops_group: str = setting("OPS_GROUP", _name, "ops")  # the pipeline, without people's data
    hr_group: str = setting("HR_GROUP", _name, "hr")  # the programme: requests, reports, leavers
    audit_group: str = setting("AUDIT_GROUP", _name, "dpo")  # reads the access trail
    # -- how long personal data is kept (docs/privacy.md) ---------------------------
    retain_events: timedelta = setting("RETAIN_EVENTS", _period, "P30D")
    retain_mail: timedelta = setting("RETAIN_MAIL", _period, "P90D")
    retain_introductions: timedelta = setting("RETAIN_INTRODUCTIONS", _period, "P2Y")
    retain_audit: timedelta = setting("RETAIN_AUDIT", _period, "P1Y")
    purge_interval_s: float = setting("PURGE_INTERVAL", _interval, "PT1H")
    # -- what the company offers ---------------------------------------------------
    fields_file: Path = setting("FIELDS_FILE", _file, str(DEFAULT_FIELDS_FILE))
    sites: tuple = setting("SITES_FILE", _sites, str(DEFAULT_SITES_FILE))
    # -- the matching rules and their times ------------------------------------------
    response_timeout: timedelta = setting("RESPONSE_TIMEOUT", _duration, "PT72H")
    min_lead_time: timedelta = setting("MIN_LEAD_TIME", _duration, "PT12H")
    response_margin: timedelta = setting("RESPONSE_MARGIN", _duration, "PT2H")
    match_round_window: timedelta = setting("MATCH_ROUND_WINDOW", _duration, "PT3S")
    match_demand_window: timedelta = setting("MATCH_DEMAND_WINDOW", _duration, "P30D")
    match_by_meaning: bool = setting("MATCH_BY_MEANING", _switch, "on")
    max_open_requests: int = setting("MAX_OPEN_REQUESTS", _count(1), "3")
    submissions_per_hour: int = setting("SUBMISSIONS_PER_HOUR", _count(1), "10")
    host_saves_per_hour: int = setting("HOST_SAVES_PER_HOUR", _count(1), "20")
    horizon_days: int = setting("REQUEST_HORIZON_DAYS", _count(1), "60")
    # -- the matcher's periodic jobs, in seconds ---------------------------------------
    expire_invitations_every_s: float = setting("MATCHER_EXPIRY_INTERVAL", _interval, "30")
    retry_waitlist_every_s: float = setting("MATCHER_RETRY_INTERVAL", _interval, "60")
    unmatch_passed_every_s: float = setting("MATCHER_UNMATCHED_INTERVAL", _interval, "300")
    complete_meetings_every_s: float = setting("MATCHER_COMPLETION_INTERVAL", _interval, "300")
    read_profiles_every_s: float = setting("MATCHER_READ_INTERVAL", _interval, "60")
    # -- mail --------------------------------------------------------------------------
    notify_retry_base: timedelta = setting("NOTIFY_RETRY_BASE", _duration, "PT30S")
    notify_max_attempts: int = setting("NOTIFY_MAX_ATTEMPTS", _count(1), "8")
    notify_batch: int = setting("NOTIFY_BATCH", _count(1), "1")
    notify_workers: int = setting("NOTIFY_WORKERS", _count(1), "4")  # senders in one notifier
    notify_merge_window: timedelta = setting("NOTIFY_MERGE_WINDOW", _duration, "PT5S")
    reminder_before: timedelta = setting("REMINDER_BEFORE", _duration, "PT24H")
    followup_after: timedelta = setting("FOLLOWUP_AFTER", _duration, "PT2H")
    mail_sink_dir: Path | None = setting("MAIL_SINK_DIR", _folder, None)  # shown to ops
    # -- hosts' own calendars (docs/calendars.md) -------------------------------------
    calendar_refresh: timedelta = setting("CALENDAR_REFRESH", _duration, "PT15M")
    calendar_stale_after: timedelta = setting("CALENDAR_STALE_AFTER", _duration, "PT24H")
    calendar_timeout_s: float = setting("CALENDAR_TIMEOUT", _seconds, "PT10S")
    calendar_max_bytes: int = setting("CALENDAR_MAX_BYTES", _count(1024), "5000000")
    calendar_concurrency: int = setting("CALENDAR_CONCURRENCY", _count(1), "4")  # reader processes
    calendar_reads_per_hour: int = setting("CALENDAR_READS_PER_HOUR", _count(1), "12")
    calendar_allowed_servers: tuple = setting("CALENDAR_ALLOWED_SERVERS", _servers, "")
    # -- the processes -----------------------------------------------------------------
    intake_port: int = setting("INTAKE_PORT", _port, "8000")
    matcher_port: int = setting("MATCHER_PORT", _port, "8001")
    notifier_port: int = setting("NOTIFIER_PORT", _port, "8002")
    bind_host: str = setting("BIND_HOST", _text, "127.0.0.1")
    insecure_dev_auth: bool = setting(INSECURE_DEV_AUTH, _switch, "off")
    log_level: str = setting("LOG_LEVEL", _log_level, "INFO")
    pool_size: int = setting("POOL_SIZE", _count(1), "8")  # database connections
    outbox_relay: bool = setting("OUTBOX_RELAY", _switch, "on")
    max_body_bytes: int = setting("MAX_BODY_BYTES", _count(1024), "65536")
    consumer_batch: int = setting("CONSUMER_BATCH", _count(1), "50")
    # -- the broker's topics -----------------------------------------------------------
    topic_prefix: str = setting("TOPIC_PREFIX", _text, "")
    topic_partitions: int = setting("TOPIC_PARTITIONS", _count(1), "3")
    topic_replication: int = setting("TOPIC_REPLICATION", _count(1), "1")  # replicas of each
    personal_data_retention: timedelta = setting("PERSONAL_DATA_RETENTION", _duration, "P7D")
# fmt: on


def variables() -> dict[str, object]:
    """Every variable and the text of its default (REQUIRED: none)."""
    return {
        f.metadata["variable"]: f.metadata["default"]
        for f in dataclasses.fields(Settings)
    }


class _Env(environs.Env):
    """environs over one mapping: os.environ after `.env`, or a test's dict.
    An empty value counts as unset."""

    def __init__(self, mapping):
        super().__init__(eager=True)
        self._mapping = mapping

    def _get_value(self, env_key, default):
        value = self._mapping.get(env_key)
        return default if value is None or value == "" else value


def load(env=None, service: str | None = None) -> Settings:
    """Build the settings from `env` (default: os.environ after `.env`);
    `service` names the process, which may need a variable others do not."""
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(ROOT / ".env", override=False)
        env = os.environ
    reader = _Env(env)
    values = {}
    for f in dataclasses.fields(Settings):
        variable, parse, default = (
            f.metadata[k] for k in ("variable", "parse", "default")
        )
        if default is None and not env.get(variable):
            values[f.name] = None
            continue
        reader.add_parser(f"setting_{f.name}", parse)
        try:
            raw = getattr(reader, f"setting_{f.name}")(
                variable, ... if default is REQUIRED else default
            )
        except environs.EnvNotSetError:
            raise ConfigError(variable, "is required but not set") from None
        except environs.EnvValidationError as exc:
            problem = exc.error_messages[0] if exc.error_messages else str(exc)
            raise ConfigError(variable, problem) from None
        values[f.name] = raw
    settings = Settings(**values)
    _check(settings, env)
    for variable, services in REQUIRED_BY.items():
        if service in services and not env.get(variable):
            raise ConfigError(variable, f"is required by {service} but not set")
    if (
        service == "notifier"
        and settings.notify_workers > settings.pool_size - POOL_OTHERS
    ):
        raise ConfigError(
            "NOTIFY_WORKERS",
            f"must be at most POOL_SIZE - {POOL_OTHERS}"
            f" ({settings.pool_size - POOL_OTHERS}): each sender holds a database"
            " connection while it sends; the consumer, the relay and the checks"
            " need theirs",
        )
    if settings.calendar_key:
        _check_secret("CALENDAR_KEY", settings.calendar_key)
        if settings.calendar_key == settings.secret_key:
            raise ConfigError(
                "CALENDAR_KEY", "is SECRET_KEY, which every process holds: give another"
            )
    return settings


def _check(s: Settings, env) -> None:
    """What holds between settings, and what a value must not be."""
    if s.calendar_refresh < timedelta(seconds=1):
        raise ConfigError("CALENDAR_REFRESH", "must be at least one second")
    if env.get("CALENDAR_ALLOW_PRIVATE_ADDRESSES"):
        raise ConfigError(
            "CALENDAR_ALLOW_PRIVATE_ADDRESSES",
            "is no more: name the company's calendar servers in CALENDAR_ALLOWED_SERVERS",
        )
    if env.get("OPS_PERSONAL_DATA_GROUP"):
        raise ConfigError(
            "OPS_PERSONAL_DATA_GROUP",
            "is no more: names and emails are for the members of HR_GROUP",
        )
    if len({s.ops_group, s.hr_group, s.audit_group}) < 3:
        raise ConfigError(
            "AUDIT_GROUP", "OPS_GROUP, HR_GROUP and AUDIT_GROUP must differ"
        )
    if s.calendar_timeout_s <= 0:
        raise ConfigError("CALENDAR_TIMEOUT", "must be longer than zero")
    if s.match_demand_window <= timedelta(0):
        raise ConfigError("MATCH_DEMAND_WINDOW", "must be longer than zero")
    _check_secret("SECRET_KEY", s.secret_key)
    if s.response_margin >= s.min_lead_time:
        raise ConfigError(
            "RESPONSE_MARGIN",
            "must be shorter than MIN_LEAD_TIME, or no invitation could be answered",
        )
    if (
        s.auth_mode == "dev"
        and not is_loopback(s.bind_host)
        and not s.insecure_dev_auth
    ):
        raise ConfigError(
            "AUTH_MODE",
            f"dev trusts identity headers from anyone, so it binds only a loopback"
            f" address, not BIND_HOST={s.bind_host}; use proxy, or set"
            f" {INSECURE_DEV_AUTH}=on to let anyone who reaches it sign in as anyone",
        )
    _check_kafka(s)
    _check_oidc(s)
    from shared import fields

    try:
        fields.load_taxonomy(s.fields_file)
    except fields.TaxonomyError as exc:
        raise ConfigError("FIELDS_FILE", str(exc)) from None


def _check_oidc(s: Settings) -> None:
    """AUTH_MODE=oidc names its provider and client; its session cookie is
    Secure, so the public address is https but on a loopback address."""
    if s.auth_mode != "oidc":
        return
    for variable, value in (
        ("OIDC_ISSUER", s.oidc_issuer),
        ("OIDC_CLIENT_ID", s.oidc_client_id),
        ("OIDC_CLIENT_SECRET", s.oidc_client_secret),
    ):
        if not value:
            raise ConfigError(variable, "is required with AUTH_MODE=oidc")
    for variable, url in (
        ("OIDC_ISSUER", s.oidc_issuer),
        ("PUBLIC_BASE_URL", s.public_base_url),
    ):
        parts = urlsplit(url)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and is_loopback(parts.hostname or "")
        ):
            raise ConfigError(variable, f"{url!r} must be https:// with AUTH_MODE=oidc")
    if "openid" not in s.oidc_scopes.split():
        raise ConfigError("OIDC_SCOPES", "must include openid")
    if s.session_lifetime < timedelta(minutes=1):
        raise ConfigError("SESSION_LIFETIME", "must be at least a minute")


def _check_kafka(s: Settings) -> None:
    """Credentials and certificates go with the protocol that uses them: one
    given to a protocol that would not send it is a mistake, not a default."""
    protocol = s.kafka_security_protocol
    sasl, tls = protocol.startswith("SASL_"), protocol.endswith("SSL")
    for variable, value in (
        ("KAFKA_SASL_USERNAME", s.kafka_sasl_username),
        ("KAFKA_SASL_PASSWORD", s.kafka_sasl_password),
    ):
        if sasl and not value:
            raise ConfigError(
                variable, f"is required with KAFKA_SECURITY_PROTOCOL={protocol}"
            )
        if value and not sasl:
            raise ConfigError(
                variable,
                f"is set but KAFKA_SECURITY_PROTOCOL={protocol} sends no credentials;"
                " use SASL_SSL (or SASL_PLAINTEXT)",
            )
    for variable, value in (
        ("KAFKA_SSL_CAFILE", s.kafka_ssl_cafile),
        ("KAFKA_SSL_CERTFILE", s.kafka_ssl_certfile),
        ("KAFKA_SSL_KEYFILE", s.kafka_ssl_keyfile),
    ):
        if value and not tls:
            raise ConfigError(
                variable,
                f"is set but KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS;"
                " use SSL or SASL_SSL",
            )
    if s.kafka_ssl_keyfile and not s.kafka_ssl_certfile:
        raise ConfigError(
            "KAFKA_SSL_KEYFILE", "is the key of KAFKA_SSL_CERTFILE, which is not set"
        )


def secret_strength(text: str) -> float:
    """log10 of the guesses `text` would take, as zxcvbn estimates them
    (words, sequences, keyboard walks and repeats found cost little; 32
    random bytes in base64, about 43)."""
    from zxcvbn import zxcvbn

    return zxcvbn(text[:100])["guesses_log10"] if text else 0.0


def _check_secret(variable: str, text: str) -> None:
    if any(word in text.lower() for word in PLACEHOLDER_WORDS):
        raise ConfigError(
            variable,
            "is a placeholder: generate one (python -m secrets, or openssl rand -base64 32)",
        )
    if secret_strength(text) < MIN_SECRET_GUESSES_LOG10:
        raise ConfigError(
            variable,
            "is too short or too guessable: give 32 random bytes"
            " (python -m secrets, or openssl rand -base64 32)",
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
