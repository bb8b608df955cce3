#!/usr/bin/env bash
# One command to set up a fresh Debian 12 machine (as root) and then either
#   ./setup.sh run    run the hotline (prints the web address and an agent's softphone settings)
#   ./setup.sh test   lint, then run the whole test suite (real Asterisk, Redis, SQLite and PostgreSQL)
# Everything it installs comes from Debian's and PyPI's package registries.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

mode="${1:-}"
[[ "$mode" == run || "$mode" == test ]] || die "usage: ./setup.sh run|test"
[[ $(id -u) == 0 ]] || die "run as root: it installs Debian packages and runs Asterisk in a chroot"

APT_PACKAGES=(python3 python3-venv python3-dev gcc redis-server postgresql debootstrap espeak-ng sox
              iproute2 procps chromium chromium-driver sip-tester
              libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei poppler-utils)  # reports: WeasyPrint PDFs, CJK font, pdftoppm
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "Redis"
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/hotline-redis.log
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 ping

say "PostgreSQL"
cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $1" "$2}')
[[ -n "$cluster" ]] || die "no PostgreSQL cluster found (pg_lsclusters): reinstall the postgresql package"
if ! pg_lsclusters -h | awk 'NR==1{print $4}' | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect $cluster start
fi
for _ in $(seq 50); do runuser -u postgres -- psql -tAc "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='root'" | grep -q 1 \
  || runuser -u postgres -- createuser --superuser root
psql -d postgres -tAc "SELECT version()" | cut -c1-40

say "Python environment (.venv)"
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'

say "Asterisk 22"
.venv/bin/hotline asterisk provision

if [[ "$mode" == test ]]; then
  say "lint (ruff, configured in pyproject.toml)"
  .venv/bin/ruff check --no-cache .
  say "test suite"
  # one process: with two pytest-xdist workers (-n 2 --dist loadfile) the suite takes 30 min instead of 56,
  # but a worker's shared hotline SQLite was found corrupted twice in three runs (README, Tests)
  exec .venv/bin/pytest -p no:cacheprovider -q
fi

say "database and demo data"
.venv/bin/hotline db upgrade
.venv/bin/hotline seed
say "starting the hotline"
.venv/bin/hotline up
.venv/bin/hotline softphone
