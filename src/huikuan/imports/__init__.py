"""Creditor file imports: placements, payments, balance updates and recalls (撤案).

Data flow, one file at a time, errors returned as values:

1. :func:`huikuan.imports.readers.read_table` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030,
   UTF-16 with BOM) or a workbook (XLSX/XLS, first sheet) into a :class:`RawTable`: every cell
   a stripped string or null, plus ``_row``, the row number a person sees in Excel (header = 1).
   Files that cannot be read at all (binary junk, unknown encoding, no header, duplicate
   headers, too many rows) raise :class:`FileRefused` with a message in Chinese and English.
2. :func:`huikuan.imports.mapping.resolve` maps the file's headers (Chinese or English, or a
   creditor's own names through :class:`ColumnMapping`) to the canonical fields of the
   :class:`ImportKind`.
3. :func:`huikuan.imports.validation.validate` checks every column with Polars expressions
   (types, exact amounts in minor units, dates, GB 11643 ID check digits, mobiles, names,
   formula injection, control characters, lengths, duplicates within the file) and returns
   typed ``records`` plus :class:`RowError` values. A file with any error is refused whole.
4. The persistence layer (not here) checks the keys :meth:`Validated.keys` exposes against the
   database (:data:`DB_CHECKS`), turns its findings into row errors with
   :meth:`Validated.errors_for`, and stores the records with bound parameters only.
5. :func:`huikuan.imports.report.write_error_report` writes the errors as an Excel-friendly CSV;
   :func:`huikuan.imports.report.summarise` gives the CLI its short text.

:func:`huikuan.imports.sample.write_sample` writes a valid synthetic file of any kind.
"""
