"""The creditor portal: what a creditor client sees of its own portfolio, the files it sends,
and the API tokens its systems use (see :mod:`huikuan.portal.service` and
:mod:`huikuan.portal.tokens`)."""
