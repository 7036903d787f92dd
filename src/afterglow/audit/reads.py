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

A view that reads the object anyway can hand the decorator its access helper as
``load`` (e.g. ``load=lambda m, pk: get_patient_for(m, pk, related=("intake",))``): the
decorator then reads the object once with it instead of looking its patient id up
(another clinic's object answers 404 there, with no event, as before) and the view
takes it with :func:`audited_object` instead of reading it again (issue 13 §2).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import models, transaction
from django.http import HttpRequest, HttpResponseBase

from afterglow.audit.models import Action
from afterglow.audit.services import audit_record

M = TypeVar("M", bound=models.Model)
View = Callable[..., HttpResponseBase]
Loader = Callable[[Any, Any], models.Model]
READ_METHODS = frozenset({"GET", "HEAD"})
#: Where the decorator leaves the object its ``load`` read, for the view.
_LOADED = "_audited_object"


def audited_object(request: HttpRequest, model: type[M]) -> M | None:
    """The ``model`` object ``@audited_read(load=...)`` read for this request (None when
    it read none: a POST, or the view called without the decorator)."""
    obj = getattr(request, _LOADED, None)
    return obj if isinstance(obj, model) else None


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
    load: Loader | None = None,
) -> Callable[[View], View]:
    """Record one ``action`` event per GET of the decorated view.

    ``model`` and ``kwarg`` name the object shown (its patient is found from it);
    without ``model`` the page is an aggregate of the clinic (clinic report, export)
    and the event names the clinic only. ``keep_query`` keeps the query string as
    the event's note (an export's cohort filters); leave it off where the query could
    hold a name (the patient search). ``load(membership, pk)`` reads the object for
    the view too (module docstring).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = getattr(request, "membership", None)
            if request.method in READ_METHODS and membership:
                if load is not None and model is not None:
                    _record_loaded(request, membership, kwargs)
                else:
                    _record(request, membership.clinic_id, kwargs)
            return view(request, *args, **kwargs)

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
            if not found:
                return  # not this clinic's: the view's access helper answers 404
            audit_record(
                action=action,
                request=request,
                clinic=clinic_id,
                patient=patient_id,
                object_type=object_type,
                object_id=object_id,
            )

        def _record_loaded(request: HttpRequest, membership: Any, kwargs: dict[str, Any]) -> None:
            assert load is not None and model is not None
            object_id = kwargs.get(kwarg)
            obj = load(membership, object_id)  # another clinic's: 404, no event
            setattr(request, _LOADED, obj)
            audit_record(
                action=action,
                request=request,
                clinic=membership.clinic_id,
                patient=obj.pk if model._meta.model_name == "patient" else obj.patient_id,  # type: ignore[attr-defined]
                object_type=object_type,
                object_id=object_id,
            )

        return transaction.non_atomic_requests(wrapped)

    return decorator
