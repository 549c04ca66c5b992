#!/usr/bin/env bash
# Checks that the digit-kiosk runtime answers GET /healthz with 200.
#   health.sh [--wait SECONDS] [URL]    default URL http://127.0.0.1:8080/healthz
# Without --wait: one check (exit 0 healthy, 1 not). With --wait N: retries every second for up to
# N seconds; N=0 waits for ever (the display unit's ExecStartPre uses that).
set -euo pipefail
PROG=health
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

wait_s=-1
url=http://127.0.0.1:8080/healthz
while (($# > 0)); do
  case $1 in
    --wait)
      [[ ${2:-} =~ ^[0-9]+$ ]] || die "--wait needs a number of seconds"
      wait_s=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    http://*)
      url=$1
      shift
      ;;
    *) die "unknown argument: $1" ;;
  esac
done

if ((wait_s < 0)); then
  http_ok "$url"
  exit
fi
deadline=$((SECONDS + wait_s))
announced=0
until http_ok "$url"; do
  if ((wait_s > 0 && SECONDS >= deadline)); then die "$url is not healthy after ${wait_s}s"; fi
  if ((!announced)); then
    log "waiting for $url"
    announced=1
  fi
  sleep 1
done
log "$url is healthy"
