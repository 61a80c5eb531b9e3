"""The hostile-payload corpus and a fixture repository that carries it in every text field.

Security requirement under test: no charter, policy, metric or drift text, in any field and at any
position, can produce Markdown or HTML structure it was not meant to: line starts (headings,
lists, code blocks, tables, front matter fences), attr_list braces, link and image syntax, HTML and
entities, front matter / YAML metacharacters, Vega spec strings and SVG.

This is a plain module (not a test file). It holds:

- ``RENDERED``: payloads the loader must accept and the portal must show as inert text. Every
  executable one sets ``window.__pwned = 1`` or calls ``alert``, so execution is detectable;
- ``URL_PAYLOADS`` (link fields: authorisation ``url``, data source ``contract``) and
  ``EMAIL_PAYLOADS`` (contact ``email``, whose pattern still lets markup through);
- ``REFUSED``: control, noncharacter, surrogate and bidi characters the loader must refuse with a
  one-line ``path:line:col: field: contains the control character U+XXXX (...)`` error;
- ``string_fields``: every string field of a pydantic model (nested models, lists, dict keys and
  values), and ``CONSTRAINED``: the ones that cannot hold a payload, each with a reason;
- ``build_hostile_repo``: a valid governance repository (several models, the policy, metric CSVs
  with segments, drift samples and bins) whose every text field carries payloads, rotated so that
  each field gets several payload classes and each payload appears somewhere.

Each payload instance in a text field is tagged with a unique marker ``hxNNNN`` (before or after
the payload), so a test can say which payload in which field of which model went wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import random
import re
import types
import typing
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel

__all__ = [
    "COMPOSITE_FIELDS",
    "CONSTRAINED",
    "EMAIL_PAYLOADS",
    "FIXED_H2",
    "FIXED_H3",
    "MARKDOWN_FIELDS",
    "MARKDOWN_FIELD_TAGS",
    "MARKER",
    "REFUSED",
    "RENDERED",
    "SITE_NAME",
    "URL_PAYLOADS",
    "Assignment",
    "HostileRepo",
    "Leaf",
    "Payload",
    "RefusedChar",
    "build_hostile_repo",
    "norm",
    "shown",
    "string_fields",
    "string_values",
]

AS_OF = dt.date(2026, 11, 20)
SITE_NAME = "hostile fixture portal"
MARKER = re.compile(r"hx\d{4}")
PWN = "window.__pwned=1"


@dataclass(frozen=True)
class Payload:
    name: str
    cls: str
    text: str

    @property
    def single_line(self) -> bool:
        return "\n" not in self.text and "\r" not in self.text

    @property
    def filename_safe(self) -> bool:
        """Usable inside a file name (drift file paths): no slash, no line break, no NUL."""
        return (
            self.single_line
            # the loader refuses file names with tabs and other unprintable characters
            and self.text.isprintable()
            and "/" not in self.text
            and "\x00" not in self.text
            and len(self.text.encode()) <= 180
            # the loader normalises names to NFC: a decomposed file name would not be found
            and unicodedata.normalize("NFC", self.text) == self.text
        )


def _p(cls: str, *items: tuple[str, str]) -> list[Payload]:
    return [Payload(name, cls, text) for name, text in items]


# --- Payloads that must build and stay inert ---------------------------------------------------

RENDERED: list[Payload] = [
    *_p(
        "heading-exploit",
        # The historical exploit: the page splitter took the second line for a Markdown heading.
        (
            "heading_js_attrlist",
            "note\n## [x](javascript:alert(1)){: autofocus onfocus=" + PWN + " }",
        ),
        ("heading_h1_js", "note\n# [x](javascript:" + PWN + "){: autofocus onfocus=" + PWN + " }"),
        (
            "heading_h6_hover",
            "x\n###### [y](javascript:" + PWN + "){: tabindex=0 onmouseover=" + PWN + " }",
        ),
        ("heading_leading_newline", "\n## [lead](javascript:" + PWN + ")"),
        ("heading_closing_hashes", "x\n### closed heading ###"),
        ("heading_raw_img", "x\n## <img src=x onerror=" + PWN + ">"),
        ("heading_image_js", "x\n## ![i](javascript:" + PWN + ")"),
        ("heading_no_space", "x\n#[h](javascript:" + PWN + ")"),
        ("heading_tab", "x\n##\t[t](javascript:" + PWN + ")"),
        ("heading_indented", "x\n   ## [i](javascript:" + PWN + ")"),
        ("heading_double", "a\n## one\n## [two](javascript:" + PWN + ")"),
    ),
    *_p(
        "attr-list",
        ("attr_onfocus_autofocus", "{: onfocus=" + PWN + " autofocus tabindex=0 }"),
        ("attr_id_class_style", "{: #pwn .pwn style=position:fixed onmouseover=" + PWN + " }"),
        ("attr_trailing", "text {: autofocus onfocus=" + PWN + " }"),
        ("attr_own_line", "text\n{: onfocus=" + PWN + " autofocus }"),
        ("attr_bare_braces", "{onclick=" + PWN + "}"),
        ("attr_quoted", '{: onfocus="' + PWN + '" autofocus="" }'),
    ),
    *_p(
        "md-link",
        ("md_link_js", "[click](javascript:" + PWN + ")"),
        ("md_link_js_title", "[click](javascript:" + PWN + ' "t")'),
        ("md_image_js", "![x](javascript:" + PWN + ")"),
        ("md_image_onerror", '![x](x" onerror="' + PWN + ")"),
        ("md_autolink_js", "<javascript:" + PWN + ">"),
        ("md_link_data", "[d](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)"),
        ("md_link_vbscript", "[v](vbscript:msgbox(1))"),
        ("md_ref_link", "[r][1]\n\n[1]: javascript:" + PWN),
        ("md_link_angle", "[a](<javascript:" + PWN + ">)"),
        ("md_link_upper", "[u](JAVASCRIPT:" + PWN + ")"),
        (
            "md_link_https_title_breakout",
            '[x](https://example.com/ "a\\" onmouseover=\\"' + PWN + '")',
        ),
    ),
    *_p(
        "url-obfuscated",
        ("url_tab_entity", "[t](jav&#x09;ascript:" + PWN + ")"),
        ("url_decimal_entity", "[e](&#106;avascript:" + PWN + ")"),
        (
            "url_hex_entities",
            "[h](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;" + PWN + ")",
        ),
        ("url_newline_split", "[n](java\nscript:" + PWN + ")"),
        ("url_tab_split", "[t](java\tscript:" + PWN + ")"),
        ("url_zwsp_split", "[z](java\u200bscript:" + PWN + ")"),
        ("url_soft_hyphen", "[s](java\u00adscript:" + PWN + ")"),
        ("url_nbsp_lead", "[n](\u00a0javascript:" + PWN + ")"),
        ("url_colon_entity", "[c](javascript&colon;" + PWN + ")"),
        ("url_html_entity_href", '<a href="&#106;avascript:' + PWN + '">e</a>'),
        ("url_js_comment_newline", "[c](javascript://example.com/%0A" + PWN + ")"),
    ),
    *_p(
        "raw-html",
        ("html_script", "<script>" + PWN + "</script>"),
        ("html_script_upper", "<SCRIPT>" + PWN + "</SCRIPT>"),
        ("html_script_nested", "<scr<script>ipt>" + PWN + "</scr</script>ipt>"),
        ("html_img_onerror", "<img src=x onerror=" + PWN + ">"),
        ("html_svg_onload", "<svg onload=" + PWN + ">"),
        ("html_iframe_js", '<iframe src="javascript:' + PWN + '"></iframe>'),
        ("html_iframe_srcdoc", '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>'),
        ("html_a_js", '<a href="javascript:' + PWN + '">a</a>'),
        ("html_a_js_unquoted", "<a href=javascript:" + PWN + ">a</a>"),
        (
            "html_details_ontoggle",
            "<details open ontoggle=" + PWN + "><summary>s</summary></details>",
        ),
        ("html_body_onload", "<body onload=" + PWN + ">"),
        ("html_input_autofocus", "<input autofocus onfocus=" + PWN + ">"),
        ("html_object", '<object data="javascript:' + PWN + '"></object>'),
        ("html_embed", '<embed src="data:text/html,<script>' + PWN + '</script>">'),
        ("html_math_xlink", '<math><mi xlink:href="javascript:' + PWN + '">m</mi></math>'),
        ("html_style", "<style>*{background:url(javascript:" + PWN + ")}</style>"),
        ("html_meta_refresh", '<meta http-equiv="refresh" content="0;url=javascript:' + PWN + '">'),
        ("html_base", '<base href="javascript:' + PWN + '//">'),
        ("html_form_action", '<form action="javascript:' + PWN + '"><button>go</button></form>'),
        ("html_attr_breakout_dq", '" autofocus onfocus="' + PWN + '" x="'),
        ("html_attr_breakout_sq", "' autofocus onfocus='" + PWN + "' x='"),
        ("html_textarea_breakout", "</textarea><img src=x onerror=" + PWN + ">"),
        ("html_title_breakout", "</title><script>" + PWN + "</script>"),
        ("html_noscript", '<noscript><p title="</noscript><img src=x onerror=' + PWN + '>">'),
        ("html_template", "<template><script>" + PWN + "</script></template>"),
        ("html_td_breakout", "</td></tr></table><img src=x onerror=" + PWN + ">"),
        ("html_div_mouseover", "<div onmouseover=" + PWN + ">hover</div>"),
    ),
    *_p(
        "html-comment",
        ("comment_open", "<!--"),
        ("comment_close", "-->"),
        ("comment_then_img", "<!-- x --><img src=x onerror=" + PWN + ">"),
        ("comment_bang", "<!--!><img src=x onerror=" + PWN + ">-->"),
        ("placeholder", "<!--aipo:0x1-->"),
        ("placeholder_many", "<!--aipo:1x0--> <!--aipo:0x0--> <!--aipo:99x99-->"),
        ("placeholder_bare", "aipo:0x2"),
        ("cdata", "<![CDATA[<script>" + PWN + "</script>]]>"),
        ("md_stash_placeholder", "wzxhzdk:0 klzzwxh:0 wzxhzdk:1"),
        ("section_marker", "x\n<!--aipo:section-->\n\n## [s](javascript:" + PWN + ")"),
        ("section_marker_inline", "<!--aipo:section--> ## [s](javascript:" + PWN + ")"),
    ),
    *_p(
        "entity",
        ("entity_lt_script", "&lt;script&gt;" + PWN + "&lt;/script&gt;"),
        ("entity_double", "&amp;lt;img src=x onerror=" + PWN + "&amp;gt;"),
        ("entity_numeric", "&#60;img src=x onerror=" + PWN + "&#62;"),
        ("entity_unterminated", "&lt &gt &quot &apos &#0 &#x110000; &#xD800;"),
        ("entity_named", "&nbsp;&copy;&NewLine;&Tab;&colon;"),
    ),
    *_p(
        "front-matter",
        ("fm_fence", "---\ntitle: x"),
        ("fm_fence_script", "---\ntitle: <script>" + PWN + "</script>\n---"),
        ("fm_quote_newline", '"\n<script>' + PWN + "</script>"),
        ("fm_colon", ": "),
        ("fm_hash", "#"),
        ("fm_brace", "{"),
        ("fm_pipe", "|"),
        ("fm_dots", "...\n---"),
        ("fm_json_breakout", '", "hide": ["navigation"], "x": "'),
        ("fm_title_key", "title: </title><script>" + PWN + "</script>"),
    ),
    *_p(
        "yaml-meta",
        ("yaml_anchor_alias", "&a [*a, *a]"),
        ("yaml_python_tag", "!!python/object/apply:os.system ['echo pwned']"),
        ("yaml_tag", "!<tag:yaml.org,2002:js> x"),
        ("yaml_merge", "<<: *base"),
        ("yaml_bool_words", "no yes off on ~ null"),
        ("yaml_numbers", "0o17 0x1F 1e3 .inf .nan"),
        ("yaml_flow", "[a, {b: c}]"),
        ("yaml_block_indicators", "- ? ! % @ ` * & > |"),
        ("yaml_directive", "%YAML 1.1\n%TAG ! tag:example.com,2026:"),
        ("yaml_quotes", "'\"'\"\\\\\\u0000"),
        ("yaml_doc_markers", "--- ... ---"),
        ("yaml_comment", "value # comment"),
    ),
    *_p(
        "json-script",
        ("json_script_close", "</script><script>" + PWN + "</script>"),
        ("json_comment_script", "<!--<script>" + PWN + "//"),
        ("json_line_separators", "a\u2028b\u2029</script><script>" + PWN + "</script>"),
        ("json_vega_injection", '"}]},{"mark":"text","encoding":{"text":{"value":"pwn"}}}'),
        ("json_backslash", '\\"}</script><script>' + PWN + "//"),
        ("json_signal", '{"signal": "' + PWN + '"}'),
        ("template_syntax", "{{ 7*7 }} {% raw %} ${" + PWN + "} #{7*7}"),
        ("vega_expr", "datum.x + (" + PWN + ") && constructor.constructor('" + PWN + "')()"),
    ),
    *_p(
        "vega-expression",
        # KPI units become the y-axis title, which Vega-Lite writes into a tooltip expression.
        ("vega_title_dq", 'u" + (datum.value * 1000) + "'),
        ("vega_title_sq", "u' + (datum.value * 1000) + '"),
        ("vega_title_backslash", 'u\\" + (datum.value) + "'),
        ("vega_title_constructor", 'u" + (toString.constructor("' + PWN + '")()) + "'),
        ("vega_title_event_view", 'u" + (event.view.alert(1)) + "'),
        ("vega_title_escapes", "u \\u0000 \\x41 \\n \\u2028 v"),
        ("vega_title_line_break", "u\nv"),
        ("vega_title_line_separator", "u\u2028v"),
    ),
    *_p(
        "svg",
        ("svg_attr_breakout", '"/><script>' + PWN + "</script>"),
        ("svg_cdata_end", "]]><script>" + PWN + "</script>"),
        (
            "svg_foreign_object",
            "<svg><foreignObject><img src=x onerror=" + PWN + "></foreignObject></svg>",
        ),
        (
            "svg_use_data",
            '<svg><use href="data:image/svg+xml,<svg id=x xmlns=http://www.w3.org/2000/svg><script>'
            + PWN
            + '</script></svg>#x"/></svg>',
        ),
        (
            "svg_animate_href",
            "<svg><a><animate attributeName=href values=javascript:"
            + PWN
            + " /><text y=20>x</text></a></svg>",
        ),
        ("svg_xml_decl", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "pwn">]>&e;'),
    ),
    *_p(
        "md-line-start",
        ("ls_list", "x\n- item\n* item\n+ item\n1. item"),
        ("ls_fence", "x\n```\n<script>" + PWN + "</script>\n```"),
        ("ls_tilde_fence", "x\n~~~html\n<img src=x onerror=" + PWN + ">\n~~~"),
        ("ls_indented_code", "x\n\n    code <script>" + PWN + "</script>"),
        ("ls_table", "x\n| a | b |\n| --- | --- |\n| <img src=x onerror=" + PWN + "> | c |"),
        ("ls_blockquote", "x\n> quote [q](javascript:" + PWN + ")"),
        ("ls_setext_eq", "heading [s](javascript:" + PWN + ")\n==="),
        ("ls_setext_dash", "heading\n---"),
        ("ls_hr", "x\n***\n___"),
        ("ls_html_block", "x\n<div onmouseover=" + PWN + ">hover</div>"),
        (
            "ls_html_block_blank",
            "x\n\n<details open ontoggle=" + PWN + "><summary>s</summary></details>",
        ),
        ("ls_admonition", 'x\n!!! note "<img src=x onerror=' + PWN + '>"\n    body'),
        ("ls_details", 'x\n??? note "t"\n    [d](javascript:' + PWN + ")"),
        ("ls_footnote", "x[^1]\n\n[^1]: [f](javascript:" + PWN + ")"),
        ("ls_abbr", "x\n*[HTML]: <script>" + PWN + "</script>"),
        ("ls_md_in_html", '<div markdown="1">\n## [x](javascript:' + PWN + ")\n</div>"),
        ("ls_toc_marker", "x\n[TOC]"),
        ("ls_snippet", 'x\n--8<-- "/etc/passwd"'),
    ),
    *_p(
        "md-field",
        ("mdf_h3", "### Heading from text"),
        ("mdf_h2_link", "## h2 [x](javascript:" + PWN + ")"),
        ("mdf_allowed", "**bold** *em* `code` [ok](https://example.com/) <mailto:a@example.com>"),
        ("mdf_attr_list", 'para {: #pwn .pwn style="color:red" onclick="' + PWN + '" }'),
        (
            "mdf_code_heading",
            "```\n## [x](javascript:alert(1)){: autofocus onfocus=" + PWN + " }\n```",
        ),
        (
            "mdf_indented_heading",
            "para\n\n    ## [x](javascript:"
            + PWN
            + "){: autofocus onfocus="
            + PWN
            + " }\n    # second",
        ),
        ("mdf_list_heading", "- a\n\n    ## [l](javascript:" + PWN + ")"),
        ("mdf_comment_heading", "<!--\n## [x](javascript:" + PWN + ")\n-->"),
        ("mdf_id_class_style", '<p id="pwn" class="md-typeset" style="position:fixed">x</p>'),
        ("mdf_mailto_breakout", '[m](mailto:x@example.com"onmouseover="' + PWN + ")"),
        (
            "mdf_http_onclick",
            '<a href="https://example.com/" onclick="' + PWN + '" target="_top">x</a>',
        ),
        ("mdf_table", "| a | b |\n|---|---|\n| 1 | 2 |"),
        ("mdf_blockquote", "> quoted"),
        ("mdf_hr", "a\n\n---\n\nb"),
        ("mdf_html_heading", "<h1>raw heading</h1><h4>four</h4>"),
    ),
    *_p(
        "invisible-unicode",
        # Not refused by the loader: format characters that are not bidi embeddings/overrides.
        ("uni_lrm_rlm", "a\u200eb\u200fc\u061cd"),
        ("uni_zero_width", "java\u200bscript\u200c:\u200d" + PWN + "\u2060"),
        ("uni_zwnbsp", "a\ufeffb"),
        ("uni_fullwidth_lt", "\uff1cscript\uff1e" + PWN + "\uff1c/script\uff1e"),
        ("uni_small_lt", "\ufe64img src=x onerror=" + PWN + "\ufe65"),
        ("uni_line_separator", "x\u2028## [x](javascript:" + PWN + ")"),
        ("uni_paragraph_separator", "x\u2029# [x](javascript:" + PWN + ")"),
        ("uni_astral", "\U0001f4a9\U0001d55c\U000e0041"),
        ("uni_combining", "Z\u0351\u0352\u0353a\u0300\u0301"),
        ("uni_nbsp_heading", "x\n\u00a0## [x](javascript:" + PWN + ")"),
    ),
    *_p(
        "long",
        (
            "long_text",
            "A" * 1700 + "\n## [long](javascript:" + PWN + ")<script>" + PWN + "</script>",
        ),
    ),
]

# --- Link fields (authorisation url, data source contract): used verbatim, no marker -----------

URL_PAYLOADS: list[Payload] = [
    *_p(
        "url-js",
        ("link_js", "javascript:" + PWN),
        ("link_js_mixed_case", "JaVaScRiPt:" + PWN),
        ("link_js_leading_space", " javascript:" + PWN),
        ("link_js_leading_tab", "\tjavascript:" + PWN),
        ("link_js_comment", "javascript://example.com/%0A" + PWN),
        ("link_vbscript", "vbscript:msgbox(1)"),
    ),
    *_p(
        "url-obfuscated",
        ("link_js_newline_split", "java\nscript:" + PWN),
        ("link_js_tab_split", "java\tscript:" + PWN),
        ("link_js_tab_entity", "jav&#x09;ascript:" + PWN),
        ("link_js_decimal_entity", "&#106;avascript:" + PWN),
        ("link_js_colon_entity", "javascript&colon;" + PWN),
        ("link_js_zwsp", "java\u200bscript:" + PWN),
        ("link_js_nbsp", "\u00a0javascript:" + PWN),
        ("link_markdown", "[x](javascript:" + PWN + ")"),
    ),
    *_p(
        "url-data",
        ("link_data_html", "data:text/html,<script>" + PWN + "</script>"),
        ("link_data_base64", "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+"),
    ),
    *_p(
        "url-breakout",
        ("link_https_dq_breakout", 'https://example.com/" onmouseover="' + PWN),
        ("link_https_sq_breakout", "https://example.com/'onmouseover='" + PWN + "'"),
        ("link_https_tag_breakout", 'https://example.com/x"><script>' + PWN + "</script>"),
        ("link_https_attr_list", "https://example.com/{: onfocus=" + PWN + " autofocus }"),
        ("link_https_entity_quote", "https://example.com/&#x22;onmouseover=" + PWN),
        ("link_protocol_relative", "//evil.example.com/x"),
        ("link_mailto_script", "mailto:x@example.com?body=<script>" + PWN + "</script>"),
        ("link_https_ok", "https://example.com/records/ok?a=1&b=2"),
    ),
]

# --- Contact email: the pattern ^[^@\s]+@[^@\s]+\.[^@\s]+$ still admits markup -------------------

EMAIL_PAYLOADS: list[Payload] = [
    *_p(
        "email-breakout",
        ("email_dq_breakout", 'x"onmouseover="' + PWN + '"@example.com'),
        ("email_img", "x'><img/src=x/onerror=" + PWN + ">@example.com"),
        ("email_script_domain", 'x@example.com"/><script>' + PWN + "</script>"),
        ("email_query_svg", "x@example.com?body=<svg/onload=" + PWN + ">"),
    ),
    *_p(
        "email-markup",
        ("email_js_scheme", "javascript:" + PWN + "//@example.com"),
        ("email_md_link", "[x](javascript:" + PWN + ")@example.com"),
        ("email_attr_list", "{:onfocus=" + PWN + "}@example.com"),
    ),
    *_p("email-ok", ("email_ok", "first.last+tag@example.com")),
]

# --- Characters the loader must refuse ---------------------------------------------------------


@dataclass(frozen=True)
class RefusedChar:
    char: str
    cls: str
    # A YAML double-quoted escape for the character (besides \uXXXX), when YAML has one.
    yaml_escape: str | None = None

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        return self.code

    @property
    def encodable(self) -> bool:
        """Lone surrogates cannot be written raw into a UTF-8 file."""
        return not 0xD800 <= ord(self.char) <= 0xDFFF


REFUSED: list[RefusedChar] = [
    RefusedChar("\x00", "C0", "\\0"),
    RefusedChar("\x01", "C0"),
    RefusedChar("\x02", "C0"),  # Python-Markdown's placeholder start (STX)
    RefusedChar("\x03", "C0"),  # ... and end (ETX)
    RefusedChar("\x07", "C0", "\\a"),
    RefusedChar("\x08", "C0", "\\b"),
    RefusedChar("\x0b", "C0", "\\v"),
    RefusedChar("\x0c", "C0", "\\f"),
    RefusedChar("\x0d", "C0", "\\r"),
    RefusedChar("\x1b", "C0", "\\e"),
    RefusedChar("\x1f", "C0"),
    RefusedChar("\x7f", "DEL"),
    RefusedChar("\x80", "C1"),
    RefusedChar("\x85", "C1", "\\N"),
    RefusedChar("\x9b", "C1"),
    RefusedChar("\x9f", "C1"),
    RefusedChar("\ufdd0", "noncharacter"),
    RefusedChar("\ufdef", "noncharacter"),
    RefusedChar("\ufffe", "noncharacter"),
    RefusedChar("\uffff", "noncharacter"),
    RefusedChar("\ud800", "surrogate"),
    RefusedChar("\udfff", "surrogate"),
    RefusedChar("\u202a", "bidi-embedding"),
    RefusedChar("\u202b", "bidi-embedding"),
    RefusedChar("\u202c", "bidi-embedding"),
    RefusedChar("\u202d", "bidi-override"),
    RefusedChar("\u202e", "bidi-override"),
    RefusedChar("\u2066", "bidi-isolate"),
    RefusedChar("\u2067", "bidi-isolate"),
    RefusedChar("\u2068", "bidi-isolate"),
    RefusedChar("\u2069", "bidi-isolate"),
]

# Payloads built on refused characters (for the record; the refused tests use REFUSED directly).
REFUSED_PAYLOADS: list[Payload] = _p(
    "refused",
    ("bidi_rlo_filename", "invoice\u202egpj.exe"),
    ("bidi_isolate_name", "\u2067Owner\u2069 <script>" + PWN + "</script>"),
    ("nul_split_tag", "<scr\x00ipt>" + PWN + "</scr\x00ipt>"),
    ("nel_heading", "note\x85## [x](javascript:" + PWN + ")"),
    ("noncharacter_front_matter", "name\ufffe\n---"),
    ("esc_ansi", "\x1b[31mred\x1b[0m"),
    ("stx_etx_placeholder", "\x02wzxhzdk:0\x03"),
    ("c1_csi", "\x9b31m"),
    ("cr_heading", "x\r## [x](javascript:" + PWN + ")"),
)


def refused_chars_in(text: str) -> list[str]:
    """The refused characters in ``text`` (what the loader must reject)."""
    out = []
    for ch in text:
        o = ord(ch)
        if (
            (o < 0x20 and ch not in "\t\n")
            or 0x7F <= o <= 0x9F
            or 0xFDD0 <= o <= 0xFDEF
            or (o & 0xFFFF) in (0xFFFE, 0xFFFF)
            or 0xD800 <= o <= 0xDFFF
            or 0x202A <= o <= 0x202E
            or 0x2066 <= o <= 0x2069
        ):
            out.append(ch)
    return out


for _payload in (*RENDERED, *URL_PAYLOADS, *EMAIL_PAYLOADS):
    assert not refused_chars_in(_payload.text), f"{_payload.name} holds a refused character"
for _payload in REFUSED_PAYLOADS:
    assert refused_chars_in(_payload.text), f"{_payload.name} holds no refused character"
_names = [p.name for p in (*RENDERED, *URL_PAYLOADS, *EMAIL_PAYLOADS, *REFUSED_PAYLOADS)]
assert len(_names) == len(set(_names)), "payload names must be unique"
BY_NAME: dict[str, Payload] = {
    p.name: p for p in (*RENDERED, *URL_PAYLOADS, *EMAIL_PAYLOADS, *REFUSED_PAYLOADS)
}


def norm(text: str) -> str:
    """Whitespace-collapsed text, as the portal shows a one-line value (``str.split`` rules)."""
    return " ".join(str(text).split())


def shown(text: str) -> str:
    """What the portal shows for a loaded value: NFC (the loader normalises), whitespace
    collapsed."""
    return norm(unicodedata.normalize("NFC", text))


# --- Walking the schema ------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """A string-valued place in a schema: ``kind`` is free, pattern, enum or date."""

    path: str
    kind: str
    max_length: int | None = None
    pattern: str | None = None


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """The annotation without Optional/Annotated, and the metadata found on the way."""
    meta: list[Any] = []
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            args = typing.get_args(tp)
            tp, meta = args[0], [*meta, *args[1:]]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp, meta


def _constraints(meta: list[Any]) -> tuple[int | None, str | None]:
    max_length = pattern = None
    for m in meta:
        for item in getattr(m, "metadata", None) or [m]:
            if isinstance(item, annotated_types.MaxLen):
                max_length = item.max_length
            if getattr(item, "pattern", None):
                pattern = item.pattern
            if isinstance(item, annotated_types.Len) and item.max_length is not None:
                max_length = item.max_length
    return max_length, pattern


def _leaves(tp: Any, meta: list[Any], path: str) -> Iterator[Leaf]:
    tp, more = _unwrap(tp)
    meta = [*meta, *more]
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            sub = f"{path}.{name}" if path else name
            yield from _leaves(info.annotation, list(info.metadata), sub)
        return
    if origin is list:
        (item,) = typing.get_args(tp)
        yield from _leaves(item, [], f"{path}[]")
        return
    if origin is dict:
        key, value = typing.get_args(tp)
        yield from _leaves(key, [], f"{path}{{key}}")
        yield from _leaves(value, [], f"{path}{{}}")
        return
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        yield Leaf(path, "enum")
        return
    if tp is dt.date:
        yield Leaf(path, "date")
        return
    if tp is str:
        max_length, pattern = _constraints(meta)
        yield Leaf(path, "pattern" if pattern else "free", max_length, pattern)


def string_fields(model: type[BaseModel]) -> dict[str, Leaf]:
    """Every string-valued place of ``model``: ``kpis[].name``, ``metrics{key}`` (a dict key),
    ``required_sections{}[]`` (items of a dict value), with its kind and constraints."""
    return {leaf.path: leaf for leaf in _leaves(model, [], "")}


def string_values(model: type[BaseModel], data: Any) -> dict[str, list[str]]:
    """The string values in ``data`` (charter or policy as plain data) by schema path."""
    out: dict[str, list[str]] = defaultdict(list)

    def walk(tp: Any, value: Any, path: str) -> None:
        tp, _ = _unwrap(tp)
        origin = typing.get_origin(tp)
        if value is None:
            return
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            for name, info in tp.model_fields.items():
                key = "on" if name == "on" else name
                if isinstance(value, dict) and key in value:
                    walk(info.annotation, value[key], f"{path}.{name}" if path else name)
            return
        if origin is list:
            (item,) = typing.get_args(tp)
            for v in value:
                walk(item, v, f"{path}[]")
            return
        if origin is dict:
            key_tp, value_tp = typing.get_args(tp)
            for k, v in value.items():
                walk(key_tp, k, f"{path}{{key}}")
                walk(value_tp, v, f"{path}{{}}")
            return
        if isinstance(value, str):
            out[path].append(value)

    walk(model, data, "")
    return dict(out)


# Fields that cannot hold a payload: the schema constrains them to a pattern, an enum or a date.
# The fixture puts a valid value there. Contact ``email`` is pattern-checked too, but its pattern
# admits markup, so it carries EMAIL_PAYLOADS instead of being listed here.
_SLUG = "slug pattern ^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$ (no markup, no spaces)"
_METRIC = "metric-name pattern ^[a-z][a-z0-9_]{0,63}$ (snake_case)"
_DATE = "a date YYYY-MM-DD, parsed by pydantic"
_ENUM = "an enum: only the listed values validate"
_COLUMN = "column-name pattern ^[A-Za-z_][A-Za-z0-9_]{0,127}$ (read by aipo collect only)"

CONSTRAINED: dict[str, dict[str, str]] = {
    "charter": {
        "id": _SLUG + "; also the page URL, the metrics folder and the badge label",
        "owner.person": "pattern: a key of the people directory (lower-case letters, digits, -_.)",
        "incident_owner.person": "pattern: a key of the people directory (lower-case letters, "
        "digits, -_.)",
        "lifecycle.stage": _ENUM,
        "lifecycle.since": _DATE,
        "lifecycle.history[].stage": _ENUM,
        "lifecycle.history[].date": _DATE,
        "lifecycle.sunset_review": _DATE,
        "outcomes[].model_kpis[]": _METRIC + "; must name a KPI of the charter",
        "kpis[].metric": _METRIC,
        "kpis[].direction": _ENUM,
        "kpis[].aggregation": _ENUM,
        "kpis[].baseline.date": _DATE,
        "data_sources[].categories[]": _SLUG,
        "data_sources[].authorisation.date": _DATE,
        "retraining.last_retrained": _DATE,
        "risks[].kind": _ENUM,
        "risks[].status": _ENUM,
        "risks[].last_reviewed": _DATE,
        "risks[].measured_by.kpi": _METRIC + "; must name a KPI of the charter",
        "risks[].measured_by.segment": _METRIC + "; must name a fairness check of the charter",
        "escalation[].on": _ENUM,
        "rhythm[].last_held": _DATE,
        "onboarding[].date": _DATE,
        "drift.reference.start": _DATE,
        "drift.reference.end": _DATE,
        "drift.period": "pattern ^(week|month)$",
        "drift.features[].kind": _ENUM,
        "drift.features[].method": _ENUM,
        "kpis[].source.name": "source-name pattern ^[a-z0-9][a-z0-9_-]{0,63}$; a key of "
        "content/sources.yaml",
        "kpis[].source.date": _COLUMN,
        "kpis[].source.value": _COLUMN,
        "kpis[].source.segment": _COLUMN,
        "kpis[].source.where{key}": _COLUMN,
        "drift.source.name": "source-name pattern ^[a-z0-9][a-z0-9_-]{0,63}$; a key of "
        "content/sources.yaml",
        "drift.source.date": _COLUMN,
        "drift.source.where{key}": _COLUMN,
        "segments[].metric": _METRIC + "; must name a KPI of the charter",
        "segments[].gap": "pattern ^(absolute|ratio)$",
        "eu_ai_act.risk_class": _ENUM,
        "eu_ai_act.role": _ENUM,
        "eu_ai_act.path.art_6_3": _ENUM,
        "eu_ai_act.path.transparency[]": _ENUM,
        "eu_ai_act.classified_on": _DATE,
    },
    "policy": {
        "metrics{key}": _METRIC,
        "metrics{}.direction": _ENUM,
        "authorisation[].categories[]": _SLUG,
        "required_sections{key}": _ENUM + " (lifecycle stage)",
        "required_sections{}[]": _ENUM + " (charter section)",
        "rituals[].stages[]": _ENUM + " (lifecycle stage)",
        "performance_stages[]": _ENUM + " (lifecycle stage)",
        "decisions[].kind": _ENUM,
        "decisions[].stage": _ENUM + " (lifecycle stage)",
        "sign_off[].kinds[]": _ENUM + " (a change kind of aipo diff)",
        "sign_off[].data_categories[]": _SLUG,
        "policy_owners[]": "pattern: a key of the people directory",
        "risk_appetite{key}": _ENUM + " (lifecycle stage)",
        "onboarding{key}": _ENUM + " (lifecycle stage)",
        "regulation.classify[]": _ENUM + " (lifecycle stage)",
        "risk_defaults{}.measured_by.kpi": _METRIC,
        "risk_defaults{}.measured_by.segment": _METRIC,
    },
}

# Payload fields whose values are link targets, emails, file paths or Markdown (not plain text).
LINK_FIELDS = {"data_sources[].authorisation.url", "data_sources[].contract"}
EMAIL_FIELDS = {"owner.email", "incident_owner.email"}
PATH_FIELDS = {"drift.samples", "drift.reference_samples", "drift.bins"}
MARKDOWN_FIELDS = {"summary", "notes"}
# Fields whose value holds payloads among other text (a template, two names in one).
COMPOSITE_FIELDS = {"risk_defaults{}.business", "risk_defaults{}.measured_by.drift_feature"}
# What Markdown fields may produce (the requirement: p/em/strong/lists/code/links to
# http(s)/mailto), and the only attributes allowed on those elements.
MARKDOWN_FIELD_TAGS = {"p", "br", "em", "strong", "ul", "ol", "li", "code", "pre", "a"}
MARKDOWN_FIELD_ATTRS = {"a": {"href", "title", "rel"}}

# Charter fields a model page shows as text: their value must appear there verbatim (whitespace
# collapsed). Fields not listed are not shown (kpis[].description, authorisation.approved_by,
# retraining.trigger, the drift file paths, link targets) or are shown transformed (Markdown,
# emails only when they make a safe mailto: link).
MODEL_PAGE_TEXT_FIELDS = {
    "name",
    "business_unit",
    "owner.name",
    "owner.role",
    "owner.on_call",
    "incident_owner.name",
    "incident_owner.role",
    "incident_owner.on_call",
    "outcomes[].outcome",
    "outcomes[].business_kpi",
    "outcomes[].target",
    "kpis[].name",
    "kpis[].unit",
    "data_sources[].name",
    "data_sources[].description",
    "data_sources[].owner",
    "data_sources[].lineage[]",
    "data_sources[].regions[]",
    "data_sources[].authorisation.record",
    "data_sources[].authorisation.legal_basis",
    "risks[].title",
    "risks[].technical",
    "risks[].business",
    "risks[].mitigation",
    "risks[].owner",
    "escalation[].name",
    "escalation[].trigger",
    "escalation[].who",
    "escalation[].response_time",
    "decision_rights[].decision",
    "decision_rights[].accountable",
    "decision_rights[].responsible[]",
    "decision_rights[].consulted[]",
    "decision_rights[].informed[]",
    "rhythm[].ritual",
    "rhythm[].attendees[]",
    "onboarding[].item",
    "segments[].description",
    "eu_ai_act.justification",
    "eu_ai_act.reason",
    "eu_ai_act.classified_by",
    "drift.features[].name",
    "csv:segment",
}
DASHBOARD_TEXT_FIELDS = {"name", "business_unit", "owner.name"}

# The H2 sections of a model page (anything else that is a heading came from a payload).
# The sub-headings a model page has of its own (never from input).
FIXED_H3 = {"Decision records"}
FIXED_H2 = {
    "KPIs",
    "Status history",
    "Data drift",
    "Fairness across segments",
    "Compliance",
    "Regulation",
    "Business outcomes",
    "Data sources",
    "Risks",
    "Escalation ladder",
    "Incidents",
    "Decision rights",
    "Operating rhythm",
    "Onboarding",
    "Lifecycle",
    "Notes",
    "History",
}

# --- The fixture repository --------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """One payload placed in one field of one file."""

    marker: str  # "hxNNNN", or "" for link and email values (used verbatim)
    model: str  # model id, or "policy"
    file: str  # path relative to the repository root
    path: str  # schema path ("kpis[].name") or "csv:segment", "csv:category", "csv:bin"
    payload: str  # Payload.name
    value: str  # exactly as written (before the loader strips whitespace)

    @property
    def shown(self) -> str:
        """What the portal should show: the value as loaded (NFC), whitespace collapsed."""
        return shown(self.value)


@dataclass
class HostileRepo:
    root: Path
    charters: dict[str, dict[str, Any]]  # model id -> charter as plain data
    policy: dict[str, Any]
    assignments: list[Assignment]
    csv_values: dict[str, list[str]]  # "csv:segment" / "csv:category" / "csv:bin" -> values
    stages: dict[str, str]

    @property
    def model_ids(self) -> list[str]:
        return sorted(self.charters)

    def name(self, model_id: str) -> str:
        return self.charters[model_id]["name"]

    def business_unit(self, model_id: str) -> str:
        return self.charters[model_id]["business_unit"]

    def by_marker(self) -> dict[str, Assignment]:
        return {a.marker: a for a in self.assignments if a.marker}

    def for_model(self, model_id: str) -> list[Assignment]:
        return [a for a in self.assignments if a.model == model_id]

    def payload_of(self, value: str) -> str | None:
        for a in self.assignments:
            if a.value == value:
                return a.payload
        return None


class _Filler:
    """Hands out payloads: the least-used eligible one first (so every payload appears), ties
    broken in corpus order after the last one handed out (so neighbouring fields differ)."""

    def __init__(self) -> None:
        self.counter = 0
        self.uses: Counter[str] = Counter()
        self.last: dict[str, int] = defaultdict(lambda: -1)
        self.path_classes: dict[str, set[str]] = defaultdict(set)
        self.assignments: list[Assignment] = []

    def marker(self) -> str:
        self.counter += 1
        return f"hx{self.counter:04d}"

    def _pick(
        self, pool: list[Payload], key: str, ok: Any, path: str, shared: str | None = None
    ) -> Payload:
        """The least-used payload that fits (``shared``, default ``key``, counts the uses), then
        one of a class ``path`` has not had yet, then the next in a fixed shuffle of the pool
        (``key`` keeps its place), so that neighbouring fields get different classes."""
        count = shared or key
        order = list(range(len(pool)))
        random.Random(key).shuffle(order)
        n = len(order)
        start = self.last[key] + 1
        seen = self.path_classes[path]
        candidates = []
        for o in range(n):
            k = (start + o) % n
            p = pool[order[k]]
            if ok(p):
                candidates.append((self.uses[(count, p.name)], p.cls in seen, o, k))
        if not candidates:
            raise ValueError(f"no payload fits {key}")
        k = min(candidates)[-1]
        self.last[key] = k
        chosen = pool[order[k]]
        self.uses[(count, chosen.name)] += 1
        seen.add(chosen.cls)
        return chosen

    def text(
        self,
        model: str,
        file: str,
        path: str,
        *,
        max_length: int = 2000,
        single_line: bool = False,
        filename: bool = False,
        seed: str | None = None,
        template: str = "{}",
    ) -> str:
        """A marker plus a payload, the marker before or after it in turn."""
        marker = self.marker()

        def fits(p: Payload) -> bool:
            if single_line and not p.single_line:
                return False
            if filename and not p.filename_safe:
                return False
            return len((marker + " " + p.text).strip()) <= max_length

        if seed is not None:
            payload = BY_NAME[seed]
            assert fits(payload), f"seed {seed} does not fit {path}"
            self.uses[("text", payload.name)] += 1
            self.path_classes[path].add(payload.cls)
        else:
            payload = self._pick(RENDERED, "text", fits, path)
        text = f"{marker} {payload.text}" if self.counter % 2 else f"{payload.text} {marker}"
        value = template.format(text)
        self.assignments.append(Assignment(marker, model, file, path, payload.name, value))
        return value

    def markdown(self, model: str, file: str, path: str, limit: int = 1950) -> str:
        """Several payloads, each after its marker paragraph, as long as they fit."""
        parts: list[str] = []
        size = 0
        for _ in range(12):
            marker = self.marker()

            def fits(p: Payload, marker: str = marker, size: int = size) -> bool:
                return size + len(marker) + len(p.text) + 4 <= limit

            try:
                payload = self._pick(RENDERED, "markdown", fits, path)
            except ValueError:
                self.counter -= 1
                break
            part = f"{marker}\n\n{payload.text}"
            size += len(part) + 2
            parts.append(part)
            self.assignments.append(Assignment(marker, model, file, path, payload.name, part))
        return "\n\n".join(parts)

    def verbatim(self, pool: list[Payload], model: str, file: str, path: str) -> str:
        payload = self._pick(pool, f"{pool[0].name}:{path}", lambda p: True, path, pool[0].name)
        self.assignments.append(Assignment("", model, file, path, payload.name, payload.text))
        return payload.text


# Seeds for the fields every page shows (titles, nav labels, dashboard cells).
NAME_SEEDS = [
    "heading_js_attrlist",
    "html_title_breakout",
    "fm_quote_newline",
    "json_line_separators",
    "attr_trailing",
    "fm_json_breakout",
    "html_svg_onload",
    "md_link_js",
    "fm_fence_script",
    "html_title_breakout",
]
# The first KPI unit of the first models (the y-axis title of its chart).
KPI_UNIT_SEEDS = [
    "vega_title_dq",
    "vega_title_sq",
    "vega_title_backslash",
    "vega_title_constructor",
    "vega_title_event_view",
    "vega_title_escapes",
    "vega_title_line_break",
    "vega_title_line_separator",
]
UNIT_SEEDS = [
    "html_img_onerror",
    "heading_js_attrlist",
    "fm_pipe",
    "attr_onfocus_autofocus",
    "html_attr_breakout_dq",
]
N_MODELS = len(NAME_SEEDS)
# The last model reads its drift (and names a source for a KPI) from a metric source
# (content/sources.yaml): its bins are the file `aipo collect` writes, with hostile labels.
SOURCE_MODEL = N_MODELS - 1
SOURCES_YML = "sources:\n  hostile-logs:\n    path: data/hostile-logs.parquet\n"
STAGES = ["production", "pilot", "production", "prototype", "production", "deprecated"]
# Three ways to give drift inputs: one dated samples file, separate reference and current
# samples, pre-binned counts (with periods, or without).
DRIFT_FORMS = ["dated", "files", "bins"]


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Always a quoted or block scalar (aipo reads plain scalars as YAML 1.2 core values), in
    turn double-quoted, single-quoted and literal block (PyYAML falls back when it must)."""
    styles = ['"', "'", "|"] if "\n" in value else ['"', "'"]
    style = styles[len(value) % len(styles)]
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6, indent=2
    )


def _csv_text(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def _days(n: int, end: dt.date = AS_OF) -> list[dt.date]:
    return [end - dt.timedelta(days=n - 1 - i) for i in range(n)]


MKDOCS_YML = f"""\
site_name: {SITE_NAME}
docs_dir: content
strict: true
theme:
  name: material
  font: false
  features:
    - navigation.sections
    - navigation.prune
    - navigation.indexes
    - toc.follow
    - search.highlight
plugins:
  - search
  - aipo:
      as_of: "{AS_OF.isoformat()}"
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - abbr
  - footnotes
  - tables
  - toc:
      permalink: true
  - pymdownx.details
  - pymdownx.superfences
nav:
  - Home: index.md
  - Portfolio dashboard: dashboard.md
  - Reference:
      - Charter: reference/charter.md
      - Policy: reference/policy.md
"""

HOME = """\
# Hostile fixture portal

Every text field of every charter, of the policy and of the metric and drift files in this
portal carries a hostile payload. Nothing here may run.
"""


class _Charter:
    """Hands out payloads for the fields of one charter."""

    def __init__(self, fill: _Filler, model: str) -> None:
        self.fill = fill
        self.model = model
        self.file = f"content/models/{model}.yaml"

    def short(self, path: str, seed: str | None = None) -> str:
        return self.fill.text(self.model, self.file, path, max_length=200, seed=seed)

    def long(self, path: str) -> str:
        return self.fill.text(self.model, self.file, path, max_length=2000)

    def markdown(self, path: str) -> str:
        return self.fill.markdown(self.model, self.file, path)

    def link(self, path: str) -> str:
        return self.fill.verbatim(URL_PAYLOADS, self.model, self.file, path)

    def contact(self, prefix: str) -> dict[str, str]:
        return {
            "name": self.short(f"{prefix}.name"),
            "email": self.fill.verbatim(EMAIL_PAYLOADS, self.model, self.file, f"{prefix}.email"),
            "role": self.short(f"{prefix}.role"),
            "on_call": self.short(f"{prefix}.on_call"),
            # A key with no people directory in the repository: the name above is shown.
            "person": f"{prefix.replace('_', '-')}-{self.model}",
        }

    def drift_path(self, path: str) -> str:
        return self.fill.text(
            self.model, self.file, path, max_length=200, filename=True, template="drift/{}.csv"
        )

    def feature(self) -> str:
        path = "drift.features[].name"
        return self.fill.text(self.model, self.file, path, max_length=100, single_line=True)


def _policy(fill: _Filler) -> dict[str, Any]:
    file = "content/policy.yaml"

    def t(path: str) -> str:
        return fill.text("policy", file, path, max_length=200)

    regions = [t("authorisation[].regions[]") for _ in range(4)]

    def template() -> str:
        # A str.format template: payloads with braces would not be one, so they are skipped.
        while "{" in (text := t("risk_defaults{}.business")) or "}" in text:
            pass
        return text + " ({model}, {title})"

    def default_feature() -> str:
        # Two payloads in one name (at most 100 characters): enough classes over two kinds.
        path = "risk_defaults{}.measured_by.drift_feature"
        return " ".join(fill.text("policy", file, path, max_length=49) for _ in range(2))

    def rule(categories: list[str], regions: list[str]) -> dict[str, Any]:
        return {
            "categories": categories,
            "regions": regions,
            "regulation": t("authorisation[].regulation"),
        }

    def ritual(days: int, stages: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"ritual": t("rituals[].ritual"), "max_cadence_days": days}
        if stages:
            out["stages"] = stages
        return out

    return {
        "metrics": {
            "recall": {"direction": "higher_is_better", "warn": 0.80, "breach": 0.75},
            "precision": {"direction": "higher_is_better", "warn": 0.70, "breach": 0.60},
        },
        "baseline_max_drop": {"warn": 0.05, "breach": 0.10},
        "freshness_days": 3,
        # Rule 0 covers every model's personal data without a record, rule 1 its health data in
        # a hostile region: findings quote their regulation on the model pages.
        "authorisation": [
            rule(["personal"], ["*"]),
            rule(["health"], regions[:2]),
            rule(["biometric"], ["*"]),
            rule(["children"], [*regions[2:], "EU"]),
        ],
        "max_retraining_interval_days": 180,
        "required_sections": {
            "pilot": ["owner", "kpis", "thresholds"],
            "production": [
                *("owner", "incident_owner", "kpis", "thresholds", "escalation"),
                *("retraining", "data_contracts"),
            ],
        },
        "performance_stages": ["prototype", "pilot", "production", "deprecated"],
        # No charter holds these rituals: each is a finding that quotes its name.
        "rituals": [
            ritual(7),
            ritual(31, ["production"]),
            ritual(92, ["pilot", "production"]),
            ritual(92, ["deprecated"]),
        ],
        # No model has a decision record: each model in production or sunset has a finding that
        # quotes the decision right, and the portal's pages show them.
        "decisions": [
            {
                "kind": "stage-transition",
                "stage": "production",
                "decision_right": t("decisions[].decision_right"),
            },
            {
                "kind": "stage-transition",
                "stage": "sunset",
                "decision_right": t("decisions[].decision_right"),
            },
            {"kind": "risk-acceptance", "decision_right": t("decisions[].decision_right")},
        ],
        "sign_off": [
            {"name": t("sign_off[].name"), "kinds": ["threshold-loosened"], "approvers": ["owner"]},
            {"name": t("sign_off[].name"), "data_categories": ["health"], "approvers": ["owner"]},
            {"name": t("sign_off[].name"), "policy": True, "approvers": ["policy-team"]},
        ],
        "policy_owners": ["policy-team"],
        "risk_appetite": {"pilot": 12, "production": 6},
        "regulation": {"classify": ["production"], "missing": "warn"},
        "risk_review_days": 60,
        "risk_defaults": {
            kind: {
                "measured_by": {"drift_feature": default_feature()}
                if kind in ("adversarial_vulnerability", "hallucination")
                else {"kpi": "recall"}
                if kind == "calibration_error"
                else {"segment": "recall"},
                "business": template(),
            }
            for kind in ("bias", "calibration_error", "adversarial_vulnerability", "hallucination")
        },
        "onboarding": {
            "production": [t("onboarding{}[]") for _ in range(3)],
            "pilot": [t("onboarding{}[]") for _ in range(2)],
        },
    }


def _charter(c: _Charter, i: int, name: str, unit: str, policy: dict[str, Any]) -> dict[str, Any]:
    """Every field of the charter, text fields with payloads (drift is added by the caller)."""
    regions = policy["authorisation"][1]["regions"] + policy["authorisation"][3]["regions"]
    seed = KPI_UNIT_SEEDS[i] if i < len(KPI_UNIT_SEEDS) else None

    def outcome(kpis: list[str]) -> dict[str, Any]:
        return {
            "outcome": c.long("outcomes[].outcome"),
            "business_kpi": c.short("outcomes[].business_kpi"),
            "target": c.short("outcomes[].target"),
            "model_kpis": kpis,
        }

    def kpi(metric: str, **more: Any) -> dict[str, Any]:
        out = {"metric": metric, "name": c.short("kpis[].name")}
        out["description"] = c.long("kpis[].description")
        out["unit"] = c.short("kpis[].unit", seed=more.pop("unit_seed", None))
        return {**out, **more}

    def risk(kind: str, likelihood: int, impact: int, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"title": c.short("risks[].title"), "kind": kind}
        out |= {"technical": c.long("risks[].technical"), "business": c.long("risks[].business")}
        out |= {"likelihood": likelihood, "impact": impact}
        if full:
            out |= {"mitigation": c.long("risks[].mitigation"), "owner": c.short("risks[].owner")}
            out |= {"last_reviewed": "2026-09-01", "residual": {"likelihood": 1, "impact": 2}}
        return out

    def level(on: str, after_days: int = 0) -> dict[str, Any]:
        return {
            "name": c.short("escalation[].name"),
            "on": on,
            "after_days": after_days,
            "trigger": c.long("escalation[].trigger"),
            "who": c.short("escalation[].who"),
            "response_time": c.short("escalation[].response_time"),
        }

    def people(path: str, n: int) -> list[str]:
        return [c.short(f"decision_rights[].{path}[]") for _ in range(n)]

    def right(responsible: int, consulted: int, informed: int) -> dict[str, Any]:
        return {
            "decision": c.short("decision_rights[].decision"),
            "accountable": c.short("decision_rights[].accountable"),
            "responsible": people("responsible", responsible),
            "consulted": people("consulted", consulted),
            "informed": people("informed", informed),
        }

    def ritual(days: int, last: str, attendees: int) -> dict[str, Any]:
        return {
            "ritual": c.short("rhythm[].ritual"),
            "cadence_days": days,
            "last_held": last,
            "attendees": [c.short("rhythm[].attendees[]") for _ in range(attendees)],
        }

    authorised = {
        "name": c.short("data_sources[].name"),
        "description": c.long("data_sources[].description"),
        "owner": c.short("data_sources[].owner"),
        "lineage": [c.short("data_sources[].lineage[]") for _ in range(2)],
        "categories": ["personal", "financial"],
        "regions": [c.short("data_sources[].regions[]"), "EU"],
        "authorisation": {
            "record": c.short("data_sources[].authorisation.record"),
            "legal_basis": c.short("data_sources[].authorisation.legal_basis"),
            "approved_by": c.short("data_sources[].authorisation.approved_by"),
            "date": "2025-12-01",
            "url": c.link("data_sources[].authorisation.url"),
        },
        "contract": c.link("data_sources[].contract"),
    }
    # health data in a policy region, no authorisation: a finding quoting the regulation
    health = {
        "name": c.short("data_sources[].name"),
        "description": c.long("data_sources[].description"),
        "owner": c.short("data_sources[].owner"),
        "lineage": [c.short("data_sources[].lineage[]")],
        "categories": ["health"],
        "regions": [regions[i % 2]],
        "contract": c.link("data_sources[].contract"),
    }
    # no contract (and, for even models, no record): findings quoting its name
    third: dict[str, Any] = {"name": c.short("data_sources[].name")}
    if i % 2:
        third |= {
            "categories": ["personal"],
            "regions": [c.short("data_sources[].regions[]")],
            "authorisation": {
                "record": c.short("data_sources[].authorisation.record"),
                "url": c.link("data_sources[].authorisation.url"),
            },
        }
    else:
        third |= {"categories": ["personal", "children"], "regions": [regions[2 + i % 2]]}

    return {
        "id": c.model,
        "name": name,
        "summary": c.markdown("summary"),
        "business_unit": unit,
        "owner": c.contact("owner"),
        "incident_owner": c.contact("incident_owner"),
        "lifecycle": {
            "stage": STAGES[i % len(STAGES)],
            "since": "2026-01-05",
            "history": [{"stage": "prototype", "date": "2025-06-02"}],
            "sunset_review": "2027-06-01",
        },
        "release": {"version": c.short("release.version"), "artifact": c.short("release.artifact")},
        # Contradicts itself on odd models (an Art. 6(3) claim while profiling): findings too.
        "eu_ai_act": {
            "risk_class": "high-risk",
            "role": "deployer" if i % 2 else "provider-and-deployer",
            "path": {
                "prohibited_practice": False,
                "annex_i_product": False,
                "annex_iii": "5(b)",
                "profiling": True,
                "art_6_3": "preparatory-task" if i % 2 else None,
                "transparency": ["interacts-with-people"],
            },
            "justification": c.long("eu_ai_act.justification"),
            "reason": c.long("eu_ai_act.reason"),
            "classified_by": c.short("eu_ai_act.classified_by"),
            "classified_on": "2026-01-05",
        },
        "outcomes": [outcome(["recall"]), outcome(["precision", "latency_ms"])],
        "kpis": [
            kpi(
                "recall",
                unit_seed=seed,
                direction="higher_is_better",
                window_days=7,
                aggregation="mean",
                baseline={
                    "value": 0.9,
                    "date": "2026-01-05",
                    "max_drop": {"warn": 0.05, "breach": 0.1},
                },
                freshness_days=3,
            ),
            kpi("precision", aggregation="median", baseline={"value": 0.75}),
            kpi(
                "latency_ms",
                direction="lower_is_better",
                thresholds={"warn": 200, "breach": 300},
                aggregation="max",
                window_days=3,
            ),
        ],
        "data_sources": [authorised, health, third],
        "retraining": {
            "cadence_days": 90 if i % 4 else 365,
            "last_retrained": "2026-10-01" if i % 3 else "2026-03-01",
            "trigger": c.long("retraining.trigger"),
        },
        "risks": [
            # the first two share a cell of the risk matrix: one "R1 R2" label
            risk(["bias", "privacy", "data_quality", "other"][i % 4], 1 + i % 5, 5 - i % 5)
            | {"status": ["open", "mitigated", "accepted", "closed"][i % 4]}
            | {"measured_by": {"segment": "recall"}},
            risk("calibration_error", 1 + i % 5, 5 - i % 5) | {"measured_by": {"kpi": "recall"}},
            risk("adversarial_vulnerability", 3, 3, full=False),
        ],
        "escalation": [level("warn"), level("breach"), level("breach", after_days=3)],
        "decision_rights": [right(1, 2, 1), right(1, 0, 2)],
        "rhythm": [ritual(7, "2026-11-16", 2), ritual(30, "2026-09-01", 1)],
        "onboarding": [
            {"item": c.short("onboarding[].item"), "done": True, "date": "2026-01-02"},
            {"item": c.short("onboarding[].item"), "done": False},
            {"item": c.short("onboarding[].item")},
        ],
        "segments": [
            {
                "metric": "recall",
                "description": c.long("segments[].description"),
                "gap": "absolute" if i % 2 else "ratio",
                "tiers": {"warn": 0.02, "breach": 0.05} if i % 2 else {"warn": 1.05, "breach": 1.1},
                "window_days": 7,
            }
        ],
        "notes": c.markdown("notes"),
    }


def build_hostile_repo(root: Path) -> HostileRepo:
    """Write the hostile fixture repository into ``root`` (created) and describe it."""
    fill = _Filler()
    rng = random.Random(20261120)
    (root / "content" / "models").mkdir(parents=True, exist_ok=True)
    (root / "metrics").mkdir(exist_ok=True)
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (root / "content" / "index.md").write_text(HOME, encoding="utf-8")
    (root / "content" / "sources.yaml").write_text(SOURCES_YML, encoding="utf-8")
    csv_values: dict[str, list[str]] = defaultdict(list)

    def csv_cell(model: str, file: str, kind: str, max_length: int = 200) -> str:
        value = fill.text(model, file, kind, max_length=max_length, single_line=True)
        csv_values[kind].append(value)
        return value

    policy = _policy(fill)
    (root / "content" / "policy.yaml").write_text(dump_yaml(policy), encoding="utf-8")

    # The business units: models share them (they are the nav groups).
    units: list[Assignment] = []
    for i, seed in enumerate(UNIT_SEEDS):
        _Charter(fill, f"hostile-{i}").short("business_unit", seed=seed)
        units.append(fill.assignments[-1])

    charters: dict[str, dict[str, Any]] = {}
    stages: dict[str, str] = {}
    days = _days(120)
    for i in range(N_MODELS):
        c = _Charter(fill, f"hostile-{i}")
        mid, mdir = c.model, root / "metrics" / c.model
        shared = units[i % len(units)]
        if shared.model != mid:
            fill.assignments.append(
                Assignment(
                    shared.marker, mid, c.file, "business_unit", shared.payload, shared.value
                )
            )
        name = c.short("name", seed=NAME_SEEDS[i])
        charter = _charter(c, i, name, shared.value, policy)
        stages[mid] = charter["lifecycle"]["stage"]

        # KPI series, with three hostile segments of recall
        kfile = f"metrics/{mid}/kpis.csv"
        segments = [csv_cell(mid, kfile, "csv:segment") for _ in range(3)]
        recall_now = (0.90, 0.78, 0.70)[i % 3]  # OK, WARN, BREACH in the last two weeks
        rows: list[list[Any]] = [["date", "metric", "value", "segment"]]
        for n, day in enumerate(days):
            d = day.isoformat()
            recall = recall_now if n >= len(days) - 14 else 0.9
            latency = 150 + 60 * (i % 3) + rng.uniform(-5, 5)
            rows.append([d, "recall", f"{recall + rng.uniform(-0.004, 0.004):.4f}", ""])
            rows.append([d, "precision", f"{0.74 + rng.uniform(-0.01, 0.01):.4f}", ""])
            rows.append([d, "latency_ms", f"{latency:.1f}", ""])
            for k, seg in enumerate(segments):
                value = recall - 0.03 * k + rng.uniform(-0.002, 0.002)
                rows.append([d, "recall", f"{value:.4f}", seg])
        mdir.mkdir(parents=True, exist_ok=True)
        (root / kfile).write_text(_csv_text(rows), encoding="utf-8")

        charter["drift"] = _drift(c, i, mdir, rng, csv_cell)
        if i == SOURCE_MODEL:
            # `where` values are charter text too (query parameters for aipo collect).
            latency = next(k for k in charter["kpis"] if k["metric"] == "latency_ms")
            latency["source"] = {
                "name": "hostile-logs",
                "date": "scored_at",
                "value": "latency_ms",
                "where": {"region": [c.short("kpis[].source.where{}") for _ in range(3)]},
                "segment": "band",
            }
        # The third risk is measured by a drift feature: its (hostile) name, as the charter has it.
        charter["risks"][2]["measured_by"] = {
            "drift_feature": charter["drift"]["features"][0]["name"]
        }
        charters[mid] = charter
        (root / c.file).write_text(dump_yaml(charter), encoding="utf-8")

    return HostileRepo(
        root=root,
        charters=charters,
        policy=policy,
        assignments=fill.assignments,
        csv_values=dict(csv_values),
        stages=stages,
    )


def _drift(c: _Charter, i: int, mdir: Path, rng: random.Random, csv_cell: Any) -> dict[str, Any]:
    """The drift section and its input files: one dated samples file, separate reference and
    current files, or pre-binned counts (with periods for even models)."""
    form = "source" if i == SOURCE_MODEL else DRIFT_FORMS[i % len(DRIFT_FORMS)]
    (mdir / "drift").mkdir()
    if form == "source":
        # What `aipo collect` writes: every bin of every feature in every period.
        collected = f"metrics/{c.model}/drift/collected-bins.csv"
        names = [c.feature(), c.feature()]
        labels = {f: [csv_cell(c.model, collected, "csv:bin") for _ in range(3)] for f in names}
        monday = AS_OF - dt.timedelta(days=AS_OF.weekday())
        periods = [(monday - dt.timedelta(weeks=k)).isoformat() for k in range(6)][::-1]
        rows = [["period", "feature", "bin", "reference_count", "current_count"]]
        for k, period in enumerate(periods):
            current = [100, 60, 40] if k < 2 else [40, 60, 100]
            for f in names:
                for label, ref, cur in zip(labels[f], [500, 300, 200], current, strict=True):
                    rows.append([period, f, label, ref, cur])
        (mdir / "drift" / "collected-bins.csv").write_text(_csv_text(rows), encoding="utf-8")
        return {
            "source": {
                "name": "hostile-logs",
                "date": "scored_at",
                "where": {"model_id": [c.short("drift.source.where{}") for _ in range(3)]},
            },
            "reference": {"start": "2026-06-01", "end": "2026-09-30"},
            "period": "week",
            "features": [{"name": names[0], "method": "psi"}, {"name": names[1]}],
        }
    if form == "bins":
        bins = c.drift_path("drift.bins")
        names = [c.feature(), c.feature()]
        labels = {
            f: [csv_cell(c.model, f"metrics/{c.model}/{bins}", "csv:bin") for _ in range(3)]
            for f in names
        }
        periodic = i % 2 == 0
        monday = AS_OF - dt.timedelta(days=AS_OF.weekday())
        periods = [(monday - dt.timedelta(weeks=k)).isoformat() for k in range(8)][::-1]
        head = ["feature", "bin", "reference_count", "current_count"]
        rows: list[list[Any]] = [["period", *head] if periodic else head]
        for k, period in enumerate(periods if periodic else [""]):
            current = [100, 60, 40] if periodic and k < len(periods) - 4 else [40, 60, 100]
            for f in names:
                for label, ref, cur in zip(labels[f], [500, 300, 200], current, strict=True):
                    rows.append([period, f, label, ref, cur] if periodic else [f, label, ref, cur])
        (mdir / bins).write_text(_csv_text(rows), encoding="utf-8")
        return {
            "bins": bins,
            "period": "week",
            "features": [
                {"name": names[0], "method": "psi", "importance": 3},
                {
                    "name": names[1],
                    "method": "chi_square",
                    "tiers": {"warn": 0.05, "breach": 0.01},
                },
            ],
        }

    numeric, cat_a, cat_b = c.feature(), c.feature(), c.feature()
    categories = [
        csv_cell(c.model, f"metrics/{c.model}/drift", "csv:category", 100) for _ in "abcd"
    ]
    features = [
        {"name": numeric, "kind": "numeric", "importance": 2},
        {
            "name": cat_a,
            "kind": "categorical",
            "method": "psi",
            "tiers": {"warn": 0.1, "breach": 0.25},
        },
        {"name": cat_b},
    ]

    def sample_rows(n: int, shifted: bool) -> list[list[Any]]:
        weights = [0.1, 0.2, 0.3, 0.4] if shifted else [0.4, 0.3, 0.2, 0.1]
        return [
            [
                f"{rng.gauss(13.0 if shifted else 10.0, 2.0):.3f}",
                rng.choices(categories, weights)[0],
                rng.choices(categories[::-1], weights)[0],
            ]
            for _ in range(n)
        ]

    header = [numeric, cat_a, cat_b]
    if form == "dated":
        samples = c.drift_path("drift.samples")
        rows = [["date", *header]]
        for day in _days(173):
            shifted = day > AS_OF - dt.timedelta(days=60)
            rows += [[day.isoformat(), *row] for row in sample_rows(6, shifted)]
        (mdir / samples).write_text(_csv_text(rows), encoding="utf-8")
        return {
            "samples": samples,
            "reference": {"start": "2026-06-01", "end": "2026-07-31"},
            "current_days": 28,
            "period": "week",
            "features": features,
            "share": {"warn": 0.3, "breach": 0.6},
        }
    samples, reference = c.drift_path("drift.samples"), c.drift_path("drift.reference_samples")
    (mdir / reference).write_text(_csv_text([header, *sample_rows(400, False)]), encoding="utf-8")
    (mdir / samples).write_text(_csv_text([header, *sample_rows(300, True)]), encoding="utf-8")
    return {"samples": samples, "reference_samples": reference, "features": features}
