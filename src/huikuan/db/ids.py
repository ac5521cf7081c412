"""Row ids are PostgreSQL ``bigint``: one bound for every id a user or a client can send.

A larger number can only be a mistake (or a fuzzer); it is refused at the edge with a 422
instead of reaching the database, which would answer "bigint out of range".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

ROW_ID_MAX = 2**63 - 1

# For ids inside request bodies (pydantic models).
RowIdField = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]
