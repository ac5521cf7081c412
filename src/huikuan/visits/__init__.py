"""Field visits (外访), planned through the contact guard (see :mod:`huikuan.visits.service`)."""
