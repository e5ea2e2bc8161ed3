"""Raw English prose for `raw_speed.sh`: the visible text of the Rust toolchain's books.

../shared holds no raw English (its English corpus is text8-style: lower case, no
punctuation), so the tokenizer's cost on capitals, punctuation and mixed tokens is measured on
the prose of the books that `rustup` installs with the `rust-docs` component (The Rust
Programming Language, the Reference, the Cargo book, the rustc book, …; MIT OR Apache-2.0):
each book's `print.html`, code blocks, scripts and navigation left out, one paragraph, list item
or table cell per line, lines of fewer than five words dropped.

usage: python3 benchsuite/rust_docs_text.py OUT [--repeat N] [--docs DIR]
  --repeat N  write the text N times (the books hold about 4 MB; 6 gives about 25 MB)
  --docs DIR  default: `rustc --print sysroot`/share/doc/rust/html
"""
import argparse
import glob
import html.parser
import os
import subprocess
import sys

BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "dd", "dt", "td", "th", "blockquote", "div")
HIDDEN = ("pre", "script", "style", "nav", "head")


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.buf = []
        self.lines = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        if tag in BLOCKS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.hidden:
            self.buf.append(data)

    def flush(self):
        line = " ".join("".join(self.buf).split())
        self.buf = []
        if len(line.split()) >= 5:
            self.lines.append(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--docs")
    a = ap.parse_args()
    docs = a.docs or os.path.join(
        subprocess.run(["rustc", "--print", "sysroot"], check=True, capture_output=True,
                       text=True).stdout.strip(), "share", "doc", "rust", "html")
    books = sorted(glob.glob(os.path.join(docs, "*", "print.html")))
    if not books:
        sys.exit(f"no */print.html under {docs}: `rustup component add rust-docs`")
    lines = []
    for path in books:
        t = Text()
        with open(path, encoding="utf-8") as f:
            t.feed(f.read())
        t.flush()
        lines += t.lines
    text = "\n".join(lines) + "\n"
    with open(a.out, "w", encoding="utf-8") as f:
        for _ in range(a.repeat):
            f.write(text)
    print(f"{len(books)} books, {len(lines)} lines, {len(text.encode()) * a.repeat} bytes "
          f"-> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
