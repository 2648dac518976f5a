"""E-mail delivery of one weekly report: SMTP settings from the environment, the message, sending it with retries."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from risk_assets.config.tenants import EmailDelivery
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.report.fragments import TEMPLATES_FOLDER, render_fragment
from risk_assets.report.strings import STRINGS as REPORT_STRINGS
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE
from risk_assets.vocabulary import CRIT, WARN
from risk_assets.vocabulary import REPORT_LEVELS as LEVELS

log = logging.getLogger(__name__)

TlsMode = Literal["starttls", "ssl", "none"]
_TLS_MODES: tuple[TlsMode, ...] = ("starttls", "ssl", "none")
_DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
_AUTH_MECHANISMS = ("PLAIN", "LOGIN")  # in order of preference; both are safe inside TLS
MAX_NAMED_STUDENTS = 20  # a longer list belongs in the attached report, not in a mail body

# -- words -----------------------------------------------------------------------------------------

# Words the report also uses come from the report's dictionaries, so both always say the same.
_SHARED = ("title", "week", "students", "levels", "wow_title", "new", "resolved", "persistent", "not_available")

KO = {
    **{key: REPORT_STRINGS["ko"][key] for key in _SHARED},
    "subject": "[주간 위험 보고서] {org} {week} – {week_end} · 위험 {crit} · 주의 {warn}",
    "level": "수준",
    "count": "학생 수",
    "share": "비율",
    "wow_unavailable": "비교 불가: 지난주 결과가 저장되어 있지 않습니다.",
    "crit_students": "위험 수준 학생",
    "more_students": "외 {n}명",
    "no_crit_students": "이번 주 위험 수준인 학생이 없습니다.",
    "names_notice": "학생 이름이 포함된 메일입니다. 외부로 전달하지 마세요.",
    "attachment": "전체 보고서는 첨부 파일 {name}에 있습니다. 웹 브라우저로 열어 보세요.",
}

EN = {
    **{key: REPORT_STRINGS["en"][key] for key in _SHARED},
    "subject": "[Weekly risk report] {org} {week} – {week_end} · critical {crit} · warning {warn}",
    "level": "Level",
    "count": "Students",
    "share": "Share",
    "wow_unavailable": "not available: last week's results are not stored.",
    "crit_students": "Students at critical level",
    "more_students": "and {n} more",
    "no_crit_students": "No student is at critical level this week.",
    "names_notice": "This e-mail contains student names. Please do not forward it outside the school.",
    "attachment": "The full report is attached as {name}; open it in a web browser.",
}

STRINGS = {"ko": KO, "en": EN}

_LEVEL_COLOURS = dict(zip(LEVELS, ("#c62828", "#e65100", "#2e7d32", "#558b2f", "#616161"), strict=True))
EMAIL_TEMPLATE = "email.html.j2"
DEFAULT_TEMPLATES = DEFAULT_REPORT_TEMPLATE.parent / TEMPLATES_FOLDER


# -- settings --------------------------------------------------------------------------------------

class SmtpSettings(BaseModel):
    """Where and how to send. The password is a SecretStr, so a repr or log of the settings never shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    user: str | None = None
    password: SecretStr | None = None
    sender: str = Field(min_length=3)  # the From address, e.g. "Risk reports <reports@school.example>"
    tls: TlsMode = "starttls"
    timeout: float = Field(default=30.0, gt=0)  # seconds, per connection and per reply
    ca_file: str | None = None  # PEM bundle to trust instead of the system's (private CA, self-signed test cert)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SmtpSettings | None:
        """The settings in SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_TLS, SMTP_CA_FILE;
        None without SMTP_HOST (the caller then writes to the outbox)."""
        host = _host_from_env(env)
        if host is None:
            return None
        tls = _tls_from_env(env)
        user, password = _credentials_from_env(env)
        return cls(host=host, port=_port_from_env(env, tls), user=user, password=password,
                   sender=_sender_from_env(env), tls=tls, ca_file=_ca_file_from_env(env))


def _env_value(env: Mapping[str, str], name: str) -> str | None:
    # An exported but empty variable means "not set", as in most shells' `VAR= command` idiom.
    return env.get(name, "").strip() or None


def _host_from_env(env: Mapping[str, str]) -> str | None:
    value = _env_value(env, "SMTP_HOST")
    if value is None:
        return None
    # A host name or an IPv4 address has no ':' and an IPv6 address has several; one ':' is "host:port".
    if "://" in value or "/" in value or value.count(":") == 1 or any(c.isspace() for c in value):
        raise DeliveryError(f"SMTP_HOST={value!r} is not a host name: write the name or address alone, e.g. "
                            "SMTP_HOST=smtp.school.example, with the port in SMTP_PORT and the encryption in "
                            "SMTP_TLS (starttls, ssl or none), not in a URL")
    return value


def _tls_from_env(env: Mapping[str, str]) -> TlsMode:
    value = (_env_value(env, "SMTP_TLS") or "starttls").lower()
    for mode in _TLS_MODES:
        if value == mode:
            return mode
    raise DeliveryError(
        f"SMTP_TLS={value!r} is not one of starttls, ssl, none: write SMTP_TLS=starttls (usually port 587), "
        "SMTP_TLS=ssl (usually port 465) or SMTP_TLS=none (unencrypted, only on a trusted network)"
    )


def _port_from_env(env: Mapping[str, str], tls: TlsMode) -> int:
    value = _env_value(env, "SMTP_PORT")
    if value is None:
        return _DEFAULT_PORTS[tls]
    # str.isdigit() also accepts digits such as "²" that int() refuses, hence isascii().
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
        raise DeliveryError(f"SMTP_PORT={value!r} is not a port number: write a port number 1-65535, ASCII digits, "
                            f"e.g. SMTP_PORT={_DEFAULT_PORTS[tls]} for SMTP_TLS={tls}")
    return int(value)


def _credentials_from_env(env: Mapping[str, str]) -> tuple[str | None, SecretStr | None]:
    user = _env_value(env, "SMTP_USER")
    password = env.get("SMTP_PASSWORD") or None  # not stripped: spaces may be part of a password
    if password is not None and user is None:
        raise DeliveryError("SMTP_PASSWORD is set but SMTP_USER is not: set SMTP_USER to the login name, "
                            "or unset SMTP_PASSWORD if the server needs no login")
    if user is not None and password is None:
        raise DeliveryError(f"SMTP_USER is set ({user!r}) but SMTP_PASSWORD is not: export SMTP_PASSWORD with "
                            "that user's password, or unset SMTP_USER if the server needs no login")
    # smtplib sends a login only in ASCII: anything else would fail at the first send, after the reports are made.
    if user is not None and not user.isascii():
        raise DeliveryError(f"SMTP_USER={user!r} is not ASCII: smtplib can send only ASCII login names; use the "
                            "account's ASCII login")
    if password is not None and not password.isascii():
        raise DeliveryError("SMTP_PASSWORD is not ASCII: smtplib can send only ASCII passwords; give the account "
                            "an ASCII password (or an app password)")
    return user, SecretStr(password) if password is not None else None


def _sender_from_env(env: Mapping[str, str]) -> str:
    value = _env_value(env, "SMTP_FROM")
    example = "e.g. SMTP_FROM=reports@school.example or SMTP_FROM='Risk reports <reports@school.example>'"
    if value is None:
        raise DeliveryError(f"SMTP_HOST is set but SMTP_FROM is not: export the reports' sender address, {example}")
    if not _is_mail_address(value):
        raise DeliveryError(f"SMTP_FROM={value!r} is not an e-mail address: write {example}")
    return value


def _is_mail_address(value: str) -> bool:
    if "\r" in value or "\n" in value:  # would split the From header
        return False
    local, at, domain = parseaddr(value)[1].rpartition("@")
    return bool(at and local and domain)


def _ca_file_from_env(env: Mapping[str, str]) -> str | None:
    value = _env_value(env, "SMTP_CA_FILE")
    if value is not None and not Path(value).is_file():
        raise DeliveryError(f"SMTP_CA_FILE={value!r} is not a file: point it at the PEM file of the CA that "
                            "signed the SMTP server's certificate, or unset it to trust the system's CAs")
    return value


# -- the message -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _WeekOverWeek:
    new: int
    resolved: int
    persistent: int | None  # None: fewer than three stored weeks


@dataclass(frozen=True)
class _Figures:
    total: int
    levels: dict[str, tuple[int, float]]  # level -> (count, percent)
    week_over_week: _WeekOverWeek | None  # None: last week is not stored


def delivery_message_id(delivery: ReportDelivery, generation: int, sender: str) -> str:
    """The Message-ID of a report's e-mail: the same for every try of one ledger row (week, tenant, content,
    generation), so a retry after a crash is the same message, which mail systems and clients show once."""
    return (f"<risk.{delivery.week.isoformat()}.{delivery.tenant}.{delivery.checksum[:16]}.g{generation}"
            f"@{_sender_domain(sender)}>")


def build_email(delivery: ReportDelivery, recipients: EmailDelivery, sender: str, *,
                include_student_names: bool = False, students: pd.DataFrame | None = None,
                templates: Path = DEFAULT_TEMPLATES, message_id: str | None = None,
                date: dt.datetime | None = None) -> EmailMessage:
    """The report e-mail: figures as plain text and e-mail-safe HTML, the report attached.

    Bcc addresses are deliberately not in any header: pass `recipients.recipients` (to + cc + bcc) to
    send_email as the envelope. Student names appear only with include_student_names (then `students`,
    the tenant's students table, is required). The HTML part is `templates`/email.html.j2. With a
    message_id and a date the message is byte-for-byte the same each time it is built."""
    words = _words(delivery)
    figures = _figures(delivery)
    names = _crit_student_names(students) if include_student_names else None
    subject = _subject(delivery, figures, words)

    message = EmailMessage(policy=default_policy)
    message["Subject"] = subject
    message["From"] = sender
    if recipients.to:
        message["To"] = ", ".join(recipients.to)
    if recipients.cc:
        message["Cc"] = ", ".join(recipients.cc)
    message["Date"] = format_datetime(date.astimezone(dt.UTC), usegmt=True) if date else formatdate(usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=_sender_domain(sender))
    # base64 keeps every part 7-bit clean, so servers without 8BITMIME relay the Korean text unchanged.
    message.set_content(_text_body(delivery, figures, names, words), subtype="plain", cte="base64")
    message.add_alternative(_html_body(delivery, figures, names, words, subject, templates), subtype="html",
                            cte="base64")
    message.add_attachment(delivery.report_bytes, maintype="text", subtype="html",
                           filename=delivery.attachment_name, params={"charset": "utf-8"})
    if message_id:
        _fix_boundaries(message, message_id)
    return message


def _fix_boundaries(message: EmailMessage, message_id: str) -> None:
    # The email package draws random MIME boundaries; derived from the Message-ID they repeat with it.
    # "=_" cannot occur in base64, the only encoding of every part.
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_risk_{digest}_{number}")


def _words(delivery: ReportDelivery) -> dict:
    if delivery.locale not in STRINGS:
        raise DeliveryError(f"tenant '{delivery.tenant}' has locale {delivery.locale!r}; "
                            f"e-mails exist in {', '.join(sorted(STRINGS))}")
    return STRINGS[delivery.locale]


def _figures(delivery: ReportDelivery) -> _Figures:
    summary = delivery.summary
    try:
        levels = {level: (int(summary["levels"][level]["count"]), float(summary["levels"][level]["pct"]))
                  for level in LEVELS}
        wow = summary["week_over_week"]
        week_over_week = None
        if wow["available"]:
            persistent = int(wow["persistent"]) if wow.get("persistent_available") else None
            week_over_week = _WeekOverWeek(int(wow["new_warn_or_crit"]), int(wow["resolved"]), persistent)
        return _Figures(int(summary["total_students"]), levels, week_over_week)
    except KeyError as missing:
        raise DeliveryError(f"the summary of tenant '{delivery.tenant}' week {delivery.week} has no field {missing}: "
                            "re-materialise the tenant's summary and report") from None


def _crit_student_names(students: pd.DataFrame | None) -> list[str]:
    """Names of CRIT students as "name (class)", ordered by class then name."""
    if students is None:
        raise DeliveryError("include_student_names is on but no students table was given to build_email")
    missing = {"display_name", "class_name", "level"} - set(students.columns)
    if missing:
        raise DeliveryError(f"the students table lacks the column(s) {', '.join(sorted(missing))} "
                            "needed to name the critical students")
    crit = students.loc[students["level"] == CRIT, ["class_name", "display_name"]].fillna("").astype(str)
    crit = crit.sort_values(["class_name", "display_name"])
    return [f"{name} ({class_name})" if class_name else name
            for class_name, name in crit.itertuples(index=False)]


def _subject(delivery: ReportDelivery, figures: _Figures, words: dict) -> str:
    org = " ".join(delivery.org_name.split())  # a line break in the name must not break the header
    return words["subject"].format(org=org, week=delivery.week, week_end=delivery.week_end,
                                   crit=_count(figures.levels[CRIT][0]), warn=_count(figures.levels[WARN][0]))


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _count(n: int) -> str:
    return f"{n:,}"


def _percent(pct: float) -> str:
    return f"{pct:.1f}%"


def _week_over_week_rows(week_over_week: _WeekOverWeek, words: dict) -> list[tuple[str, str]]:
    persistent = words["not_available"] if week_over_week.persistent is None else _count(week_over_week.persistent)
    return [(words["new"], _count(week_over_week.new)), (words["resolved"], _count(week_over_week.resolved)),
            (words["persistent"], persistent)]


def _shown_names(names: list[str], words: dict) -> tuple[list[str], str | None]:
    """The names listed in the body, and the "and N more" line when the list is cut."""
    rest = len(names) - MAX_NAMED_STUDENTS
    return names[:MAX_NAMED_STUDENTS], words["more_students"].format(n=rest) if rest > 0 else None


def _text_body(delivery: ReportDelivery, figures: _Figures, names: list[str] | None, words: dict) -> str:
    lines = [f"{delivery.org_name} · {words['title']}",
             f"{words['week']}: {delivery.week} – {delivery.week_end}",
             f"{words['students']}: {_count(figures.total)}", ""]
    lines += [f"{words['levels'][level]}: {_count(count)} ({_percent(pct)})"
              for level, (count, pct) in figures.levels.items()]
    lines += ["", words["wow_title"]]
    if figures.week_over_week is None:
        lines.append(words["wow_unavailable"])
    else:
        lines += [f"{label}: {value}" for label, value in _week_over_week_rows(figures.week_over_week, words)]
    engagement = delivery.engagement_figure()
    if engagement is not None:
        lines += ["", "{}: {}".format(*engagement)]
    if names is not None:
        lines += ["", words["crit_students"], words["names_notice"]]
        shown, more = _shown_names(names, words)
        lines += [f"- {name}" for name in shown] or [words["no_crit_students"]]
        lines += [more] if more else []
    lines += ["", words["attachment"].format(name=delivery.attachment_name)]
    return "\n".join(lines) + "\n"


def _html_body(delivery: ReportDelivery, figures: _Figures, names: list[str] | None, words: dict,
               subject: str, templates: Path) -> str:
    """quarto/templates/email.html.j2 (or the school's copy), with the figures as display strings."""
    shown, more = _shown_names(names, words) if names is not None else (None, None)
    wow = None if figures.week_over_week is None else _week_over_week_rows(figures.week_over_week, words)
    return render_fragment(
        templates, EMAIL_TEMPLATE, words=words, subject=subject, locale=delivery.locale, org_name=delivery.org_name,
        week=str(delivery.week), week_end=str(delivery.week_end), total=_count(figures.total),
        levels=[{"level": level, "colour": _LEVEL_COLOURS[level], "count": _count(count), "share": _percent(pct)}
                for level, (count, pct) in figures.levels.items()],
        week_over_week=wow, engagement=delivery.engagement_figure(), names=shown, more=more,
        crit_colour=_LEVEL_COLOURS[CRIT],
        attachment=words["attachment"].format(name=delivery.attachment_name),
    )


# -- sending ---------------------------------------------------------------------------------------

class RecipientsRefused(DeliveryError):
    """The server accepted the message for some recipients and refused the others."""

    def __init__(self, text: str, accepted: list[str], refused: dict[str, str]):
        super().__init__(text)
        self.accepted = accepted
        self.refused = refused  # address -> the server's reply, e.g. "550 5.1.1 No such user here"


def send_email(settings: SmtpSettings, message: EmailMessage, envelope_to: Sequence[str], *,
               attempts: int = 3, backoff_seconds: float = 1.0, on_attempt: Callable[[], None] = lambda: None) -> str:
    """Sends `message` to `envelope_to` (to + cc + bcc) and returns its Message-ID.

    Transient failures (refused or reset connections, timeouts, disconnects, 4xx replies) are retried
    after backoff_seconds · 2^k; permanent ones (login, TLS, 5xx) raise DeliveryError at once, and a
    message accepted for only some recipients raises RecipientsRefused. on_attempt is called before
    each connection."""
    message_id = message["Message-ID"]
    if message_id is None:
        raise ValueError("the message has no Message-ID; build it with build_email")
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    if not envelope_to:
        raise _failure(settings, "there is no recipient: configure delivery.email.to, cc or bcc for the tenant")
    context = _tls_context(settings)
    reason = ""  # of the last transient failure
    for attempt in range(attempts):
        if attempt:
            delay = backoff_seconds * 2 ** (attempt - 1)
            log.warning("e-mail via %s:%s failed (%s); attempt %d of %d in %.1f s", settings.host, settings.port,
                        reason, attempt + 1, attempts, delay)
            time.sleep(delay)
        on_attempt()
        try:
            refused = _send_once(settings, context, message, envelope_to)
        except (smtplib.SMTPException, OSError) as error:
            if not _is_transient(error):
                raise _permanent_failure(settings, error) from None
            reason = _describe(error, settings)
            continue
        if refused:
            text = _failure(settings, f"the message was delivered to {len(envelope_to) - len(refused)} of "
                                      f"{len(envelope_to)} recipients; refused: {_describe_refused(refused)}")
            replies = {address: _scrub(f"{code} {_reply_text(reply)}", settings)
                       for address, (code, reply) in refused.items()}
            raise RecipientsRefused(str(text), [a for a in envelope_to if a not in refused], replies)
        return str(message_id)
    raise _failure(settings, f"gave up after {attempts} attempts: {reason}")


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.tls == "none":
        return None
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except OSError as error:  # includes ssl.SSLError for a file that is not PEM
        raise _failure(settings, f"cannot use SMTP_CA_FILE {settings.ca_file!r} ({error}): point it at the PEM "
                                 "file of the CA that signed the server's certificate") from None


def _send_once(settings: SmtpSettings, context: ssl.SSLContext | None, message: EmailMessage,
               envelope_to: Sequence[str]) -> dict[str, tuple[int, bytes]]:
    """One connection: TLS, login, send. Returns the recipients the server refused while accepting others."""
    client = _connect(settings, context)
    try:
        if settings.tls == "starttls":
            _start_tls(client, settings, context)
        if settings.user:
            _login(client, settings)
        return client.send_message(message, to_addrs=list(envelope_to))
    finally:
        _close(client)


def _connect(settings: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _start_tls(client: smtplib.SMTP, settings: SmtpSettings, context: ssl.SSLContext | None) -> None:
    client.ehlo()
    if not client.has_extn("starttls"):
        raise _failure(settings, "the server does not offer STARTTLS: use SMTP_TLS=ssl (usually port 465), "
                                 "or SMTP_TLS=none only on a trusted network")
    client.starttls(context=context)


def _login(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    # One AUTH exchange with one mechanism: smtplib's login() would repeat a wrong password with every
    # mechanism the server offers, which counts double against lockout limits.
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth"):
        raise _failure(settings, "the server offers no login (AUTH) on this connection: many servers offer it "
                                 "only after STARTTLS (SMTP_TLS=starttls); if it needs no login, unset SMTP_USER "
                                 "and SMTP_PASSWORD")
    offered = client.esmtp_features["auth"].upper().split()
    mechanism = next((m for m in _AUTH_MECHANISMS if m in offered), None)
    if mechanism is None:
        raise _failure(settings, f"the server offers login only by {', '.join(offered)}; "
                                 f"supported are {', '.join(_AUTH_MECHANISMS)}")
    # auth_plain / auth_login read the credentials from these attributes (documented for SMTP.auth).
    assert settings.user is not None  # send_email logs in only when SMTP_USER is set
    client.user = settings.user
    client.password = settings.password.get_secret_value() if settings.password else ""
    client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))  # ASCII: checked in from_env


def _close(client: smtplib.SMTP) -> None:
    # The message may already be accepted: a failing QUIT must not turn into an error and a resend.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _is_transient(error: Exception) -> bool:
    """Refused or reset connections, timeouts, disconnects and 4xx replies may heal by themselves;
    TLS and name resolution failures and 5xx replies will not."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    return isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError))


def _permanent_failure(settings: SmtpSettings, error: Exception) -> DeliveryError:
    reason = _describe(error, settings)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryError(_scrub(
            f"SMTP login failed for user {settings.user!r} at {settings.host}:{settings.port}: "
            f"check SMTP_USER / SMTP_PASSWORD (server said: {reason})", settings))
    if isinstance(error, ssl.SSLCertVerificationError):
        return _failure(settings, f"the server's TLS certificate could not be verified ({error.verify_message}): "
                                  "if the server uses a private CA or a self-signed certificate, set SMTP_CA_FILE "
                                  "to that CA's PEM file")
    if isinstance(error, ssl.SSLError):
        return _failure(settings, f"TLS with the server failed ({reason}): check SMTP_TLS "
                                  "(ssl for implicit TLS, usually port 465; starttls for port 587)")
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _failure(settings, f"the server refused the sender {error.sender!r} ({reason}): check SMTP_FROM")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _failure(settings, f"the server refused every recipient: {reason}")
    if isinstance(error, socket.gaierror):
        return _failure(settings, f"the host name cannot be resolved ({reason}): check SMTP_HOST")
    return _failure(settings, f"the message was not accepted: {reason}")


def _describe(error: Exception, settings: SmtpSettings) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return _scrub(f"{error.smtp_code} {_reply_text(error.smtp_error)}", settings)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _scrub(_describe_refused(error.recipients), settings)
    return _scrub(str(error) or type(error).__name__, settings)


def _describe_refused(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {_reply_text(reply)})" for address, (code, reply) in refused.items())


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _failure(settings: SmtpSettings, reason: str) -> DeliveryError:
    login = f"user {settings.user!r}" if settings.user else "no login"
    return DeliveryError(_scrub(f"e-mail via {settings.host}:{settings.port} ({login}) failed: {reason}", settings))


def _scrub(text: str, settings: SmtpSettings) -> str:
    """Servers and libraries may echo what they were sent; the password never leaves this module."""
    password = settings.password.get_secret_value() if settings.password else ""
    return text.replace(password, "********") if password else text
