"""Tests of collection strategies."""
