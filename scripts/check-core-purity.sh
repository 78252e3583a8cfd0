#!/usr/bin/env bash
# core/ is sans-I/O: no network, TLS, DNS, thread, file or clock access (docs/ARCHITECTURE.md).
# Fails listing every offending line.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='#[[:space:]]*include[[:space:]]*[<"](boost/asio|boost/beast|openssl/|ares|sys/socket|sys/stat|netinet/|arpa/|netdb|unistd|fcntl|thread>|mutex>|future>|condition_variable>|fstream>|filesystem>|iostream>|ctime>|time\.h)'
calls='(::now[[:space:]]*\(|\bclock_gettime\b|\bgettimeofday\b|\bstd::time[[:space:]]*\(|\bfopen[[:space:]]*\(|\bgetenv[[:space:]]*\(|\bstd::thread\b|\bsleep_for\b)'
found=0
if grep -rnE "$pattern" core; then found=1; fi
if grep -rnE "$calls" core; then found=1; fi
if [ "$found" -ne 0 ]; then
  echo "core/ must stay free of I/O, threads and clocks (lines above)." >&2
  exit 1
fi
echo "core purity: ok"
