"""API views by resource: thin, every write through documents.services or reviews.services."""
