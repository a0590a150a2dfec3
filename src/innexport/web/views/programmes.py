"""Support programmes in the web app (being built): routes are declared so links resolve."""

from django.http import HttpResponse
from django.urls import path

from innexport.web.tenancy import member_required


@member_required
def _todo(request, pk=None):  # noqa: ANN001, ANN202
    return HttpResponse(status=404)


urlpatterns = [
    path("programmes/", _todo, name="programme-list"),
]
