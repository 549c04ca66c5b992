#!/usr/bin/env bash
# The one test command (npm test): installs missing Debian packages, builds, lints, type-checks,
# then runs every unit, integration and e2e test in one Node test-runner invocation.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: a real browser, a real sshd, systemd tooling, arm64 emulation.
wanted=(chromium fonts-dejavu-core openssh-server ansible-core shellcheck socat systemd-container cage
  qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "test: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "test: missing Debian packages ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ ! -d node_modules ]]; then npm ci; fi

echo "test: build"
npm run --silent build
echo "test: lint"
npm run --silent lint
echo "test: typecheck"
npm run --silent typecheck

mapfile -t files < <(find runtime/test training/test kiosk/test -name '*.test.ts' 2>/dev/null | sort)
echo "test: ${#files[@]} test files"
exec node --import tsx --test --test-reporter=spec "${files[@]}"
