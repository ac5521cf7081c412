"""Letters: PDF rendering, required elements, the spooling channel."""
