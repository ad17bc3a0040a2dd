"""The retraining study's table and its shipped sweep, from retrain.py's retrain-results.json.

Writes (numbers only from the runs; nothing typed in):
  - a Markdown table (stdout, or --markdown FILE): per pattern and sparsity, one-shot dev/test and
    the retrained mean +- sd over seeds (dev and test), for gradual pruning and, for HP, reweighted
    group lasso (rgl) before the cut;
  - --sweep FILE: the retrained points as a sweep in the app's own format ({kind: 'hp-lab-sweep',
    points}), dev accuracy = mean over seeds, labelled "retrained on a GPU", so `hp-lab select
    --sweep` and the page's device choice can use them beside one-shot sweeps.
  - --manifest FILE: the shipped .hpw files (the runs that wrote one, seed 0) with their own dev and
    test accuracy and the study's mean +- sd beside, for the app's Model panel.
Several RESULTS files (e.g. the study and a later run of more methods on the same model) are read as
one study: their runs together (a later file's run of the same pattern, sparsity, method and seed
replaces the earlier one, e.g. a re-run that wrote a file to ship), their dense accuracy checked equal.
Usage: python3 scripts/train/study_report.py RESULTS.json [MORE.json ...] [--markdown F] [--sweep F] [--manifest F]"""
import argparse
import json
import statistics
import sys

METHOD_TEXT = {"oneshot": "one-shot", "gradual": "retrained", "rgl": "retrained with group lasso",
               "recovered": "recovered (least squares) and retrained",
               "finetuned": "recovered (least squares) and fine-tuned (WebGPU engine)"}
HOW = {"gradual": "gradual pruning with hp-lab prune's masks, then 3 epochs of distillation from the dense model "
                  "with masks fixed",
       "recovered": "hp-lab prune's one-shot masks and least-squares reconstruction (--recover lsq-dense), then 3 "
                    "epochs of distillation from the dense model with masks fixed",
       # results-engine-finetune.json: not retrain.py but hp-lab finetune (the WGSL engine) on a GPU host
       "finetuned": "for HP 90% also hp-lab finetune on the WebGPU engine from the same start (2 epochs over the "
                    "train split and 47,977 review sentences, distillation with hidden states, masks fixed)"}
DEFAULT_NM_M = 20  # src/core/pruning/prune-matrix.ts: N:M's group when only the sparsity is given


def groups(runs):
    """{(pattern, sparsity, method): [runs]} over the runs without an error."""
    out = {}
    for r in runs:
        if "error" in r or "skipped" in r:
            continue
        out.setdefault((r["pattern"], r["sparsity"], r["method"]), []).append(r)
    return out


def stats(rs, key):
    xs = [r[key] for r in rs]
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0), len(xs)


def cell(rs, key):
    if not rs:
        return "-"
    mean, sd, n = stats(rs, key)
    return f"{mean * 100:.1f}" if n == 1 else f"{mean * 100:.1f} ± {sd * 100:.1f}"


def markdown(results):
    g = groups(results["runs"])
    dense = results["dense"]
    keys = sorted({(p, s) for p, s, _ in g}, key=lambda k: (k[0], k[1]))
    lines = [f"Dense: dev {dense['dev'] * 100:.1f}, test {dense['test'] * 100:.1f} (%). "
             "Retrained: mean ± sd over seeds.", "",
             "| pattern | sparsity | achieved | one-shot dev | one-shot test | retrained dev | retrained test "
             "| seeds | group lasso dev | group lasso test | recovered dev (no training) | recovered + retrained dev "
             "| recovered + retrained test |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p, s in keys:
        one, grad, rgl = g.get((p, s, "oneshot"), []), g.get((p, s, "gradual"), []), g.get((p, s, "rgl"), [])
        rec = g.get((p, s, "recovered"), [])
        start = [{"dev": r["start"]["dev"]} for r in rec if "start" in r and r["seed"] == 0]  # seed-independent
        achieved = statistics.fmean(r["achieved"] for r in (grad or one))
        lines.append(f"| {p} | {s * 100:.0f}% | {achieved * 100:.1f}% | {cell(one, 'dev')} | {cell(one, 'test')} "
                     f"| {cell(grad, 'dev')} | {cell(grad, 'test')} | {len(grad)} | {cell(rgl, 'dev')} "
                     f"| {cell(rgl, 'test')} | {cell(start, 'dev')} | {cell(rec, 'dev')} | {cell(rec, 'test')} |")
    errors = [r for r in results["runs"] if "error" in r]
    if errors:
        lines += ["", f"{len(errors)} run(s) failed: " + "; ".join(
            f"{r['pattern']} {r['sparsity']} {r['method']} seed {r['seed']}: {r['error']}" for r in errors)]
    skipped = [r for r in results["runs"] if "skipped" in r]
    if skipped:
        lines += ["", f"{len(skipped)} run(s) not started within the call's time budget."]
    return "\n".join(lines)


def sweep(results, tile, methods=("gradual", "rgl", "recovered", "finetuned")):
    tr, tc = (int(x) for x in tile.split("x"))
    points = []
    for (p, s, method), rs in sorted(groups(results["runs"]).items()):
        if method not in methods:
            continue
        mean, sd, n = stats(rs, "dev")
        point = {"pattern": p, "sparsity": round(statistics.fmean(r["achieved"] for r in rs), 4),
                 "accuracy": round(mean, 4), "n": 500,
                 "label": f"{p} one-shot" if method == "oneshot" else
                 f"{p} {METHOD_TEXT[method]} on a GPU ({n} seeds, sd {sd * 100:.1f} pt)"}
        if p in ("hp", "tile", "vector"):
            point["tile"] = {"tr": tr, "tc": tc}
        if p == "hp":
            point["split"] = 0.5
        if p == "nm":
            point["nm"] = {"n": round(DEFAULT_NM_M * (1 - s)), "m": DEFAULT_NM_M}
        points.append(point)
    return {"kind": "hp-lab-sweep", "model": "tinybert-rt.onnx", "data": "dev",
            "denseAccuracy": round(results["dense"]["dev"], 4), "sentences": 500,
            "source": "scripts/train/retrain.py on one NVIDIA H200 (see BENCHMARKS.md, retraining study)",
            "points": points}


def manifest(results, base_manifest, ship=None):
    g = groups(results["runs"])
    files = []
    for r in results["runs"]:
        name = r.get("file") or r.get("hpw")  # "hpw": the first study's key
        if not name or "error" in r or (ship is not None and name not in ship):
            continue
        mean, sd, n = stats(g[(r["pattern"], r["sparsity"], r["method"])], "dev")
        files.append({"file": name, "pattern": r["pattern"], "tile": results["args"]["tile"],
                      "sparsity": r["sparsity"], "achieved": r["achieved"], "seed": r["seed"],
                      "dev": round(r["dev"], 4), "test": round(r["test"], 4), "method": METHOD_TEXT[r["method"]],
                      "study": {"devMean": round(mean, 4), "devSd": round(sd, 4), "seeds": n}})
    files.sort(key=lambda f: (f["pattern"] != "hp", f["pattern"], f["sparsity"]))
    shipped = {f["file"] for f in files}
    return {"base": base_manifest["file"], "baseSha256": base_manifest["sha256"],
            "denseDev": round(results["dense"]["dev"], 4), "sweep": "study-sweep.json",
            "how": "retrained on a GPU (scripts/train/retrain.py; BENCHMARKS.md, retraining study): "
                   + "; or ".join(HOW[m] for m in HOW if m in {r["method"] for r in results["runs"]
                                                                 if (r.get("file") or r.get("hpw")) in shipped}),
            "files": files}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+")
    ap.add_argument("--ship",
                    help="comma-separated file names: the manifest lists only these (default: every file written)")
    ap.add_argument("--markdown")
    ap.add_argument("--sweep")
    ap.add_argument("--manifest")
    ap.add_argument("--oneshot-sweep", help="the one-shot points (the CLI's masks, no training) as a sweep file")
    ap.add_argument("--base-manifest", default="public/models/manifest.json")
    args = ap.parse_args()
    results = None
    for path in args.results:
        with open(path) as f:
            more = json.load(f)
        if results is None:
            results = more
        elif abs(more["dense"]["dev"] - results["dense"]["dev"]) > 1e-6:
            sys.exit(f"{path}: another dense model (dev {more['dense']['dev']} vs {results['dense']['dev']})")
        else:  # a later run of the same (pattern, sparsity, method, seed) replaces the earlier one
            key = lambda r: (r["pattern"], r["sparsity"], r["method"], r["seed"])  # noqa: E731
            runs = {key(r): r for r in results["runs"] + more["runs"]}
            results = {**results, "runs": list(runs.values())}
    table = markdown(results)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    else:
        sys.stdout.write(table + "\n")
    if args.manifest:
        with open(args.base_manifest) as f:
            base = json.load(f)
        with open(args.manifest, "w") as f:
            json.dump(manifest(results, base, args.ship.split(",") if args.ship else None), f, indent=1)
            f.write("\n")
    if args.oneshot_sweep:
        with open(args.oneshot_sweep, "w") as f:
            one = sweep(results, results["args"]["tile"], methods=("oneshot",))
            one["source"] = ("one-shot column of the retraining study (hp-lab prune's masks, evaluated in PyTorch; "
                             "equal to hp-lab sweep's onnxruntime figures in BENCHMARKS.md)")
            json.dump(one, f, indent=1)
            f.write("\n")
    if args.sweep:
        with open(args.sweep, "w") as f:
            json.dump(sweep(results, results["args"]["tile"]), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
