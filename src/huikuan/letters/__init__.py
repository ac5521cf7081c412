"""Letters (催收函) and lawyer letters (律师函) as PDF.

Data flow::

    daily cycle decides "letter" ─► compliance guard screens letter_text(content)  (render.py)
        └─ outbox row staged: params = to_params(content, encrypt_name=…)          (elements.py)
             (amounts in fen, dates ISO, the debtor's name as a field-cipher token under
             ``debtor_name_enc``; the postal address is the message's recipient)
    outbox worker ─► LetterChannel.send(OutboundMessage)                           (channel.py)
        ├─ reveal every ``*_enc`` param, from_params(…) ─► LetterContent
        ├─ missing_elements(content, kind) non-empty ─► PermanentFailure naming them
        ├─ render_pdf(content, kind=…, language=…)  Jinja2 HTML → WeasyPrint → A4 PDF,
        │                                          WenQuanYi Micro Hei embedded
        └─ <spool>/<safe send key>.pdf written atomically; the print-and-mail house collects it
    legal team ─► render_pdf(content, kind="lawyer", language=…) on demand

:class:`~huikuan.letters.elements.LetterContent` carries the elements of C4 art. 69
(COMPLIANCE-RULES.md §1.2); ``demo=True`` marks a specimen on every page and on the seal.
"""

from huikuan.letters.elements import (
    ELEMENTS,
    KINDS,
    LANGUAGES,
    AmountOwed,
    Kind,
    Language,
    LawyerDetails,
    LetterContent,
    describe_missing,
    from_params,
    missing_elements,
    specimen,
    to_params,
)
from huikuan.letters.render import (
    FONT_FAMILY,
    IncompleteLetterError,
    letter_text,
    render_html,
    render_pdf,
)

__all__ = [
    "ELEMENTS",
    "FONT_FAMILY",
    "KINDS",
    "LANGUAGES",
    "AmountOwed",
    "IncompleteLetterError",
    "Kind",
    "Language",
    "LawyerDetails",
    "LetterContent",
    "describe_missing",
    "from_params",
    "letter_text",
    "missing_elements",
    "render_html",
    "render_pdf",
    "specimen",
    "to_params",
]
