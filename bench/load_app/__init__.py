"""The load benchmark's server side: the project's settings and URLs plus a constant baseline view."""
