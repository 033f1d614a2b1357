"""What more than one service needs: the public event contracts and the plumbing
(event store, outbox relay, inbox, projections, bus) they are all built on."""
