#!/usr/bin/env python3
"""The corpus of scripts/bench, and the check of what was counted in it.

    bench-corpus.py generate DIR FEEDS ENTRIES TEXTS QUERIES
    bench-corpus.py check DIR NAME=OUT.jsonl...

`generate` writes into DIR, always the same for the same sizes (seeded):
- feed0.xml ... : FEEDS RSS feeds of ENTRIES entries, each entry's text four
  sentences drawn from a short list, in an HTML description;
- truth.json: for each entry (by its link) the brands and products its
  sentences name, known exactly because each sentence's mentions are
  written beside it below;
- jsonl1.toml, jsonl.toml, kafka.toml: the backfill pipelines (one state
  directory and output each); brands.json: the same brands as regexes for
  the Python peer;
- texts.jsonl: TEXTS entry texts as `earshot classify` input lines (the
  corpus' texts, repeated if it has fewer);
- classify-1.toml (one brand, one query: Acme) and classify-10k.toml
  (QUERIES brands: Acme and invented names that appear nowhere), so that
  both find the same mentions.

`check` counts the feedback records of each output (earshot's, with schema
earshot.feedback/1 or /2, and the peer's) per brand and product, prints them
beside the truth, names the first entries that differ, and exits 1 if an
output whose name starts with "earshot" differs from the truth.
"""

import html
import json
import random
import sys
from collections import Counter

# Each sentence with the brands and products it names. Some end in a brand
# and some start with a product's second word, so that drawn side by side
# they make near misses ("... at the Acme. Cloud cover ..."): a phrase
# query must not match across the full stop, and the truth says so.
MOODS = [
    ("I love how fast Acme Cloud syncs now!", ["Acme"], ["Acme Cloud"]),
    ("Acme Cloud lost my files again. Terrible support.", ["Acme"], ["Acme Cloud"]),
    ("Globex shipped a decent update.", ["Globex"], []),
    ("Nothing to report about the weather today.", [], []),
    ("The Acme Phone battery is awful, honestly the worst.", ["Acme"], ["Acme Phone"]),
    ("Switched from Acme to Globex, no regrets.", ["Acme", "Globex"], []),
    ("We met for lunch at the Acme.", ["Acme"], []),
    ("Cloud cover kept the beach cool all afternoon.", [], []),
    ("Phone calls to the town hall went unanswered, acme or not.", ["Acme"], []),
    ("Phone, keys, wallet: all packed.", [], []),
]

BRANDS_TOML = '''
[[brands]]
name = "Acme"
query = 'acme OR #acme'
[[brands.products]]
name = "Acme Cloud"
query = '"acme cloud"'
[[brands.products]]
name = "Acme Phone"
query = '"acme phone"'
[[brands]]
name = "Globex"
query = "globex"
'''

# The same brands for the peer: a bare term matches its hashtag, mention and
# cashtag too, as earshot's do.
PEER_BRANDS = [
    {
        "name": "Acme",
        "pattern": r"(?<!\w)[#@$]?acme(?!\w)",
        "products": [
            {"name": "Acme Cloud", "pattern": r"(?<!\w)acme\s+cloud(?!\w)"},
            {"name": "Acme Phone", "pattern": r"(?<!\w)acme\s+phone(?!\w)"},
        ],
    },
    {"name": "Globex", "pattern": r"(?<!\w)[#@$]?globex(?!\w)", "products": []},
]

SINKS = {
    "jsonl1": '[sink]\ntype = "jsonl"\npath = "out-jsonl1.jsonl"\n',
    "jsonl": '[sink]\ntype = "jsonl"\npath = "out-jsonl.jsonl"\n',
    "kafka": '[sink]\ntype = "kafka"\nbrokers = "${BENCH_BROKERS}"\n'
    'feedback_topic = "fb"\ninfluencer_topic = "inf"\n',
}


def generate(work, feeds, entries, texts, queries):
    random.seed(7)
    src, truth, corpus = [], {}, []
    for f in range(feeds):
        items = []
        for e in range(entries):
            picked = [random.choice(MOODS) for _ in range(4)]
            text = " ".join(m[0] for m in picked)
            link = f"https://blog{f}.example/p/{e}"
            truth[link] = {
                "text": text,
                "brands": sorted({b for m in picked for b in m[1]}),
                "products": sorted({p for m in picked for p in m[2]}),
            }
            corpus.append(text)
            items.append(
                f"<item><title>Post {f}-{e}</title><link>{link}</link>"
                f"<guid>blog{f}-{e}</guid><author>writer{f % 37}@blog{f}.example (Writer {f % 37})</author>"
                f"<pubDate>Mon, 02 Nov 2026 10:{e % 60:02d}:00 GMT</pubDate>"
                f"<description>{html.escape('<p>' + text + '</p>')}</description></item>"
            )
        write(
            f"{work}/feed{f}.xml",
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog {f}</title>'
            f'<link>https://blog{f}.example/</link>{"".join(items)}</channel></rss>',
        )
        src.append(f'[[sources]]\nid = "feed{f}"\ntype = "feed"\nurl = "file://{work}/feed{f}.xml"\n')
    for name, sink in SINKS.items():
        write(
            f"{work}/{name}.toml",
            f'name = "bench-{name}"\nstate_dir = "state-{name}"\n[schedule]\nconcurrency = 8\n'
            + "".join(src) + BRANDS_TOML + sink,
        )
    write(f"{work}/truth.json", json.dumps(truth))
    write(f"{work}/brands.json", json.dumps(PEER_BRANDS))
    write(
        f"{work}/texts.jsonl",
        "".join(json.dumps({"id": i, "text": corpus[i % len(corpus)]}) + "\n" for i in range(texts)),
    )
    # The same brand in both, so that both find the same mentions and the
    # difference is what the other queries cost.
    one = 'name = "bench-classify"\n[[brands]]\nname = "Acme"\nquery = "acme"\n'
    write(f"{work}/classify-1.toml", one)
    names = invented_names(queries - 1, {w.lower().strip(".,!") for m in MOODS for w in m[0].split()})
    write(
        f"{work}/classify-10k.toml",
        one + "".join(f'[[brands]]\nname = "{n}"\nquery = \'{query(n)}\'\n' for n in names),
    )


def invented_names(n, taken):
    """`n` distinct brand names made of syllables, one to three words, none
    of them a word of the corpus."""
    rng = random.Random(13)
    onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kr", "tr", "zh"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
    codas = ["", "", "n", "r", "x", "s", "l", "m"]

    def word():
        return "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(rng.randint(2, 3)))

    names, seen = [], set()
    while len(names) < n:
        words = [word() for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        if any(w in taken for w in words):
            continue
        name = " ".join(w.capitalize() for w in words)
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def query(name):
    return f'"{name.lower()}"' if " " in name else name.lower()


def write(path, text):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def counts(path):
    """Per brand and per product: the feedback records; and per entry link
    the brands found."""
    per_name, per_link = Counter(), {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if "schema" in r and r["schema"] not in ("earshot.feedback/1", "earshot.feedback/2"):
                continue
            per_name[r["brand"]] += 1
            for p in r.get("products", []):
                per_name[p] += 1
            per_link.setdefault(r.get("url"), set()).update([r["brand"], *r.get("products", [])])
    return per_name, per_link


def check(work, outputs):
    with open(f"{work}/truth.json", encoding="utf-8") as fh:
        truth = json.load(fh)
    want = Counter()
    for t in truth.values():
        want.update(t["brands"] + t["products"])
    names = ["Acme", "  Acme Cloud", "  Acme Phone", "Globex"]
    got = {}
    for spec in outputs:
        label, path = spec.split("=", 1)
        got[label] = counts(path)
    cols = list(got)
    width = max(14, *(len(c) + 2 for c in cols))
    print(f"  {'feedback records':<18}{'truth':>{width}}" + "".join(f"{c:>{width}}" for c in cols))
    for shown in names:
        n = shown.strip()
        print(f"  {shown:<18}{want[n]:>{width}}" + "".join(f"{got[c][0][n]:>{width}}" for c in cols))
    failed = False
    for c in cols:
        per_name, per_link = got[c]
        if all(per_name[n.strip()] == want[n.strip()] for n in names):
            continue
        failed |= c.startswith("earshot")
        wrong = [
            (link, t)
            for link, t in truth.items()
            if per_link.get(link, set()) != {*t["brands"], *t["products"]}
        ]
        print(f"  {c}: {len(wrong)} entries differ from the truth; the first ones:")
        for link, t in wrong[:5]:
            found = sorted(per_link.get(link, set()))
            print(f"    {link}: truth {t['brands'] + t['products']}, found {found}: {t['text']}")
    print(f"  truth check: {'FAILED' if failed else 'ok'} (earshot's counts {'differ from' if failed else 'equal'} the generator's)")
    return 1 if failed else 0


def main(argv):
    if len(argv) == 7 and argv[1] == "generate":
        generate(argv[2], *map(int, argv[3:]))
    elif len(argv) >= 4 and argv[1] == "check":
        sys.exit(check(argv[2], argv[3:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
