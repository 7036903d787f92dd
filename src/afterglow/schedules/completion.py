"""Complete an invitation when the patient answers through one of its links.

Called by ``instruments.services.personal_link_submit`` in the transaction that stores
the response, so a response through an invitation's link is never stored without the
invitation becoming completed. Kept apart from ``schedules.services`` so the
instruments app can import it without an import cycle.
"""

from __future__ import annotations

from django.utils import timezone

from afterglow.instruments.models import PersonalLink, Response
from afterglow.schedules.models import Delivery, Invitation, InvitationStatus


def invitation_complete_for_link(*, link: PersonalLink, response: Response) -> Invitation | None:
    """Mark the invitation that sent ``link`` completed by ``response``; revoke its other links.

    An invitation sends a fresh link with each reminder; the first one used completes it
    and the others stop working, so it is answered once. None for a link no invitation
    sent (one made by staff on the patient's page).
    """
    invitation_id = (
        Delivery.objects.filter(personal_link=link).values_list("invitation_id", flat=True).first()
    )
    if invitation_id is None:
        return None
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    if invitation.status != InvitationStatus.SENT:
        return invitation  # the response is stored either way; nothing to complete
    now = timezone.now()
    invitation.status = InvitationStatus.COMPLETED
    invitation.status_reason = ""
    invitation.status_changed_at = now
    invitation.completed_at = now
    invitation.response = response
    invitation.save(
        update_fields=["status", "status_reason", "status_changed_at", "completed_at", "response"]
    )
    others = Delivery.objects.filter(invitation=invitation, personal_link__isnull=False).exclude(
        personal_link=link
    )
    PersonalLink.objects.filter(pk__in=others.values("personal_link_id")).usable().update(
        revoked_at=now
    )
    return invitation
