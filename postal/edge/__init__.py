"""The HTTP edge shared by the API (``postal.api``) and the pages (``postal.web``).

Both layers import from here, never from each other; the edge sits above the services:

- :mod:`postal.edge.keys`: every ``web.AppKey`` the app holds (settings, pool, the one clock, caches, …).
- :mod:`postal.edge.problems`: the RFC 9457 problem body of a :class:`postal.errors.PostalError`.
- :mod:`postal.edge.headers`: who gets a page and who gets JSON, the security headers of every answer,
  and the headers of private (signed-in or personal) answers.
- :mod:`postal.edge.session`: the session cookie's name, the CSRF check, the request's client address
  (the rule itself is :func:`postal.domain.network.client_address`).
- :mod:`postal.edge.middleware`: request ids, access log and metrics, and the one error middleware that
  renders every error as problem+json (API) or as a Vietnamese HTML page (pages).
"""
