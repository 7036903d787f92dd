"""``make bench-web``'s URLs: Afterglow's, plus ``/bench/bare/``, a view that does
nothing, behind the same middleware (the floor every page is measured against)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from afterglow.urls import urlpatterns as afterglow_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *afterglow_urlpatterns]
