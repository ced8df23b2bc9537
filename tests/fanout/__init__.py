"""Tests of the fan-out's fast paths."""
