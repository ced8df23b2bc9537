"""A host app of the services suite: registers the kinds its tests send (``kinds``), in workers as in the test."""
