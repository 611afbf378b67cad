#!/usr/bin/env python3
"""The Python peer that scripts/bench times earshot against: the pipeline a
data engineer would write with the usual libraries, doing what `earshot
backfill` does for the benchmark's feeds, and what `earshot classify` does
for sentiment.

    bench-peer.py backfill BRANDS.json OUT.jsonl FEED.xml...
    bench-peer.py classify < texts.jsonl > scores.jsonl

`backfill` parses each feed file with feedparser, turns each entry's HTML
into text with BeautifulSoup(html, "lxml").get_text(), looks for each brand
and product with one compiled regex each, scores the text of an entry that
mentions a brand with vaderSentiment, and writes one JSON line per brand
mention (brand, products, sentiment, title, url, author, published). It
prints the number of entries read and records written on stderr, as
"entries N records M".

`classify` reads JSON lines with a `text`, as `earshot classify` does, and
writes one line per input line with the VADER scores.

BRANDS.json is a list of {"name", "pattern", "products": [{"name",
"pattern"}]}, the regexes written for the same brands as the pipeline's
queries.

Needs: feedparser, beautifulsoup4, lxml, vaderSentiment.
"""

import json
import re
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def load_brands(path):
    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)
    return [
        (
            b["name"],
            re.compile(b["pattern"], re.IGNORECASE),
            [(p["name"], re.compile(p["pattern"], re.IGNORECASE)) for p in b.get("products", [])],
        )
        for b in spec
    ]


def entry_html(entry):
    if entry.get("content"):
        return entry.content[0].value
    return entry.get("summary", "")


def backfill(brands_path, out_path, feeds):
    import feedparser
    from bs4 import BeautifulSoup

    brands = load_brands(brands_path)
    analyzer = SentimentIntensityAnalyzer()
    entries = records = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for path in feeds:
            with open(path, "rb") as fh:
                feed = feedparser.parse(fh.read())
            for entry in feed.entries:
                entries += 1
                text = BeautifulSoup(entry_html(entry), "lxml").get_text(" ", strip=True)
                title = entry.get("title", "")
                hay = f"{title}\n{text}"
                sentiment = None
                for name, pattern, products in brands:
                    if not pattern.search(hay):
                        continue
                    if sentiment is None:
                        sentiment = analyzer.polarity_scores(text)
                    record = {
                        "brand": name,
                        "products": [p for p, rx in products if rx.search(hay)],
                        "sentiment": sentiment,
                        "title": title,
                        "url": entry.get("link"),
                        "author": entry.get("author"),
                        "published": entry.get("published"),
                        "key": entry.get("id") or entry.get("link"),
                    }
                    out.write(json.dumps(record) + "\n")
                    records += 1
    print(f"entries {entries} records {records}", file=sys.stderr)


def classify():
    analyzer = SentimentIntensityAnalyzer()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        scores = analyzer.polarity_scores(item["text"])
        out.write(json.dumps({"id": item.get("id"), "sentiment": scores}) + "\n")


def main(argv):
    if len(argv) >= 4 and argv[1] == "backfill":
        backfill(argv[2], argv[3], argv[4:])
    elif len(argv) == 2 and argv[1] == "classify":
        classify()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
