"""The entry points: the HTTP application of one or all services, and the `crm` command."""
