"""The agent's availability switch (Online / Away / Offline) at the top of the sidebar.

A plain form POST with post/redirect/get, like every other change in the inbox: with htmx the
boosted `#app` swaps in the fresh page, so the list shows at once what going offline handed
back or coming online brought in.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from webcare.accounts.access import access_membership
from webcare.accounts.actions import do_set_availability
from webcare.core.errors import ActionError
from webcare.web.lookups import request_user


@login_required
@require_POST
def set_availability(request: HttpRequest, account_id: int) -> HttpResponse:
    membership = access_membership(request_user(request), account_id)
    try:
        do_set_availability(membership, request.POST.get("availability", ""))
    except ActionError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("web:conversations", args=[account_id])
    return HttpResponseRedirect(back, status=303)
