"""(being written) Starting a diagnostic, the guided questionnaire and autosave."""

from django.http import HttpResponse
from django.urls import path


def _todo(request, pk, page=None):  # noqa: ANN001, ANN202
    return HttpResponse(status=501)


urlpatterns = [
    path("firms/<int:pk>/assessments/new/", _todo, name="assessment-start"),
    path("assessments/<int:pk>/", _todo, name="assessment-questionnaire"),
]
