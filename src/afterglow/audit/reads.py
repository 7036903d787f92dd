"""``@audited_read``: one decorator per page or export that shows patient data.

Put it *inside* ``staff_required`` (so only a member whose role may open the page
gets this far)::

    @staff_required(capability=Capability.CLINICAL_RECORD)
    @audited_read("chart", model=Patient)
    def patient_chart(request, pk): ...

Before the view runs, the decorator finds the object in the member's clinic (one
query, ``values_list`` of its patient id) and appends a ``read`` event in its own
transaction, so the event stands even when the page fails afterwards. An object
of another clinic gets no event: the view's access helper answers 404 as before.
The view is also marked ``non_atomic_requests``: with ``ATOMIC_REQUESTS`` on, a
failing page would otherwise roll its own read event back.

A page that reads its object with its access helper anyway can hand the helper to
the decorator instead (``load=get_session_for``): the decorator calls it (404 for an
object of another clinic, before any event), takes the patient from the object it
returned, and passes that object to the view as ``obj``. The same event, one query
less (issue 13 §2).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponseBase

from afterglow.audit.models import Action
from afterglow.audit.services import audit_record

View = Callable[..., HttpResponseBase]
READ_METHODS = frozenset({"GET", "HEAD"})


def _patient_id(model: type[models.Model], pk: Any, clinic_id: int) -> tuple[bool, int | None]:
    rows = model._base_manager.filter(pk=pk, clinic_id=clinic_id)
    if model._meta.model_name == "patient":
        found = rows.values_list("pk", flat=True).first()
        return found is not None, found
    hit = rows.values_list("pk", "patient_id").first()
    return (hit is not None, hit[1] if hit else None)


def audited_read(
    object_type: str,
    *,
    model: type[models.Model] | None = None,
    kwarg: str = "pk",
    action: str = Action.READ,
    keep_query: bool = False,
    load: Callable[[Any, Any], models.Model] | None = None,
) -> Callable[[View], View]:
    """Record one ``action`` event per GET of the decorated view.

    ``model`` and ``kwarg`` name the object shown (its patient is found from it);
    without ``model`` the page is an aggregate of the clinic (clinic report, export)
    and the event names the clinic only. ``keep_query`` keeps the query string as
    the event's note (an export's cohort filters); leave it off where the query could
    hold a name (the patient search). ``load(membership, kwargs[kwarg])`` is the page's
    access helper: the object it returns (it raises 404 otherwise) is the object shown,
    recorded like ``model``'s and passed to the view as ``obj``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = getattr(request, "membership", None)
            if load is not None:
                if not membership:  # staff_required answers first; never a page without one
                    raise Http404("No clinic membership")
                obj = load(membership, kwargs[kwarg])
                if request.method in READ_METHODS:
                    _record_loaded(request, membership.clinic_id, obj, kwargs)
                return view(request, *args, obj=obj, **kwargs)
            if request.method in READ_METHODS and membership:
                _record(request, membership.clinic_id, kwargs)
            return view(request, *args, **kwargs)

        def _record_loaded(
            request: HttpRequest, clinic_id: int, obj: models.Model, kwargs: dict[str, Any]
        ) -> None:
            # The object already read: its patient without a lookup.
            is_patient = obj._meta.model_name == "patient"
            patient_id = obj.pk if is_patient else obj.patient_id  # type: ignore[attr-defined]
            _append(request, clinic_id, patient_id, kwargs.get(kwarg))

        def _record(request: HttpRequest, clinic_id: int, kwargs: dict[str, Any]) -> None:
            if model is None:
                audit_record(
                    action=action,
                    request=request,
                    clinic=clinic_id,
                    object_type=object_type,
                    note=request.META.get("QUERY_STRING", "")[:300] if keep_query else "",
                )
                return
            object_id = kwargs.get(kwarg)
            found, patient_id = _patient_id(model, object_id, clinic_id)
            if found:  # else not this clinic's: the view's access helper answers 404
                _append(request, clinic_id, patient_id, object_id)

        def _append(
            request: HttpRequest, clinic_id: int, patient_id: int | None, object_id: Any
        ) -> None:
            audit_record(
                action=action,
                request=request,
                clinic=clinic_id,
                patient=patient_id,
                object_type=object_type,
                object_id=object_id,
            )

        return transaction.non_atomic_requests(wrapped)

    return decorator
