"""URL map: each area of the application lists its own routes in its module."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="firm-list", permanent=False)),
    path("", include("innexport.web.sso")),  # single sign-on, and the one logout (before accounts)
    path("", include("innexport.web.views.accounts")),
    path("", include("innexport.web.views.firms")),
    path("", include("innexport.web.views.assessments")),
    path("", include("innexport.web.views.respondents")),
    path("", include("innexport.web.views.results")),
    path("", include("innexport.web.views.reviews")),
    path("", include("innexport.web.views.whatif")),
    path("", include("innexport.web.views.share")),
    path("", include("innexport.web.views.frameworks")),
    path("", include("innexport.web.views.tokens")),
    path("", include("innexport.web.views.plans")),
    path("", include("innexport.web.views.programmes")),
    path("", include("innexport.web.views.portfolio")),
    path("", include("innexport.web.views.portfolio_promethee")),  # portfolio/promethee/ (issue 14)
    path("", include("innexport.web.views.exports")),
    path("", include("innexport.web.views.benchmark")),
    path("", include("innexport.web.views.imports")),
    path("api/", include("innexport.web.api")),
    path("admin/", admin.site.urls),
]
