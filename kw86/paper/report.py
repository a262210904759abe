"""results.json, results.md and one PNG per figure, from experiments.run_all()."""
import json
import os

SOURCE_LABELS = {"instructions": "executed instructions", "table": "kernel-cost table",
                 "disk": "disk model", "idle": "idle"}
SOURCE_COLOURS = {"instructions": "#4c72b0", "table": "#dd8452", "disk": "#55a868",
                  "idle": "#bbbbbb"}


def plot_name(fig):
    return f"fig{fig['figure']}_{fig['slug']}.png"


def _cycles(v):
    return f"{v:,.1f}" if v < 10000 else f"{v:,.0f}"


def _pct(v, digits=1):
    if v is None:
        return "-"
    if v == 0:
        return "0"
    s = f"{v:+.{digits}f}"
    return s.replace("-", "\u2212")


def _share(p):
    sh = p["share"]
    parts = [f"{100 * sh['instructions']:.0f} / {100 * sh['table']:.0f} / {100 * sh['disk']:.0f}"]
    if sh.get("idle"):
        parts.append(f" (+{100 * sh['idle']:.0f} idle)")
    return "".join(parts)


def write_json(results, path):
    with open(path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")


def markdown(results, plots=True):
    reps = results["repetitions"]
    lines = [
        "# kw86: the paper's experiments",
        "",
        f"`kw86 bench paper{' --quick' if results['profile'] == 'quick' else ''}`, cycle "
        f"profile `{results['cycles_profile']}` (modelled Celeron 500 MHz clocks, read by the "
        "guest's `rdtsc`). One boot per figure; each measurement's first run is discarded; "
        f"getpid and stat: {reps['calls']:,} calls (the paper's count), read/write: "
        f"{reps['rw_calls']:,} calls of 64 KiB, ls: {reps['ls_runs']:,} timed runs over "
        f"{reps['files']:,} files (the paper gives no count for these).",
        "",
        "Change: kernelware against user, in percent of the user path. Paper: as the paper "
        "reports it (its figures give bars; the text gives these approximate numbers). "
        "Difference: kw86's change minus the paper's, in percentage points. Shares: where "
        "the cycles of the measured region come from, in percent: executed guest "
        "instructions / the kernel-cost table (kernel work done in Python, charged per "
        "call, per path component, per byte copied...) / the disk model.",
        "",
    ]
    pending = []
    for fig in results["figures"]:
        if "not_yet_measurable" in fig:
            pending.append(fig)
            continue
        paths = fig["paths"]
        lines.append(f"## Fig. {fig['figure']}: {fig['title']}")
        lines.append("")
        head = ["operation"] + [f"{p['label']}" for p in paths] + \
            ["kw86 change", "paper", "difference"] + \
            [f"shares, {p['key']} (instr / table / disk %)" for p in paths]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + " --- |" * len(head))
        for row in fig["rows"]:
            cells = [row["label"]]
            for p in paths:
                cells.append(f"{_cycles(row['paths'][p['key']]['cycles_per_op'])} "
                             f"cycles/{row['unit']}")
            cells.append(f"{_pct(row['change_pct'])} %")
            if row["paper_change_pct"] is None:
                cells.append(row["paper_note"])
            else:
                cells.append(f"about {_pct(row['paper_change_pct'], 0)} %"
                             + (f" ({row['paper_note']})" if row["paper_note"] else ""))
            cells.append("-" if row["difference_pp"] is None
                         else f"{_pct(row['difference_pp'])} pp")
            for p in paths:
                cells.append(_share(row["paths"][p["key"]]))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("Per operation, in the marked region (instructions / system calls / "
                     "page faults):")
        lines.append("")
        lines.append("| operation | " + " | ".join(p["key"] for p in paths) + " |")
        lines.append("|" + " --- |" * (len(paths) + 1))
        for row in fig["rows"]:
            cells = [row["label"]]
            for p in paths:
                q = row["paths"][p["key"]]
                cells.append(f"{q['instructions_per_op']:,.0f} / {q['syscalls_per_op']:,.1f} / "
                             f"{q['page_faults_per_op']:,.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if plots:
            lines.append(f"![Fig. {fig['figure']}]({plot_name(fig)})")
            lines.append("")
    if pending:
        lines.append("## Not yet measurable")
        lines.append("")
        for fig in pending:
            lines.append(f"- Fig. {fig['figure']} ({fig['title']}): needs "
                         f"{fig['not_yet_measurable']}.")
        lines.append("")
    if results.get("syscall_paths"):
        # issue 9 section 4, beyond the paper: kw86/paper/breakdown.py
        from kw86.paper import breakdown
        lines += ["", breakdown.markdown(results["syscall_paths"])]
    return "\n".join(lines)


def plot(fig, path, cycles_profile):
    """Bars per path, stacked by where the cycles come from; one panel per row."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, paths = fig["rows"], fig["paths"]
    fig_w = max(4.0, 3.2 * len(rows))
    f, axes = plt.subplots(1, len(rows), figsize=(fig_w, 4.4), squeeze=False)
    used = set()
    for ax, row in zip(axes[0], rows):
        xs = range(len(paths))
        bottoms = [0.0] * len(paths)
        for src in ("instructions", "table", "disk", "idle"):
            vals = [row["paths"][p["key"]]["cycles_per_op"] * row["paths"][p["key"]]["share"][src]
                    for p in paths]
            if not any(vals):
                continue
            used.add(src)
            ax.bar(xs, vals, bottom=bottoms, color=SOURCE_COLOURS[src], width=0.6,
                   label=SOURCE_LABELS[src])
            bottoms = [b + v for b, v in zip(bottoms, vals)]
        top = max(row["paths"][p["key"]]["cycles_per_op"] for p in paths)
        for key, clocks in (row.get("paper_cycles") or {}).items():
            x = [p["key"] for p in paths].index(key)
            ax.hlines(clocks, x - 0.4, x + 0.4, colors="black", linestyles="dashed")
            ax.text(x + 0.42, clocks, f"paper\n~{clocks}", fontsize=7, va="center")
            top = max(top, clocks)
        for x, p in zip(xs, paths):
            v = row["paths"][p["key"]]["cycles_per_op"]
            ax.text(x, v + top * 0.01, _cycles(v), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(xs))
        ax.set_xticklabels([p["key"] for p in paths], fontsize=8)
        ax.set_ylim(0, top * 1.18)
        ax.set_ylabel(f"cycles per {row['unit']}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        paper = "not in paper" if row["paper_change_pct"] is None \
            else f"paper {_pct(row['paper_change_pct'], 0)} %"
        ax.set_title(f"{row['label']}\nkw86 {_pct(row['change_pct'])} %, {paper}", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    f.legend(handles, labels, loc="lower center", ncol=len(used), fontsize=8, frameon=False)
    f.suptitle(f"Fig. {fig['figure']}: {fig['title']} (kw86, {cycles_profile}, rdtsc)",
               fontsize=10)
    f.tight_layout(rect=(0, 0.07, 1, 0.95))
    f.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(f)


def write_all(results, out_dir, plots=True):
    """Write every output into out_dir; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    p = os.path.join(out_dir, "results.json")
    write_json(results, p)
    written.append(p)
    if plots:
        for fig in results["figures"]:
            if "rows" in fig:
                p = os.path.join(out_dir, plot_name(fig))
                plot(fig, p, results["cycles_profile"])
                written.append(p)
    p = os.path.join(out_dir, "results.md")
    with open(p, "w") as f:
        f.write(markdown(results, plots))
    written.append(p)
    return written
