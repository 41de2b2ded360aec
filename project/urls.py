"""Root URLs: the REST API under /api/, the schema, the admin and the browser pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts.forms import LoginForm
from apps.common.converters import IdConverter
from apps.digests.urls import page_urlpatterns as digest_pages

register_converter(IdConverter, "id")

api_patterns: list[URLPattern | URLResolver] = [
    path("", include("apps.accounts.urls")),
    path("", include("apps.friends.urls")),
    path("", include("apps.posts.urls")),
    path("", include("apps.direct_messages.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.digests.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("digests/", include((digest_pages, "digests"))),
    path("", include("apps.web.urls")),
]

handler400 = "apps.common.views.bad_request"
handler404 = "apps.common.views.not_found"
handler500 = "apps.common.views.server_error"
