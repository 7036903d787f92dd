"""``core.choices.choice_labels`` gives ``get_FOO_display()``'s text."""

from __future__ import annotations

from django.utils import translation

from afterglow.core.choices import choice_labels
from afterglow.patients.models import CareStatus, Patient, TraumaContext
from afterglow.schedules.models import Channel, Delivery, Invitation, InvitationStatus


def test_every_label_is_the_one_get_display_gives() -> None:
    cases = [
        (CareStatus, Patient, "status"),
        (TraumaContext, Patient, "trauma_context"),
        (InvitationStatus, Invitation, "status"),
        (Channel, Delivery, "channel"),
    ]
    for choices, model, field in cases:
        labels = choice_labels(choices)
        assert len(labels) == len(choices.values) > 1
        for value in choices.values:
            shown = getattr(model(**{field: value}), f"get_{field}_display")()
            assert labels[value] == shown and isinstance(labels[value], str)
    assert choice_labels(Channel)["sms"] == "Text message"


def test_a_value_outside_the_choices_is_its_own_label_as_in_django() -> None:
    labels = choice_labels(InvitationStatus)
    assert labels["archived"] == Invitation(status="archived").get_status_display()
    assert "archived" not in labels  # not added to the shared mapping


def test_labels_follow_the_active_language(monkeypatch) -> None:
    """Kept per language: a label translated in another language is looked up again."""
    from afterglow.core import choices as module

    module._labels.cache_clear()
    seen: list[str | None] = []
    real = module._labels.__wrapped__

    def counting(choices, language):
        seen.append(language)
        return real(choices, language)

    monkeypatch.setattr(module, "_labels", module.lru_cache(maxsize=8)(counting))
    choice_labels(Channel)
    choice_labels(Channel)
    with translation.override("de"):
        assert choice_labels(Channel)["email"] == Delivery(channel="email").get_channel_display()
    assert seen == ["en", "de"]
