#!/usr/bin/env python3
"""workflows.py REPO - the GitHub workflows parse as YAML and have the
structure CI relies on.

Every .github/workflows/*.yml must parse (PyYAML, python3-yaml from
Debian, installed by ci/setup.sh) into a mapping with a name, triggers and
jobs, each job with runs-on and steps, each step with `uses` or `run`.
Then, per file:
  nightly.yml  a cron schedule and a manual trigger; runs ci/nightly.sh
               with --budget, --out and --history; uploads the --out
               directory as an artifact even when the job fails (if:
               always()); keeps the history in the cache.
  pr.yml       runs on pull requests; the same entry point with a
               shorter --budget; uploads its --out directory.
  cflite_*.yml the ClusterFuzzLite actions in code-change (PR), batch
               (nightly) and prune/coverage (cron) modes.
Prints each problem; exit 1 if any.
"""
import glob
import os
import re
import shlex
import sys

try:
    import yaml
except ImportError:
    print("FAIL: python3-yaml is missing: run ci/setup.sh (it installs "
          "python3-yaml) or apt-get install python3-yaml")
    sys.exit(1)

problems = []


def bad(path, msg):
    problems.append(f"{os.path.basename(path)}: {msg}")


def triggers(doc):
    # YAML 1.1 reads the key `on` as the boolean true
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {t: None for t in on}
    return on if isinstance(on, dict) else {}


def steps_of(doc):
    for job in (doc.get("jobs") or {}).values():
        for st in job.get("steps") or []:
            yield st


def budget_seconds(b):
    m = re.fullmatch(r"(\d+)([smh]?)", b or "")
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def nightly_call(path, doc, env):
    """The ci/nightly.sh step's arguments, as a dict of options."""
    calls = []
    for st in steps_of(doc):
        run = st.get("run") or ""
        for line in run.replace("\\\n", " ").splitlines():
            if "ci/nightly.sh" in line:
                words = shlex.split(line)
                i = next(k for k, w in enumerate(words) if w.endswith("ci/nightly.sh"))
                args, opts = words[i + 1:], {}
                for k, w in enumerate(args):
                    if w.startswith("--"):
                        nxt = args[k + 1] if k + 1 < len(args) else ""
                        opts[w] = "" if nxt.startswith("--") else nxt
                calls.append(opts)
    if len(calls) != 1:
        bad(path, f"{len(calls)} steps call ci/nightly.sh, want 1")
        return {}
    opts = calls[0]
    b = opts.get("--budget", "")
    b = re.sub(r'^\$\{?(\w+)\}?$', lambda m: str(env.get(m.group(1), "")), b)
    b = re.sub(r"^\$\{\{.*\|\|\s*'([^']*)'\s*\}\}$", r"\1", b)
    opts["budget_s"] = budget_seconds(b)
    if opts["budget_s"] is None:
        bad(path, f"ci/nightly.sh --budget '{opts.get('--budget')}' is not a duration")
    if not opts.get("--out"):
        bad(path, "ci/nightly.sh has no --out directory")
    return opts


def uploads(path, doc, directory):
    ups = [st for st in steps_of(doc)
           if str(st.get("uses", "")).startswith("actions/upload-artifact@")]
    if not ups:
        bad(path, "no actions/upload-artifact step")
        return
    up = ups[0]
    if str(up.get("if", "")).strip() != "always()":
        bad(path, "the artifact upload does not run when the job fails (if: always())")
    if (up.get("with") or {}).get("path") != directory:
        bad(path, f"uploads {(up.get('with') or {}).get('path')!r}, not the --out directory {directory!r}")


def check_common(path, doc):
    if not isinstance(doc, dict):
        bad(path, "not a mapping")
        return False
    if not doc.get("name"):
        bad(path, "no name")
    if not triggers(doc):
        bad(path, "no triggers (on:)")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        bad(path, "no jobs")
        return False
    for jname, job in jobs.items():
        if not job.get("runs-on"):
            bad(path, f"job {jname} has no runs-on")
        if not job.get("steps"):
            bad(path, f"job {jname} has no steps")
        for k, st in enumerate(job.get("steps") or []):
            if not isinstance(st, dict) or ("uses" in st) == ("run" in st):
                bad(path, f"job {jname} step {k + 1} needs exactly one of uses/run")
    return True


def env_of(doc):
    env = dict(doc.get("env") or {})
    for job in (doc.get("jobs") or {}).values():
        env.update(job.get("env") or {})
    return {k: re.sub(r"^\$\{\{.*\|\|\s*'([^']*)'\s*\}\}$", r"\1", str(v))
            for k, v in env.items()}


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else "."
    files = sorted(glob.glob(os.path.join(repo, ".github", "workflows", "*.yml")))
    names = {os.path.basename(f) for f in files}
    for want in ("nightly.yml", "pr.yml", "cflite_pr.yml", "cflite_batch.yml",
                 "cflite_cron.yml"):
        if want not in names:
            problems.append(f"{want}: missing")
    budgets = {}
    for path in files:
        try:
            doc = yaml.safe_load(open(path))
        except yaml.YAMLError as e:
            bad(path, f"not valid YAML: {e}")
            continue
        if not check_common(path, doc):
            continue
        on = triggers(doc)
        base = os.path.basename(path)
        if base == "nightly.yml":
            sched = on.get("schedule") or []
            if not any(re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", str(s.get("cron", "")))
                       for s in sched):
                bad(path, "no cron schedule")
            if "workflow_dispatch" not in on:
                bad(path, "no manual trigger (workflow_dispatch)")
            opts = nightly_call(path, doc, env_of(doc))
            if "--history" not in opts:
                bad(path, "ci/nightly.sh without --history: no trend")
            if not any(str(st.get("uses", "")).startswith("actions/cache")
                       for st in steps_of(doc)):
                bad(path, "the history is not kept between nights (actions/cache)")
            uploads(path, doc, opts.get("--out"))
            budgets["nightly"] = opts.get("budget_s")
        elif base == "pr.yml":
            if "pull_request" not in on:
                bad(path, "does not run on pull_request")
            opts = nightly_call(path, doc, env_of(doc))
            if "--skip-tests" in opts:
                bad(path, "skips the tests")
            uploads(path, doc, opts.get("--out"))
            budgets["pr"] = opts.get("budget_s")
        elif base.startswith("cflite_"):
            modes = set()
            for st in steps_of(doc):
                u = str(st.get("uses", ""))
                if u.startswith("google/clusterfuzzlite/actions/run_fuzzers@"):
                    modes.add((st.get("with") or {}).get("mode"))
            want = {"cflite_pr.yml": {"code-change"}, "cflite_batch.yml": {"batch"},
                    "cflite_cron.yml": {"prune", "coverage"}}.get(base)
            if want and modes != want:
                bad(path, f"run_fuzzers modes {sorted(m or '?' for m in modes)}, want {sorted(want)}")
            if not any(str(st.get("uses", "")).startswith(
                    "google/clusterfuzzlite/actions/build_fuzzers@") for st in steps_of(doc)):
                bad(path, "no build_fuzzers step")
            if base == "cflite_pr.yml" and "pull_request" not in on:
                bad(path, "does not run on pull_request")
            if base != "cflite_pr.yml" and "schedule" not in on:
                bad(path, "no schedule")
    if budgets.get("pr") and budgets.get("nightly") and budgets["pr"] >= budgets["nightly"]:
        problems.append(f"pr.yml's budget ({budgets['pr']}s) is not shorter than the nightly's ({budgets['nightly']}s)")
    for p in problems:
        print("FAIL", p)
    if not problems:
        print(f"workflows: {len(files)} files parse and have the expected structure")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
