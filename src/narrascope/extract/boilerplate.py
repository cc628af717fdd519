"""Line-based boilerplate filters: named rules over whole lines.

Every rule must match the *whole* line (``re.fullmatch``), so a sentence that
merely mentions "subscribe" or "latest" is never removed. Rules of kind
``junk`` (donation boxes, comment widgets, consent notices, teaser links) are
dropped; rules of kind ``marker`` ("Latest", "Published", "on", bylines,
"Source: ...", "Continue Reading") structure the page: the segmenter reads
them, then drops them too. A rule with ``where="lead"`` applies only before
the first prose paragraph (navigation words like "Analysis" at the top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lines import is_prose, is_short_fragment, looks_like_headline, repeats_title, split_lines


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # "junk" | "marker"
    pattern: re.Pattern[str] | None
    where: str = "any"  # "any" | "lead" (above the first prose paragraph) | "body" (not the first line)

    def matches(self, line: str) -> re.Match[str] | None:
        return self.pattern.fullmatch(line) if self.pattern is not None else None


def _rules(kind: str, table: list[tuple[str, str, str]]) -> tuple[Rule, ...]:
    return tuple(Rule(name, kind, re.compile(regex), where) for name, where, regex in table)


_NAME = r"[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’.\-]+(?: (?:[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’.\-]*|van|von|de|der|da|di|bin|al))*"
_NAMES = rf"{_NAME}(?:(?:,| and| &) {_NAME}){{0,3}}"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:\d{{1,2}} {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})"
_SHARE_WORDS = r"(?:Share|Tweet|Email|E-mail|Print|Facebook|Twitter|X|WhatsApp|Telegram|LinkedIn|Reddit|Pinterest|VK|Copy link|Comments?)"

JUNK_RULES: tuple[Rule, ...] = _rules("junk", [
    # Donations, Patreon, newsletters, "join our channel".
    ("patreon", "any", r"(?i)(?:liked it\? )?take a second to support .{1,60} on patreon!?|become a patron!?|support .{1,40} on patreon!?"),
    ("donation_appeal", "any", r"(?i)your donations? makes? all the difference\b.*"),
    ("donation_amount", "any", r"(?i)amount to donate\b.{0,30}"),
    ("donation_button", "any", r"(?i)(?:quick |make a (?:one-time )?)?donat(?:e|ion)(?: now| today| here)?[.!]?"),
    ("donation_quick", "any", r"(?i)donate a quick .{1,30}"),
    ("payment_widget", "any", r"(?i)(?:validating payment information|waiting for paypal)(?:\.{3}|…)?"),
    ("join_channel", "any", r"(?i)(?:join|follow|subscribe to) (?:our|us on) (?:youtube|telegram|facebook|twitter|gab|rumble|bitchute|vk)(?: channel| group| page)?!?"),
    ("newsletter", "any", r"(?i)(?:[\w'’ ]{0,40} )?newsletter|(?:sign up|subscribe)(?: now)? (?:for|to) (?:our|the) .{0,60}(?:newsletter|updates|alerts)[.!]?"),
    # Comment widgets.
    ("comment_widget", "any", r"(?i)leave a (?:reply|comment)|post a comment|click to comment|notify of|avatar|subscribe|comments?|\d+ comments?|view comments|show comments|post comment|sort by:? .{0,30}|(?:name|email|website) ?\*"),
    ("comment_form_notice", "any", r"(?i)your email address will not be published\.?(?: required fields are marked \*)?|save my name, email, and website in this browser for the next time i comment\.?"),
    ("related_posts", "any", r"(?i)similar posts|related (?:posts|articles|stories|news)|you may also like|recommended(?: for you)?|more from .{1,30}|most read|most popular|top stories"),
    # Site chrome.
    ("connect_with_us", "any", r"(?i)connect with us|follow us(?: on .{1,30})?"),
    ("advertisement", "any", r"(?i)advertisement(?: - (?:story|article) continues below)?|sponsored(?: content)?|ad"),
    ("trending", "any", r"(?i)trending(?: now)?"),
    ("staff_picks", "any", r"(?i)staff picks|editor'?s picks"),
    ("nav_lead", "lead", r"(?i)home|news|latest|analysis|opinion|world|politics|menu|search|sign in|log ?in|register|skip to (?:main )?content"),
    ("breadcrumb_tags", "any", r"(?:[^\s·»›|>][^·»›|>.!?]{0,40}) (?:[·»›|>] [^·»›|>.!?]{1,40}){2,}"),
    ("share_buttons", "any", rf"(?i){_SHARE_WORDS}(?: this)?(?: (?:article|story|post|on \w+))?:?|(?:{_SHARE_WORDS}\s*[|·•,/]?\s*){{2,}}"),
    ("view_counter", "any", r"(?i)[\d.,]+\s*[km]?\s+(?:views|reads|shares)"),
    # Consent and cookie notices.
    ("consent_notice", "any", r"(?i)we use your sign-up to provide content\b.*"),
    ("cookie_notice", "any", r"(?i)(?:we|this (?:web)?site) uses? cookies\b.{0,400}|by continuing to (?:use|browse) (?:this|our) (?:site|website)\b.{0,300}"),
    ("cookie_buttons", "any", r"(?i)(?:accept|reject|allow)(?: all)?(?: cookies)?|manage (?:cookie )?(?:settings|preferences|options)|cookie (?:settings|policy|preferences)|i agree|got it!?|more info"),
    # Teaser links inserted inside the body.
    ("teaser_prefix", "body", r"(?:JUST IN|READ MORE|MORE|READ ALSO|SEE ALSO|RELATED|WATCH|LISTEN|PICTURED|REVEALED|LIVE) ?: .+|(?i:read more|see also|related|also read) ?: .+"),
    ("teaser_tag", "body", r".{5,200} \[(?:LATEST|INSIGHT|ANALYSIS|REVEAL|REVEALED|VIDEO|PICS|PICTURES|POLL|LIVE|UPDATE|EXCLUSIVE|REPORT|COMMENT|SPOTLIGHT|OPINION|READ)\]"),
    ("read_full_article", "any", r"(?i)(?:source: )?read (?:the )?full (?:article|story)|click here to read (?:more|the full (?:article|story))\.?"),
    ("no_words", "any", r"[\W_]+"),  # separators and markup debris: "***", "<<<>>>"
    ("copyright", "any", r"(?i)(?:©|\(c\)|copyright (?:©|\(c\))?\s*\d{4}).{0,100}"),
])

MARKER_RULES: tuple[Rule, ...] = _rules("marker", [
    ("section_latest", "any", r"(?i)latest|read next|up next|next article|more stories"),
    ("published", "any", rf"(?i)(?:published|posted|updated|last updated)(?: on)?:?(?: (?P<date>{_DATE}(?:,? \d{{1,2}}:\d{{2}}.{{0,12}})?))?"),
    ("published_on", "any", rf"(?i)on(?: (?P<date>{_DATE}))?"),
    ("byline", "any", rf"By|By:? (?P<names>{_NAMES})"),
    ("credit_line", "any", rf"(?:(?:Reported|Written) by (?P<names>{_NAMES}) )?(?:[Vv]ia|by way of) (?P<outlet>[A-Za-z][\w .&'’-]{{0,40}}?)(?:…|\.{{3}}|:)?"),
    ("source_credit", "any", r"Source: (?P<outlet>[A-Z][^.!?:]{1,50})"),
    ("continue_reading", "any", r"(?i)continue reading(?: ?(?:…|\.{3}|→|»))?"),
    ("end_editorial", "any", r"(?i)</? ?end editorial ?>|\[end editorial\]"),
])

WIDGET_FRAGMENT = Rule("widget_fragment", "junk", None)  # short leftovers between junk lines ("5 100", "EURO")
LEAD_CAPTION = Rule("lead_caption", "junk", None)  # a teaser/video caption above the body, cut off by junk

RULES: tuple[Rule, ...] = JUNK_RULES + MARKER_RULES + (WIDGET_FRAGMENT, LEAD_CAPTION)


def _any_rule_pattern(rules: tuple[Rule, ...]) -> re.Pattern[str]:
    # One alternation of every rule, to skip the per-rule loop for the many lines no rule claims.
    parts = []
    for rule in rules:
        if rule.pattern is None:
            continue
        src = re.sub(r"\(\?P<\w+>", "(?:", rule.pattern.pattern)  # group names may repeat across rules
        parts.append(f"(?i:{src[4:]})" if src.startswith("(?i)") else f"(?:{src})")
    return re.compile("|".join(parts))


_ANY_RULE = _any_rule_pattern(JUNK_RULES + MARKER_RULES)


def match_rule(line: str, in_lead: bool = False, first_line: bool = False) -> tuple[Rule, re.Match[str]] | None:
    """The first rule whose pattern covers the whole line, with its match."""
    if _ANY_RULE.fullmatch(line) is None:
        return None
    for rule in JUNK_RULES:
        if (rule.where == "lead" and not in_lead) or (rule.where == "body" and first_line):
            continue
        m = rule.matches(line)
        if m:
            return rule, m
    for rule in MARKER_RULES:
        m = rule.matches(line)
        if m:
            return rule, m
    return None


def classify_lines(lines: list[str], title: str | None = None) -> list[Rule | None]:
    """The rule that claims each line (``None`` = article content).

    ``title`` is the page title when known from elsewhere (HTML metadata); the
    first content line is then a title only if it repeats it.
    """
    labels: list[Rule | None] = []
    in_lead = True
    for i, line in enumerate(lines):
        # A teaser-shaped first line ("WATCH: ...") is the page's own title.
        hit = match_rule(line, in_lead, first_line=i == 0)
        labels.append(hit[0] if hit else None)
        if hit is None and is_prose(line):
            in_lead = False
    _mark_widget_fragments(lines, labels)
    _mark_lead_captions(lines, labels, title)
    return labels


def _is_junk(label: Rule | None) -> bool:
    return label is not None and label.kind == "junk"


def _mark_widget_fragments(lines: list[str], labels: list[Rule | None]) -> None:
    # A run of short fragments with junk on both sides (or junk then the end) is
    # what is left of a widget: "5 100" in a donation box, "The Duran / EURO".
    i = 0
    while i < len(lines):
        if labels[i] is not None or not is_short_fragment(lines[i]):
            i += 1
            continue
        j = i
        while j < len(lines) and labels[j] is None and is_short_fragment(lines[j]):
            j += 1
        left_junk = i > 0 and _is_junk(labels[i - 1])
        right_junk = j == len(lines) or _is_junk(labels[j])
        if left_junk and right_junk:
            for k in range(i, j):
                labels[k] = WIDGET_FRAGMENT
        i = j


def _mark_lead_captions(lines: list[str], labels: list[Rule | None], title: str | None) -> None:
    # Above the body, a title-like line followed straight by junk (a consent
    # notice, a share bar) is a video caption or teaser, not the article's start.
    seen_title = False
    for i, line in enumerate(lines):
        if labels[i] is not None:
            continue
        if is_prose(line):
            return
        is_title_line = not seen_title and (title is None or repeats_title(line, title))
        seen_title = True
        if is_title_line:
            continue
        if looks_like_headline(line) and i + 1 < len(lines) and _is_junk(labels[i + 1]):
            labels[i] = LEAD_CAPTION


def explain_boilerplate(text: str, title: str | None = None) -> list[tuple[str, str]]:
    """``(rule name, line)`` for every line the filters claim, junk and markers alike."""
    lines = split_lines(text)
    return [(label.name, line) for line, label in zip(lines, classify_lines(lines, title)) if label is not None]


@dataclass
class FilteredText:
    """Text after the boilerplate filters, and what they removed."""

    text: str  # one paragraph per line, blank line between
    removed: dict[str, int]  # junk rule name -> lines removed
    captions: list[str]  # lines dropped by the lead_caption rule
    content_lines: int  # lines of article content left (markers not counted)


def filter_boilerplate(text: str, title: str | None = None, keep_markers: bool = False) -> FilteredText:
    """Drop junk lines (and markers unless ``keep_markers``); count what went."""
    lines = split_lines(text)
    labels = classify_lines(lines, title)
    kept = [line for line, label in zip(lines, labels) if label is None or (keep_markers and label.kind == "marker")]
    removed: dict[str, int] = {}
    for label in labels:
        if label is not None and label.kind == "junk":
            removed[label.name] = removed.get(label.name, 0) + 1
    captions = [line for line, label in zip(lines, labels) if label is LEAD_CAPTION]
    content = sum(1 for label in labels if label is None)
    return FilteredText("\n\n".join(kept), removed, captions, content)


def remove_boilerplate(text: str) -> str:
    """``text`` without boilerplate or structure-marker lines, one paragraph per line, blank line between."""
    return filter_boilerplate(text).text
