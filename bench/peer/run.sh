#!/usr/bin/env bash
# Runs the peer benchmark: d365 and DynamicsWebApi 2.5.0 against one
# emulator in the same run (see main.go). Arguments go to the Go program,
# such as -rounds 5, -only create, or -scale 0.01 for a smoke run.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/dynamics-web-api ]; then
	npm ci --no-audit --no-fund
fi
cd ../..
exec go run ./bench/peer "$@"
