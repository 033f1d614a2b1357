"""The HTTP edge: input checks, identity, access policy, errors, OpenAPI."""
