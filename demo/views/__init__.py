"""Views of the demo platform, one module per page group."""
