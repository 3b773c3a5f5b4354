#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fio_summary.py FIO_JSON: one fio job's figures as a compact JSON object
(iops, MB/s, completion latency p50/p99 in microseconds, errors)."""
import json
import sys

with open(sys.argv[1]) as fh:
    text = fh.read()
# fio may print warnings before the JSON document
job = json.loads(text[text.index("{"):])["jobs"][0]
side = job["read"] if job["read"]["io_bytes"] else job["write"]
pct = side["clat_ns"].get("percentile", {})
print(json.dumps({
    "iops": round(side["iops"], 1),
    "mbps": round(side["bw_bytes"] / 1e6, 2),
    "lat_p50_us": round(pct.get("50.000000", 0) / 1000, 1),
    "lat_p99_us": round(pct.get("99.000000", 0) / 1000, 1),
    "errors": job.get("error", 0),
}))
