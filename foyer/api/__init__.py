"""The HTTP layer, and only it: dependencies, errors, view parameters read from queries,
conditional requests, the fast path, routes."""

#: Where the API is mounted: every route and the fast path's paths start with it.
API_PREFIX = "/api/v1"
