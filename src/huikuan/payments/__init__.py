"""Receipts (还款) against accounts, posted by the nightly run in the order they arrived."""
