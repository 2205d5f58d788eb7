"""The product's URLs, plus the bare view the webhook is compared with."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench import BARE_PATH
from config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare(request):
    """Only answers 200: the floor of what a request through this server and Django costs."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path(BARE_PATH, bare, name="bench_bare"), *product_urlpatterns]
