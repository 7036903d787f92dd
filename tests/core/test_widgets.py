"""PlainSelect writes what Django's Select writes, without a template per option;
pk_links gives what reverse() gives (issue 13 §2)."""

from __future__ import annotations

from html.parser import HTMLParser

from django import forms
from django.urls import reverse

from afterglow.core.links import pk_links
from afterglow.core.widgets import PlainSelect

CHOICES = [
    ("Session", [("dose_mg", "Dose (mg)"), ("started_at", "Dose started <at>")]),
    ("Vitals at 40 min", [("vitals:7:systolic", "Vitals at 40 min: systolic & more")]),
    ("loose", "A choice outside any group"),
]


class _Parsed(HTMLParser):
    """Tags with their attributes in any order and text without the whitespace Django's
    template puts between tags: what the browser sees."""

    def __init__(self, html: str, name: str) -> None:
        super().__init__()
        self.name, self.items = name, []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fixed = [(k, (v or "").replace(self.name, "NAME")) for k, v in attrs]
        self.items.append((tag, tuple(sorted(fixed))))

    def handle_endtag(self, tag: str) -> None:
        self.items.append(("/" + tag, ()))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.items.append(("text", ((data, ""),)))


def _tags(html: str, name: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return _Parsed(html, name).items


class Both(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, widget=PlainSelect)
    django = forms.ChoiceField(choices=CHOICES)


def test_plain_select_renders_the_same_markup_as_djangos_select() -> None:
    for data in (
        {"plain": "started_at", "django": "started_at"},
        {},
        {"plain": "x", "django": "x"},
    ):
        form = Both(data or None)
        form.is_valid()
        plain, django = str(form["plain"]), str(form["django"])
        assert _tags(plain, "plain") == _tags(django, "django")
        assert plain.count("<option") == 4
    plain = str(Both({"plain": "vitals:7:systolic"})["plain"])
    assert '<option value="vitals:7:systolic" selected>' in plain
    assert "Dose started &lt;at&gt;" in plain and "systolic &amp; more" in plain


def test_pk_links_give_what_reverse_gives() -> None:
    link = pk_links("schedules:send_now")
    for pk in (1, 42, 987654321, 10**12):
        assert link(pk) == reverse("schedules:send_now", args=[pk])


def test_the_pk_url_tag_gives_what_the_url_tag_gives() -> None:
    from django.template import engines

    django_engine = engines["django"]
    html = django_engine.from_string(
        "{% load pk_urls %}{% pk_url 'dosing:session' 7 %}|{% url 'dosing:session' 7 %}"
        "|{% pk_url 'therapy:detail' 12 as u %}{{ u }}|{% url 'therapy:detail' 12 %}"
    ).render({})
    fast, slow, fast_as, slow_as = html.split("|")
    assert fast == slow == reverse("dosing:session", args=[7])
    assert fast_as == slow_as == reverse("therapy:detail", args=[12])
