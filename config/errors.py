"""The 500 page with the site's navigation when it can be drawn.

Django's own handler draws ``500.html`` without the request, so the page loses the menu and the
signed-in user. Drawing them needs the database (the workspace menu), which may be the very thing
that failed: then the page is drawn without them rather than not at all.
"""

import logging

from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error

log = logging.getLogger(__name__)


@requires_csrf_token
def handler500(request):
    try:
        body = loader.render_to_string("500.html", request=request)
    except Exception:  # the failure may be in what the navigation reads; fall back to the bare page
        log.warning("500 page drawn without navigation", exc_info=True)
        return server_error(request)
    return HttpResponseServerError(body)
