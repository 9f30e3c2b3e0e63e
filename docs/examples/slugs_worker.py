#!/usr/bin/env python3
"""A worker for quern's `command` extractor (protocol quern-command, version 1; docs/api-jobs.md).

It plays the external model of an API job: for each record (a URL and a title) it returns a slug
made from the title, deterministically, and reports what the call cost. Standard library only.

    quern run --config docs/examples/slugs.yaml

The protocol, in short: quern writes a header line, then one JSON line per record, on stdin; the
worker answers the header with its own (the schema of its rows), then writes exactly one JSON line
per record, in order, on stdout, and flushes it. It ends when stdin ends.

Options for trying quern's behaviour (and its tests): --fail-on, --retry-on, --die-on,
--die-once-on, --sleep-on, --chatter-on match a text in the title.
"""

import argparse
import json
import os
import re
import sys
import time
import unicodedata

PROTOCOL = "quern-command"
VERSION = 1


def slugify(title):
    """The slug of a title: ASCII letters and digits, lower case, words joined by '-'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:80].strip("-")


def arguments(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cost", type=float, default=0.001, help="what one call costs (reported per record)")
    p.add_argument("--log", help="append the URL of every record received to this file")
    p.add_argument("--fail-on", help="reply an error (not retryable) for titles containing this text")
    p.add_argument("--retry-on", help="ask quern to retry titles containing this text ...")
    p.add_argument("--retry-times", type=int, default=1, help="... this many times before answering")
    p.add_argument("--die-on", help="exit with status 3 on titles containing this text, every time")
    p.add_argument("--die-once-on", help="exit with status 3 once on each title containing this text ...")
    p.add_argument("--marker", help="... remembering in this file the titles it died on")
    p.add_argument("--sleep-on", help="sleep before answering titles containing this text ...")
    p.add_argument("--sleep", type=float, default=60.0, help="... this many seconds")
    p.add_argument("--chatter-on", help="print a stray line to stdout (a bug) before answering titles containing this text")
    return p.parse_args(argv)


def reply(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main(argv):
    args = arguments(argv)
    header = json.loads(sys.stdin.readline() or "{}")
    if header.get("protocol") != PROTOCOL or header.get("version") != VERSION:
        sys.stderr.write("slugs_worker: expected a %s version %d header, got %r\n" % (PROTOCOL, VERSION, header))
        return 2
    # No features or labels: the row's value is its result, written by the jsonl writer.
    reply({"protocol": PROTOCOL, "version": VERSION, "features": [], "labels": [], "masks": []})
    retries = {}
    for line in sys.stdin:
        request = json.loads(line)
        record = request["record"]
        number = request["line"]
        url = record.get("url") or ""
        title = record.get("title") or ""
        if args.log:
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(url + "\n")
        if args.die_on and args.die_on in title:
            sys.stderr.write("slugs_worker: cannot handle %r\n" % title)
            return 3
        if args.die_once_on and args.die_once_on in title:
            died = open(args.marker, encoding="utf-8").read().splitlines() if os.path.exists(args.marker) else []
            if title not in died:
                with open(args.marker, "a", encoding="utf-8") as marker:
                    marker.write(title + "\n")
                sys.stderr.write("slugs_worker: died once on %r\n" % title)
                return 3
        if args.chatter_on and args.chatter_on in title:
            sys.stdout.write("calling the model...\n")
        if args.sleep_on and args.sleep_on in title:
            time.sleep(args.sleep)
        if args.retry_on and args.retry_on in title and retries.get(url, 0) < args.retry_times:
            retries[url] = retries.get(url, 0) + 1
            reply({"line": number, "error": "the model is busy", "retry": True, "cost": 0})
            continue
        if args.fail_on and args.fail_on in title:
            reply({"line": number, "error": "the model refused this title", "cost": args.cost})
            continue
        if not title.strip():
            reply({"line": number, "skip": "no title"})
            continue
        reply({"line": number, "result": {"url": url, "slug": slugify(title)}, "cost": args.cost})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
