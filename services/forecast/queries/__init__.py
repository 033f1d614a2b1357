"""Every read forecast's API answers, from its projections (services/forecast/projections.py):
`pipeline` the weighted forecast (now or as of an instant), `reports` the management reports,
`changes` why the forecast moved between two instants."""
