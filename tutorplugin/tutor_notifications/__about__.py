"""Version of the tutor-contrib-platform-notifications distribution."""

__version__ = "0.1.0"
