"""Settings, read once from the environment (prefix ``FENGHUO_``) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fenghuo.retention import rules as retention


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FENGHUO_", extra="ignore")

    data_dir: Path = Field(
        default=Path("fenghuo-data"),
        description="Where the embedded SQLite database lives when no database URL is given.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Default: SQLite.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    cookie_secure: bool = Field(
        default=False, description="Mark the console's cookies Secure (sent over HTTPS only): "
        "turn on behind TLS; off for the embedded default at http://127.0.0.1")
    hsts: bool = Field(
        default=False, description="Send Strict-Transport-Security (a year): browsers then "
        "refuse plain HTTP to this host; turn on only when it is served over HTTPS")
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: argon2id costs for passwords (argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes; OWASP
    #: asks at least 19 MiB and 2 passes). Stored hashes carry their own costs and are rehashed
    #: at the next login when these change. The test suite lowers them to spare CPU.
    password_hash_memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    password_hash_time_cost: int = Field(default=3, ge=1, le=64)
    password_hash_parallelism: int = Field(default=4, ge=1, le=64)
    # login protection (issue 18 item 1; GB/T 22239-2019 8.1.4.1 b 登录失败处理, OWASP ASVS
    # V2.2.1): org.throttle counts failed logins in the database, shared by every process
    login_max_failures: int = Field(
        default=10, ge=0, le=1000, description="Failed logins of one account within the window "
        "that lock it (0: no per-account lockout)")
    login_max_failures_per_address: int = Field(
        default=30, ge=0, le=100_000, description="Failed logins from one client address within "
        "the window that lock the address (0: none); higher than per account, as one office "
        "may sit behind one address")
    login_failure_window_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="The window failures are counted in (fixed, "
        "from the first failure)")
    login_lockout_minutes: float = Field(
        default=15, gt=0, le=7 * 24 * 60, description="How long a locked account or address is "
        "refused (429 with Retry-After), even with the right password")
    password_min_length: int = Field(
        default=12, ge=10, le=200, description="Shortest password accepted when one is set "
        "(org.password_rules); common, trivial and username-bearing passwords are refused too")
    admin_username: str = "admin"
    admin_password: str | None = Field(
        default=None, description="Password for the first administrator; random when unset."
    )
    timezone: str = "Asia/Shanghai"
    bell_poll_seconds: int = Field(
        default=30, ge=1, le=3600, description="How often the console's notice bell asks for "
        "news (web.bell, issue 19 item 7); a page's ?bell_poll=N overrides it in that tab")
    log_json: bool = False
    # Prometheus /metrics (issue 20 item 7, docs/operations.md "Metrics")
    metrics_token: SecretStr | None = Field(
        default=None, min_length=16, description="When set (16 characters or more), /metrics "
        "answers only `Authorization: Bearer <token>` (401 otherwise); unset, /metrics is open "
        "to whoever reaches the port")
    metrics_cache_seconds: float = Field(
        default=5, ge=0, le=300, description="How long the gauges read from the database "
        "(outbox, incidents, clocks, workers, ingest) are reused between scrapes")
    metrics_timeout_seconds: float = Field(
        default=2, gt=0, le=60, description="Statement timeout of the gauges' database query "
        "(PostgreSQL); past it the scrape answers without them (fenghuo_domain_scrape_success 0)")
    # issue 21 item 4: guards under load
    statement_timeout_seconds: float = Field(
        default=10, ge=0, le=3600, description="PostgreSQL statement timeout of every HTTP "
        "request's queries (0: none); a query past it is cancelled and the request answered 503 "
        "naming the timeout. A query whose client has gone away is cancelled at once. The "
        "worker, the command line and the start-up (migrations, seeding) have none")
    worker_healthcheck_seconds: int = Field(
        default=60, ge=5, le=3600, description="With `fenghuo serve --processes N`: how long "
        "uvicorn waits for a server process's health ping before it restarts it (uvicorn's "
        "default, 5 s, restarts busy processes in a loop on a CPU-starved machine)")
    # issue 21 item 5: intake by group commit
    intake_group_commit: bool = Field(
        default=True, description="File the first reports arriving together over the API in "
        "one transaction (one statement per table and one commit for all of them), each "
        "answered once its batch has committed; off: one transaction per report")
    access_log: bool = Field(
        default=False, description="Log every HTTP request (changes are in the audit trail "
        "either way); costs a few per cent of intake throughput")
    access_log_json: bool = Field(
        default=True, description="Write the structured HTTP access log (who read what: one "
        "JSON line per request) to ACCESS_LOG_FILE, a file a day; kept by RETENTION_ACCESS_LOG_"
        "DAYS (Law art. 21(3)). Independent of ACCESS_LOG (uvicorn's plain log)")
    access_log_file: Path | None = Field(
        default=None, description="The structured access log: access.jsonl writes "
        "access-YYYY-MM-DD.jsonl beside it (China Standard Time); default <data_dir>/access.jsonl")
    # retention (issue 18 item 8): days each kind of record is kept, 0 for ever; the network
    # logs (audit, access, monitoring events) at least six months (Law art. 21(3))
    retention_audit_days: int = Field(default=365, description="Days the audit trail is kept "
                                      "(0 for ever; at least 184, Law art. 21(3))")
    retention_access_log_days: int = Field(default=184, description="Days the HTTP access log "
                                           "is kept (0 for ever; at least 184, Law art. 21(3))")
    retention_monitoring_events_days: int = Field(
        default=184, description="Days raw monitoring events are kept (0 for ever; at least "
        "184, Law art. 21(3))")
    retention_notifications_days: int = Field(
        default=365, description="Days delivered (or given-up) notifications are kept (0 for "
        "ever; a project rule)")
    grading_profile: str = Field(
        default="cac2025", description="Grading profile for new incidents: cac2025 or plan2017")
    # outbox delivery
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "fenghuo@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: Literal["none", "starttls", "implicit"] | None = Field(
        default=None, description="How the SMTP connection is protected: none, starttls (port "
        "587) or implicit (SMTPS, port 465); default: starttls when SMTP_STARTTLS is set, else "
        "none")
    smtp_ca_file: Path | None = Field(
        default=None, description="PEM file of the certificate authorities trusted for the SMTP "
        "relay's certificate (default: the system's); verification is never switched off")
    webhook_timeout: float = 5.0
    public_url: str | None = Field(
        default=None, description="The address people open Fenghuo at, e.g. "
        "https://fenghuo.example.cn: the Feishu and SMS channels link to the page of what they "
        "announce")
    # SMS through a gateway's HTTP API (notify.adapters.sms); unset URL = no SMS channel
    sms_url: str | None = Field(default=None, description="The SMS gateway's send endpoint")
    sms_token: SecretStr | None = Field(default=None, description="The gateway's API key")
    sms_token_header: str = Field(
        default="Authorization", description="Header that carries the API key; with "
        "Authorization it is sent as `Bearer <key>`, with any other header as is")
    sms_sign_name: str = Field(default="烽火", max_length=20, description="The registered "
                               "signature (短信签名) the carriers show as 【…】")
    sms_sender: str | None = Field(default=None, description="Sender id or number, if the "
                                   "gateway wants one")
    sms_template_id: str | None = Field(default=None, description="Template (模板) id for "
                                        "gateways that send templates only")
    sms_max_segments: int = Field(
        default=3, ge=1, le=10, description="At most this many SMS segments per message (70 "
        "characters for one, 67 each when longer, the signature included)")
    sms_for_phone: bool = Field(
        default=True, description="With an SMS gateway, a body whose only contacts are phone "
        "numbers is texted at its Chinese mobile numbers")
    worker: bool | None = Field(
        default=None, description="Run a delivery worker inside `fenghuo serve`; default: yes "
        "on the embedded database, no on PostgreSQL (run `fenghuo worker` there)")
    worker_threads: int = Field(default=8, ge=1, le=64)
    worker_poll_seconds: float = Field(
        default=0.1, gt=0, le=10, description="How often an idle worker looks for due "
        "notifications when nothing wakes it (SQLite; PostgreSQL while its listener is down)")
    worker_listen_poll_seconds: float = Field(
        default=5, gt=0, le=300, description="PostgreSQL: how often an idle worker whose "
        "LISTEN connection is up looks for due notifications anyway (lapsed claims of dead "
        "workers, retries other workers scheduled); a commit that enqueues wakes it at once "
        "(issue 21 item 5)")
    watchdog_seconds: float = Field(default=30, gt=0)
    worker_lease_seconds: float = Field(
        default=60, gt=0, description="How long a claimed delivery stays with its worker before "
        "another may take it over (a worker that died mid-delivery)")
    bulletin_issuer: str = Field(
        default="cn.cncert", description="The body whose weekly and monthly bulletins the "
        "worker generates and sends (Monday, the 1st; China Standard Time)")
    # candidate warnings over the monitoring aggregates (issue 15 item 6, monitoring.detection)
    candidate_provinces: int = Field(
        default=3, ge=1, description="A spread: the same indicator in at least this many "
        "provinces within the window (Plan §3.2, §3.3)")
    candidate_units: int = Field(
        default=5, ge=1, description="A spread: … or at least this many units within the window")
    candidate_window_hours: int = Field(default=24, ge=1, le=24 * 7,
                                        description="The detection window W, in hours")
    candidate_spike_factor: float = Field(
        default=3.0, gt=1, description="A spike: the window's count at least this many times the "
        "previous seven days' baseline (Law art. 54)")
    candidate_spike_min_count: int = Field(
        default=50, ge=1, description="A spike: … and at least this many events")
    candidate_cii_min_count: int = Field(
        default=1, ge=1, description="Events at a CII unit that open a candidate (Law art. 31)")
    candidate_detect_minutes: float = Field(
        default=5, gt=0, description="How often the worker runs detection (idempotent)")
    # public tips (Law art. 14 says "in time" and sets no figure: these are project rules)
    tip_decide_hours: float = Field(
        default=72, gt=0, description="Hours the holder of a public tip has to accept, transfer "
        "(移送), file or close it, from receipt and from each transfer")
    tip_close_days: float = Field(
        default=30, gt=0, description="Days to close a public tip once it is accepted")
    # personal information (Law art. 42 ¶2 says "及时", in time, and sets no figure: a project
    # rule, README "Incidents with many owners; personal information")
    pi_inform_hours: float = Field(
        default=72, gt=0, le=24 * 365, description="Hours a unit has to tell the users whose "
        "personal information leaked, from when the incident was found")
    # possible major incidents (Plan §3.3 ¶1 says "及时", in time, and sets no figure: a project
    # rule, warning.rules.DEFAULT_POSSIBLE_MAJOR_ACK_HOURS)
    possible_major_ack_hours: float = Field(
        default=1, gt=0, le=24 * 7, description="Hours the Emergency Office has to acknowledge "
        "a risk assessment by a province or department that proposes orange or red (a possible "
        "major incident, Plan §3.3 ¶1)")
    # Plan §6.2 ¶1 中央网信办…定期组织演练 says "regularly" and sets no figure: a project rule
    central_exercise_interval_months: int = Field(
        default=12, ge=1, le=120, description="Months within which the Central Cyberspace "
        "Office organizes its next exercise (Plan §6.2 ¶1); reminded a month before")
    # owner notices (通报) from monitoring (issue 16 item 2; Law arts. 51–52, Plan §3.2): the
    # texts set no figures, so these are project rules (README "Owner notices")
    notice_issuer: str = Field(default="cn.cncert", description="The body in whose name the "
                               "worker sends owner notices")
    notice_immediate_cii: bool = Field(default=True, description="Anything on a CII unit is "
                                       "notified at once (Law art. 31)")
    notice_immediate_kinds: str = Field(
        default="c2-server,backdoor", description="Event kinds notified at once when they are "
        "in a government network (comma-separated)")
    notice_government_sectors: str = Field(
        default="e-government", description="Sectors whose units run government networks "
        "(comma-separated); offices, departments and groups are government bodies anyway")
    notice_digest_hour: int = Field(default=8, ge=0, le=23, description="Hour (China Standard "
                                    "Time) the day before's digest goes out")
    notice_immediate_hours: float = Field(default=24, gt=0, description="Hours a unit has to "
                                          "report its handling (处置反馈) of an immediate notice")
    notice_digest_hours: float = Field(default=72, gt=0, description="… of a daily digest")
    notice_remind_before_hours: float = Field(default=4, ge=0, description="A reminder this "
                                              "many hours before the deadline")
    notice_office_after_hours: float = Field(
        default=24, ge=0, description="Hours past the deadline (after the overdue reminder) "
        "before the unit's local office is told")
    notice_tlp: str = Field(default="amber", description="TLP 2.0 label of owner notices")
    notice_lookback_hours: float = Field(
        default=48, gt=0, description="Batches received this recently are looked at for new "
        "notices (older ones were looked at before)")
    notice_scan_minutes: float = Field(default=1, gt=0, description="How often the worker "
                                       "looks for new notices, digests and overdue ones")
    # scale-out ingest through NATS JetStream (`fenghuo ingest --via nats`, `fenghuo
    # ingest-worker`); the embedded default needs none of it
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server(s), "
                          "comma-separated, for the ingest stream")
    nats_stream: str = Field(default="FENGHUO_EVENTS", description="JetStream stream that "
                             "buffers the ingest chunks (created if missing)")
    nats_subject: str = Field(default="fenghuo.events", description="Subject prefix: the stream "
                              "takes <prefix>.>, each feed publishes to <prefix>.<feed>")
    nats_consumer: str = Field(default="fenghuo-ingest", description="Durable pull consumer that "
                               "all ingest workers share")
    ingest_worker_batch: int = Field(default=20, ge=1, le=1000, description="Messages an ingest "
                                     "worker fetches and takes in per transaction")
    nats_ack_wait_seconds: float = Field(default=60, gt=0, description="How long a fetched "
                                         "message stays with its worker without an ack or a "
                                         "keep-alive before JetStream delivers it again")
    nats_message_lines: int = Field(default=5_000, ge=1, description="At most this many lines "
                                    "per published message (a message must fit the server's "
                                    "max_payload, 1 MB by default, compressed)")

    # signed checkpoints of the audit chain, kept outside the database (issue 18 item 6;
    # README "What the audit chain detects")
    audit_checkpoint_minutes: float = Field(
        default=60, gt=0, description="How often the worker writes a checkpoint of the audit "
        "chain's head (also `fenghuo audit checkpoint`)")
    audit_signing_key: Path | None = Field(
        default=None, description="PEM Ed25519 private key (`fenghuo audit keygen PATH`, mode "
        "0600) that signs checkpoints; keep it off the database host's backups. Unset: "
        "checkpoints are written unsigned, with a warning")
    audit_verify_key: Path | None = Field(
        default=None, description="PEM public key `fenghuo audit verify` checks checkpoint "
        "signatures with (default: derived from AUDIT_SIGNING_KEY)")
    audit_checkpoint_file: Path | None = Field(
        default=None, description="JSON-lines file the checkpoints are appended to (default: "
        "audit-checkpoints.jsonl in the data directory); put it where the database's users "
        "cannot write")
    audit_checkpoint_url: str | None = Field(
        default=None, description="A second party's URL each checkpoint is also POSTed to "
        "(JSON), so that a copy survives whoever controls this host")

    @model_validator(mode="after")
    def _argon2_memory_fits_its_lanes(self) -> Settings:
        if self.password_hash_memory_kib < 8 * self.password_hash_parallelism:
            raise ValueError("password_hash_memory_kib must be at least 8 KiB per lane "
                             "(8 × password_hash_parallelism): argon2's rule")
        return self

    @model_validator(mode="after")
    def _retention_meets_the_law(self) -> Settings:
        self.retention_policy  # noqa: B018 - refuses a period under six months (Law art. 21(3))
        return self

    @property
    def retention_policy(self) -> retention.Policy:
        """The retention periods as a policy; one under six months for a network log is
        refused (Law art. 21(3))."""
        return retention.Policy({
            retention.Kind.AUDIT: self.retention_audit_days,
            retention.Kind.ACCESS: self.retention_access_log_days,
            retention.Kind.EVENTS: self.retention_monitoring_events_days,
            retention.Kind.NOTIFICATIONS: self.retention_notifications_days})

    @property
    def access_log_path(self) -> Path:
        return self.access_log_file or self.data_dir / "access.jsonl"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fenghuo.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")

    @property
    def smtp_tls_mode(self) -> str:
        """``smtp_tls``, or what the older ``smtp_starttls`` flag says."""
        return self.smtp_tls or ("starttls" if self.smtp_starttls else "none")

    @property
    def texts_phones(self) -> bool:
        """Whether phone-only bodies are texted: an SMS gateway is set and ``sms_for_phone``."""
        return bool(self.sms_url) and self.sms_for_phone
