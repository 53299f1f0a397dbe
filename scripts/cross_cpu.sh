#!/usr/bin/env bash
# The CI regression test under emulated CPUs: each setting makes torch take another float path
# (as another x86 machine would). Runs tests/test_ci_regression.py once per setting (one at a
# time: two at once thrash 2 cores), keeps each run's profile metrics in build/cross-cpu/, then
# writes tests/ci/cross_cpu.json: pass/fail and the largest deviation from the reference per
# method and setting (the measurements behind tests/ci/tolerances.json). About 6 minutes.
# With --suite: the whole test suite (what CI runs) under each setting instead, into
# build/cross-cpu-suite/ and tests/ci/cross_cpu_suite.json. About an hour.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
tests=tests/test_ci_regression.py out=build/cross-cpu record=cross_cpu.json
if [ "${1:-}" = "--suite" ]; then
  tests=tests out=build/cross-cpu-suite record=cross_cpu_suite.json
fi
rm -rf "$out" && mkdir -p "$out"
settings=(
  "native|"
  "aten-default|ATEN_CPU_CAPABILITY=default"
  "aten-avx2|ATEN_CPU_CAPABILITY=avx2"
  "onednn-avx2|ONEDNN_MAX_CPU_ISA=AVX2"
  "mkl-avx2|MKL_ENABLE_INSTRUCTIONS=AVX2"
  "threads-1|OMP_NUM_THREADS=1"
  "threads-4|OMP_NUM_THREADS=4"
  "all-four|ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 OMP_NUM_THREADS=1"
)
for setting in "${settings[@]}"; do
  name=${setting%%|*} vars=${setting#*|}
  echo "== $name: ${vars:-(no variables)}"
  # shellcheck disable=SC2086
  env $vars VSS_CI_METRICS_OUT="$out/$name.json" .venv/bin/python -m pytest -q -p no:warnings \
    "$tests" > "$out/$name.log" 2>&1
  echo "$? $vars" > "$out/$name.rc"
  tail -1 "$out/$name.log"
done
.venv/bin/python - "$out" "$tests" "$record" <<'PY'
import json, sys
from pathlib import Path
from replication.experiments.ci_profile import CI_DIR, deviations
from replication.core.atomic import write_json
out = Path(sys.argv[1])
reference = json.loads((CI_DIR / "reference_metrics.json").read_text())
runs = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}
worst_of, result = deviations(runs, reference), {}
for name in sorted(p.stem for p in out.glob("*.rc")):
    rc, _, env = (out / f"{name}.rc").read_text().strip().partition(" ")
    last = (out / f"{name}.log").read_text().strip().splitlines()[-1:]
    result[name] = {"env": env, "tests": sys.argv[2], "summary": " ".join(last),
                    "test": "passed" if rc == "0" else f"failed (exit {rc})",
                    "max_abs_deviation": worst_of.get(name, "no metrics written")}
write_json(CI_DIR / sys.argv[3], result)
for name, r in result.items():
    worst = r["max_abs_deviation"]
    moved = {m: f"{d:.2e}" for m, d in worst.items() if d > 0} if isinstance(worst, dict) else worst
    print(f"{name:14s} {r['test']:8s} deviations: {moved or 'none'}")
PY
