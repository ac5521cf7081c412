"""Reports for creditors and regulators: the overdue report and the monthly creditor PDF.

Data flow: the ``accounts`` table (open accounts, current balances in fen) →
:func:`huikuan.reports.overdue.overdue_report` (counts and balances by product × 账龄 bucket,
per-product subtotals and a grand total, one polars frame) → table / CSV / XLSX with zh/en
headers. :func:`huikuan.reports.monthly.creditor_month` adds placements, payments and the
creditor's remittance statement (:func:`huikuan.compensation.service.remittance_statements`)
for one month; :func:`huikuan.reports.monthly.render_pdf` lays it out with the letters' approach
(Jinja2 HTML + CSS → WeasyPrint, WenQuanYi Micro Hei, deterministic bytes). The CLI
(:mod:`huikuan.reports.cli`) is meant to be mounted as ``huikuan report``.
"""
