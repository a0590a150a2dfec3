"""The portfolio view (being built): routes are declared so links resolve."""

from django.http import HttpResponse
from django.urls import path

from innexport.web.tenancy import member_required


@member_required
def _todo(request):  # noqa: ANN001, ANN202
    return HttpResponse(status=404)


urlpatterns = [
    path("portfolio/", _todo, name="portfolio"),
]
