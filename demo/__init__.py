"""The demo platform: a small course site (forum, updates, grading) that shows the product working."""
