"""The demo: a synthetic but realistic organisation and portfolio, and days of the cycle.

``catalogue.py`` holds the demo creditors, products and policies; ``synthetic.py`` generates
portfolios of any size from a seed (also used by tests and benchmarks); ``service.py`` writes
them to the configured database and simulates days through the real nightly service.
"""
