"""The HTTP edge shared by the API (``postal.api``) and the pages (``postal.web``).

Both layers import from here, never from each other; the edge sits above the services:

- :mod:`postal.edge.problems`: the RFC 9457 problem body of a :class:`postal.errors.PostalError`.
- :mod:`postal.edge.headers`: who gets a page and who gets JSON, the security headers of every answer,
  and the headers of private (signed-in or personal) answers.
- :mod:`postal.edge.session`: the session cookie's name, the CSRF check, the client-address rule.
- :mod:`postal.edge.middleware`: request ids, access log and metrics, and the one error middleware that
  renders every error as problem+json (API) or as a Vietnamese HTML page (pages).
"""
