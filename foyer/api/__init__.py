"""HTTP layer: routes, request/response schemas, errors, dependencies, pagination."""
