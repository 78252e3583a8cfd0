#!/usr/bin/env bash
# Fails when a C++ file is not formatted with the repository's .clang-format (clang-format 14).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' | grep -v '^build/')
clang-format-14 --dry-run --Werror "${files[@]}"
echo "format: ok (${#files[@]} files)"
