"""The REST API for upstream systems and review tools, versioned under /api/v1/."""
