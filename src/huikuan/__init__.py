"""Huikuan (回款): a compliance-first debt-collection platform."""

__version__ = "0.1.0"
