#!/usr/bin/env python3
"""check_report.py REPORT.html [--min-svg N] - is a ternrig report valid,
self-contained HTML?

Checks, with python3's html.parser (stdlib only):
  - a doctype, <html lang>, <meta charset>, a non-empty <title>, <body>,
    <h1>, at least one <table>, at least N <svg> charts each drawing a
    <polyline>;
  - every element is closed, in order (void elements excepted; SVG
    elements may self-close);
  - nothing is fetched: no <script>, <link>, <iframe>, <img>, <object>,
    <embed>, no CSS url() or @import, no absolute URL in any attribute (the
    SVG namespace name is not fetched and is allowed), no scheme or
    protocol-relative link;
  - every link points at a file that exists next to the report.
Prints each problem; exit 1 if any, 0 otherwise.
"""
import html.parser
import os
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
FORBIDDEN = {"script", "link", "iframe", "img", "object", "embed", "frame",
             "base", "audio", "video"}
SVG_NS = "http://www.w3.org/2000/svg"


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.counts = {}
        self.doctype = False
        self.title = ""
        self.in_title = False
        self.in_style = False
        self.style = ""
        self.links = []
        self.svg_with_polyline = 0
        self.svg_open_polyline = False
        self.html_lang = False
        self.charset = False

    def where(self):
        line, col = self.getpos()
        return f"line {line}:{col}"

    def handle_decl(self, decl):
        if decl.lower().strip() == "doctype html":
            self.doctype = True

    def attrs_ok(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if tag == "svg" and name == "xmlns" and value == SVG_NS:
                continue
            if re.search(r"(?i)\b[a-z][a-z0-9+.-]*://|^\s*//|javascript:|data:",
                         value):
                self.problems.append(f"{self.where()}: <{tag} {name}=\"{value}\">"
                                     " points outside the page")
            if name.startswith("on"):
                self.problems.append(f"{self.where()}: <{tag}> has an event "
                                     f"handler {name}")
            if name == "href":
                self.links.append(value)
            if name == "lang" and tag == "html" and value:
                self.html_lang = True
            if name == "charset" and tag == "meta":
                self.charset = True

    def start(self, tag, attrs, closed):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag in FORBIDDEN:
            self.problems.append(f"{self.where()}: <{tag}> is not allowed in a "
                                 "self-contained report")
        self.attrs_ok(tag, attrs)
        if tag == "polyline" and "svg" in self.stack:
            self.svg_open_polyline = True
        if tag == "title":
            self.in_title = not closed
        if tag == "style":
            self.in_style = not closed
        if not closed and tag not in VOID:
            self.stack.append(tag)

    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID and "svg" not in self.stack and tag != "svg":
            self.problems.append(f"{self.where()}: <{tag}/> self-closes "
                                 "outside SVG")
        self.start(tag, attrs, True)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"{self.where()}: </{tag}> closes a void "
                                 "element")
            return
        if not self.stack or self.stack[-1] != tag:
            top = self.stack[-1] if self.stack else "nothing"
            self.problems.append(f"{self.where()}: </{tag}> while <{top}> is "
                                 "open")
            if tag in self.stack:
                while self.stack and self.stack[-1] != tag:
                    self.stack.pop()
                self.stack.pop()
            return
        self.stack.pop()
        if tag == "svg":
            self.svg_with_polyline += self.svg_open_polyline
            self.svg_open_polyline = False
        if tag == "title":
            self.in_title = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_title and "svg" not in self.stack:
            self.title += data
        if self.in_style:
            self.style += data


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    path = args[0]
    min_svg = 1
    if "--min-svg" in args:
        min_svg = int(args[args.index("--min-svg") + 1])
    text = open(path, encoding="utf-8").read()
    c = Checker()
    c.feed(text)
    c.close()
    p = c.problems
    if c.stack:
        p.append(f"unclosed at the end: {' '.join('<%s>' % t for t in c.stack)}")
    if not c.doctype:
        p.append("no <!DOCTYPE html>")
    if not c.html_lang:
        p.append("<html> has no lang")
    if not c.charset:
        p.append("no <meta charset>")
    if not c.title.strip():
        p.append("no <title> text")
    for tag in ("html", "head", "body", "h1", "table", "style"):
        if c.counts.get(tag, 0) == 0:
            p.append(f"no <{tag}>")
    for tag in ("html", "head", "body"):
        if c.counts.get(tag, 0) > 1:
            p.append(f"{c.counts[tag]} <{tag}> elements")
    if c.svg_with_polyline < min_svg:
        p.append(f"{c.svg_with_polyline} SVG chart(s) with a line, want at "
                 f"least {min_svg}")
    if re.search(r"(?i)url\s*\(|@import", c.style):
        p.append("the CSS loads something (url() or @import)")
    base = os.path.dirname(os.path.abspath(path))
    for href in c.links:
        if href.startswith("#"):
            continue
        if not os.path.isfile(os.path.join(base, href)):
            p.append(f"link to a missing file: {href}")
    for line in p:
        print(f"{path}: {line}")
    if not p:
        print(f"{path}: valid, self-contained: {c.svg_with_polyline} charts, "
              f"{c.counts.get('table', 0)} tables, {len(c.links)} links")
    return 1 if p else 0


if __name__ == "__main__":
    sys.exit(main())
