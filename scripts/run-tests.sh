#!/usr/bin/env bash
# Runs the test files (all of them, or those given) with node's own test runner on the
# TypeScript sources. Files run one at a time: several tests restart the broker or libvirtd
# on purpose, and must not pull the floor from under another file.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
