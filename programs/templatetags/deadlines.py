"""``{% deadline %}``: a moment in the program's time zone, with the reader's own time beside it.

Deadlines are set in the program's time zone and shown in it first (it is the one that counts).
A signed-in reader whose time zone (on the profile) is another sees their own time beside it;
for anyone else ``static/js/local_time.js`` adds the browser's, as the page loads. Formats follow
the active language (Django's ``DATETIME_FORMAT`` of each locale).
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

register = template.Library()


def reader_zone(user: Any) -> zoneinfo.ZoneInfo | None:
    """The time zone on a signed-in user's profile, if any: where their own time is read."""
    name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


# (language, moment, program's zone, reader's zone, show_zone) → its HTML, written once per
# process: lists of cards format the same few deadlines in two time zones on every view, a
# twelfth of the catalog's Python function calls and a twentieth of My matches'. (Nothing else
# changes what it writes; how long is left is not part of it.)
_deadline_html: dict[tuple[Any, ...], SafeString] = {}
_DEADLINE_HTML_SIZE = 4096


def deadline_html(
    moment: datetime.datetime,
    zone_name: str,
    reader: zoneinfo.ZoneInfo | None,
    *,
    show_zone: bool = True,
) -> SafeString:
    """``moment`` in the program's zone ``zone_name``, with the reader's own time beside it:
    ``reader``'s when known, else the browser's (``local_time.js``)."""
    key = (translation.get_language(), moment, zone_name, reader, show_zone)
    html = _deadline_html.get(key)
    if html is None:
        if len(_deadline_html) >= _DEADLINE_HTML_SIZE:
            _deadline_html.clear()
        html = _deadline_html[key] = _written(moment, zone_name, reader, show_zone=show_zone)
    return html


def _written(
    moment: datetime.datetime,
    zone_name: str,
    reader: zoneinfo.ZoneInfo | None,
    *,
    show_zone: bool,
) -> SafeString:
    zone = zoneinfo.ZoneInfo(zone_name)
    there = timezone.localtime(moment, zone)
    text = formats.date_format(there, "DATETIME_FORMAT")
    if show_zone:
        text = f"{text} ({zone_name})"
    if reader is None:
        return format_html(
            '<time datetime="{}" data-zone="{}" data-local="{}">{}</time>',
            there.isoformat(),
            zone_name,
            _("your time: %(when)s"),
            text,
        )
    here = timezone.localtime(moment, reader)
    html = format_html('<time datetime="{}">{}</time>', there.isoformat(), text)
    if here.utcoffset() != there.utcoffset():
        html += format_html(
            ' <span class="local-time">({})</span>',
            _("your time: %(when)s") % {"when": formats.date_format(here, "DATETIME_FORMAT")},
        )
    return html


@dataclass(frozen=True, slots=True)
class Deadline:
    """A program's next deadline as a card of a list writes it: its label ("Next deadline
    (Applications):"), the moment as ``{% deadline %}`` writes it, and how long is left ("in 29
    days, 23 hours"). Written in the view: for a list of cards, the tags, filters and
    translations of each card cost a sixth to a third of the page."""

    label: str
    html: SafeString
    remaining: str

    @classmethod
    def at(
        cls,
        moment: datetime.datetime,
        zone_name: str,
        reader: zoneinfo.ZoneInfo | None,
        *,
        stage: str | None = None,
    ) -> "Deadline":
        """``moment`` in the program's zone ``zone_name`` for ``reader`` (``reader_zone``); the
        label names ``stage``, the stage closing then, when given."""
        return cls(
            label=(
                _("Next deadline (%(stage)s):") % {"stage": stage} if stage else _("Next deadline:")
            ),
            html=deadline_html(moment, zone_name, reader),
            remaining=_("in %(remaining)s") % {"remaining": timeuntil(moment)},
        )


@register.simple_tag(takes_context=True)
def deadline(
    context: template.Context, moment: datetime.datetime | None, zone_name: str, **options: Any
) -> SafeString | str:
    """``{% deadline stage.closes_at program.owner.time_zone %}``; ``show_zone=False`` leaves
    the zone's name out where the page states it once."""
    if moment is None:
        return ""
    request = context.get("request")
    return deadline_html(
        moment,
        zone_name,
        reader_zone(getattr(request, "user", None)),
        show_zone=options.get("show_zone", True),
    )
