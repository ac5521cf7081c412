"""Receipts (还款) against accounts: creditor files posted by the nightly run, and the debtor's
self-service "pay now" through Alipay, WeChat Pay or a bank transfer, posted at once
(:mod:`huikuan.payments.service`; the data flow is in ``docs.md`` beside this file)."""
