"""Fenghuo: network-security monitoring, early warning, notification and emergency response."""

__version__ = "0.1.0"
