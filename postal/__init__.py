"""postal: pickup and delivery of administrative dossiers through the public postal service."""

__version__ = "0.1.0"
