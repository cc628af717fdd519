"""Main-text extraction, boilerplate removal, page metadata and segmentation.

The pipeline stages "extract" and "segment" live in ``stages``; these plain
functions are the same steps for library use.
"""

from .boilerplate import explain_boilerplate, remove_boilerplate
from .html import ExtractedPage, extract_html
from .metadata import find_affiliations, outlet_from_url, split_headline_credit
from .segment import SegmentDraft, SegmentedPage, segment_page, segment_text

__all__ = [
    "ExtractedPage", "extract_html", "remove_boilerplate", "explain_boilerplate",
    "SegmentDraft", "SegmentedPage", "segment_text", "segment_page",
    "outlet_from_url", "find_affiliations", "split_headline_credit",
]
