#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py RAWDIR OUTDIR [README]: turn one bench run into results.

RAWDIR holds what bench/inside.sh wrote in the test host (meta.json and one
<case>.json per case).  Writes OUTDIR/<date>-<kernel>.json (raw figures plus
derived ones), OUTDIR/<date>-<kernel>.md (the table), PNG plots next to
them, and replaces the table between the bench markers in README.

Ratios: wherever a case reports {"native": {...}, "isolated": {...}} with
the same numeric leaves, each leaf gets "<path>_ratio", computed so that 1.0
means no overhead and higher is better: isolated / native for rates
(IOPS, MB/s, Mbit/s), native / isolated for times (keys ending in _us or
_ms) and for loss (keys ending in _lost_pct).
"""
import json
import os
import statistics
import sys

# lower is better: times, and loss in percent
LATENCY_SUFFIXES = ("_us", "_ms", "_lost_pct")
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


def leaves(d, prefix=""):
    for k, v in d.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            yield from leaves(v, path)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield path, v


def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def ratios(case, spoiled):
    """Every native/isolated pair below @case, as {path_ratio: value}.

    An isolated run whose domain restarted on its own even when rerun
    (counters.restarts) is no figure of the data path: its keys go to
    @spoiled instead."""
    out = {}

    def walk(d, prefix):
        if not isinstance(d, dict):
            return
        if isinstance(d.get("native"), dict) and isinstance(d.get("isolated"), dict):
            for path, nat in leaves(d["native"]):
                iso = get(d["isolated"], path)
                if not isinstance(iso, (int, float)) or nat <= 0 or iso <= 0:
                    continue
                key = (f"{prefix}." if prefix else "") + path + "_ratio"
                job = path.rsplit(".", 1)[0] if "." in path else None
                if job and get(d["isolated"], f"{job}.counters.restarts"):
                    spoiled.append(key)
                    continue
                lat = path.endswith(LATENCY_SUFFIXES)
                r = nat / iso if lat else iso / nat
                out[key] = {"ratio": round(r, 3), "native": nat, "isolated": iso,
                            "unit": path.rsplit("_", 1)[-1] if lat else ""}
            return
        for k, v in d.items():
            walk(v, f"{prefix}.{k}" if prefix else k)

    walk(case, "")
    return out


COUNTER_COLUMNS = ("doorbells_per_req", "irqs_per_req", "host_irqs_per_req",
                   "host_notifies_per_req", "host_cpu_us_per_req", "guest_cpu_us_per_req", "copied_bytes_per_byte")


def counters(d, prefix=""):
    """{path: counters} of every isolated run that carries them."""
    out = {}
    if isinstance(d, dict):
        if isinstance(d.get("counters"), dict):
            out[prefix] = d["counters"]
        for k, v in d.items():
            if k != "counters":
                out.update(counters(v, f"{prefix}.{k}" if prefix else k))
    return out


def slope(xs, ys):
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def dist(values):
    v = sorted(values)
    if not v:
        return {}
    pick = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
    return {"n": len(v), "min": v[0], "p50": pick(0.5), "p90": pick(0.9),
            "max": v[-1], "mean": round(statistics.fmean(v), 1)}


def derive(raw):
    der = {}
    idle = raw.get("idle")
    if idle and len(idle.get("points", [])) > 1:
        pts = idle["points"]
        xs = [p["domains"] for p in pts]
        mem0 = pts[0]["mem_available_kib"]
        der["idle_cpu_pct_per_domain"] = round(slope(xs, [p["cpu_pct"] for p in pts]), 3)
        der["idle_host_mem_kib_per_domain"] = round(
            slope(xs, [mem0 - p["mem_available_kib"] for p in pts]))
        if all("guest_wakeups_per_s" in p for p in pts):
            der["idle_guest_wakeups_per_s"] = round(
                slope(xs, [p["guest_wakeups_per_s"] for p in pts]), 2)
            der["idle_guest_exits_per_s"] = round(
                slope(xs, [p["exits_per_s"] for p in pts]), 2)
        if idle.get("vmm_count"):
            der["vmm_rss_kib_per_domain"] = round(idle["vmm_rss_kib_total"] / idle["vmm_count"])
    boot = raw.get("boot")
    if boot:
        der["boot_ms"] = dist(boot.get("boot_ms", []))
        der["panic_to_running_ms"] = dist(boot.get("panic_to_running_ms", []))
        if boot.get("restore_boot_ms"):
            der["restore_boot_ms"] = dist(boot["restore_boot_ms"])
        if boot.get("panic_to_running_cold_ms"):
            der["panic_to_running_cold_ms"] = dist(boot["panic_to_running_cold_ms"])
    net = raw.get("net")
    if net and net.get("carrier_outage_ms"):
        der["net_panic_carrier_outage_ms"] = dist(net["carrier_outage_ms"])
    for name, case in raw.items():
        if name in ("meta",) or not isinstance(case, dict):
            continue
        if "recovery_ms" in case:
            der[f"{name}_panic_to_first_io_ms"] = dist(case["recovery_ms"])
        if case.get("upgrade_ms"):
            der["upgrade_outage_ms"] = dist(case["upgrade_ms"])
            der["upgrade_errors"] = case.get("upgrade_errors", 0)
    return der


def table(raw, der, rat, spoiled):
    meta = raw["meta"]
    lines = [f"Measured by `make bench{' QUICK=1' if meta.get('quick') else ''}` on "
             f"{meta['date'][:10]}, kernel {meta['kernel']}, in the QEMU test host "
             f"(TCG, {meta['testhost_cpus']} vCPUs, nested KVM): see docs/performance.md "
             "for what TCG distorts.", "",
             "| what | native | isolated | ratio (1.0 = no overhead) |",
             "|---|---:|---:|---:|"]
    for key, r in sorted(rat.items()):
        unit = f" {r['unit']}" if r["unit"] else ""
        lines.append(f"| {key[:-len('_ratio')]} | {r['native']:g}{unit} | "
                     f"{r['isolated']:g}{unit} | {r['ratio']:.3f} |")
    lines += ["", "| cost | value |", "|---|---:|"]
    if "idle_cpu_pct_per_domain" in der:
        lines.append(f"| host CPU per idle domain | {der['idle_cpu_pct_per_domain']:.3f} % of one CPU |")
        lines.append(f"| host memory per idle 128 MiB domain | {der['idle_host_mem_kib_per_domain'] / 1024:.1f} MiB |")
    if "idle_guest_wakeups_per_s" in der:
        lines.append(f"| guest wake-ups per idle domain | {der['idle_guest_wakeups_per_s']:.2f} /s ({der['idle_guest_exits_per_s']:.1f} exits/s) |")
    if "vmm_rss_kib_per_domain" in der:
        lines.append(f"| VMM RSS per domain (guest RAM included) | {der['vmm_rss_kib_per_domain'] / 1024:.1f} MiB |")
    for k, label in (("boot_ms", "domain boot to running, cold"),
                     ("restore_boot_ms", "domain boot to running, from the boot image"),
                     ("panic_to_running_cold_ms", "guest panic to next incarnation running, cold"),
                     ("panic_to_running_ms", "guest panic to next incarnation running")):
        d = der.get(k)
        if d:
            lines.append(f"| {label}, p50 / p90 over {d['n']} | {d['p50']} / {d['p90']} ms |")
    d = der.get("net_panic_carrier_outage_ms")
    if d:
        lines.append(f"| net: carrier down to up after a guest panic, p50 / p90 over {d['n']} | "
                     f"{d['p50']} / {d['p90']} ms |")
    for k, d in der.items():
        if k.endswith("_panic_to_first_io_ms") and d:
            lines.append(f"| {k[:-len('_panic_to_first_io_ms')]}: panic to first completed I/O, "
                         f"p50 / p90 over {d['n']} | {d['p50']} / {d['p90']} ms |")
    d = der.get("upgrade_outage_ms")
    if d:
        lines.append(f"| drvbox upgrade (null_blk to the same drivers): request to first "
                     f"completed I/O after the gap, p50 / p90 over {d['n']} | "
                     f"{d['p50']} / {d['p90']} ms, {der.get('upgrade_errors', 0)} I/O errors |")
    cnt = counters({k: v for k, v in raw.items() if k != "meta"})
    if cnt:
        lines += ["", "Per request (blk) or frame (net) of the isolated runs, "
                  "counted by drvbox.ko and /proc (docs/performance.md):", "",
                  "| run | " + " | ".join(COUNTER_COLUMNS) + " | restarts |",
                  "|---|" + "---:|" * (len(COUNTER_COLUMNS) + 1)]
        for path, c in sorted(cnt.items()):
            cells = [f"{c[k]:g}" if k in c else "-" for k in COUNTER_COLUMNS]
            lines.append(f"| {path.replace('.isolated', '')} | " + " | ".join(cells) +
                         f" | {c.get('restarts', 0)} |")
    if spoiled:
        lines += ["", "**Not in the table** (the domain restarted during the run "
                  "and again when it was rerun): " + ", ".join(sorted(spoiled))]
    if meta.get("failed"):
        lines += ["", f"**Cases that failed in this run:** {meta['failed']}"]
    return "\n".join(lines) + "\n"


def plots(raw, der, rat, stem):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: python3-matplotlib missing; no plots", file=sys.stderr)
        return []
    made = []
    if rat:
        keys = sorted(rat)
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(keys) + 1.2))
        ax.barh([k[:-6] for k in keys], [rat[k]["ratio"] for k in keys])
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_xlabel("isolated vs native (1.0 = no overhead, higher is better)")
        fig.tight_layout()
        fig.savefig(f"{stem}-ratios.png", dpi=100)
        made.append(f"{stem}-ratios.png")
    idle = raw.get("idle")
    if idle:
        pts = idle["points"]
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot([p["domains"] for p in pts], [p["cpu_pct"] for p in pts], "o-")
        ax.set_xlabel("idle driver domains")
        ax.set_ylabel("host CPU, % of one CPU")
        fig.tight_layout()
        fig.savefig(f"{stem}-idle.png", dpi=100)
        made.append(f"{stem}-idle.png")
    scale = raw.get("scale")
    if scale:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, part, label in ((axes[0], "queues", "domain vCPUs = queues"),
                                (axes[1], "domains", "domains read at once")):
            pts = sorted((int(k.rsplit("_", 1)[1]), v)
                         for k, v in scale.get(part, {}).items())
            for side in ("native", "isolated"):
                ax.plot([n for n, _ in pts], [v[side]["iops"] for _, v in pts],
                        "o-", label=side)
            ax.set_xlabel(label)
            ax.set_ylabel("4k randread IOPS (qd32)")
            ax.legend()
        fig.tight_layout()
        fig.savefig(f"{stem}-scale.png", dpi=100)
        made.append(f"{stem}-scale.png")
    boot = raw.get("boot")
    if boot:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        data = [boot.get("boot_ms", []), boot.get("restore_boot_ms", []),
                boot.get("panic_to_running_cold_ms", []),
                boot.get("panic_to_running_ms", [])]
        ax.boxplot(data, labels=["cold boot", "from image", "panic, cold",
                                 "panic, image"])
        ax.set_ylabel("ms")
        fig.tight_layout()
        fig.savefig(f"{stem}-boot.png", dpi=100)
        made.append(f"{stem}-boot.png")
    plt.close("all")
    return made


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[0])
    rawdir, outdir = sys.argv[1], sys.argv[2]
    readme = sys.argv[3] if len(sys.argv) == 4 else None
    raw = {}
    for f in sorted(os.listdir(rawdir)):
        if f.endswith(".json"):
            with open(os.path.join(rawdir, f)) as fh:
                raw[f[:-5]] = json.load(fh)
    if "meta" not in raw:
        sys.exit(f"report: {rawdir}/meta.json missing: the run did not finish")
    der = derive(raw)
    rat, spoiled = {}, []
    for name, case in raw.items():
        if name != "meta":
            bad = []
            rat.update({f"{name}.{k}": v for k, v in ratios(case, bad).items()})
            spoiled += [f"{name}.{k}" for k in bad]
    os.makedirs(outdir, exist_ok=True)
    stem = os.path.join(outdir, f"{raw['meta']['date'][:10]}-{raw['meta']['kernel']}")
    result = {"meta": raw["meta"], "ratios": {k: v["ratio"] for k, v in rat.items()},
              "ratio_details": rat, "derived": der, "spoiled": spoiled,
              "raw": {k: v for k, v in raw.items() if k != "meta"}}
    with open(stem + ".json", "w") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
    md = table(raw, der, rat, spoiled)
    with open(stem + ".md", "w") as fh:
        fh.write(md)
    made = plots(raw, der, rat, stem)
    print(f"report: wrote {stem}.json, {stem}.md" + "".join(f", {m}" for m in made))
    print(md)
    if readme and os.path.exists(readme):
        with open(readme) as fh:
            text = fh.read()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            rel = os.path.relpath(stem, os.path.dirname(os.path.abspath(readme)) or ".")
            block = f"{BEGIN}\n{md}\nFull results: `{rel}.json`.\n{END}"
            with open(readme, "w") as fh:
                fh.write(head + block + tail)
            print(f"report: updated the table in {readme}")


if __name__ == "__main__":
    main()
