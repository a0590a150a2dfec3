"""(being written) Results page, PDF and JSON downloads, comparison with earlier assessments."""

from django.http import HttpResponse
from django.urls import path


def _todo(request, pk):  # noqa: ANN001, ANN202
    return HttpResponse(status=501)


urlpatterns = [path("assessments/<int:pk>/results/", _todo, name="assessment-results")]
