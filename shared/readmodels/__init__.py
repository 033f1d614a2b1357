"""Read models: projectors, their durable positions, parked events."""
