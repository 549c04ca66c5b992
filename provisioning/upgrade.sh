#!/usr/bin/env bash
# Upgrades the app on a provisioned device from a newer bundle: installs it as a new release,
# switches /opt/digit-kiosk/current, restarts the runtime, and rolls back by itself when the
# runtime is not healthy (active after its self-test, /healthz 200, stable) within the timeout.
#
#   sudo ./upgrade.sh BUNDLE.tar.gz|DIR [--timeout S] [--root DIR] [--dry-run] [--no-start]
#   sudo ./upgrade.sh --rollback [--timeout S]     back to the release before the current one
#
# Exit status: 0 upgraded (or already current); 1 failed, rolled back where possible.
set -euo pipefail
PROG=upgrade
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

bundle=""
rollback=0
timeout_s=120

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

while (($# > 0)); do
  case $1 in
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --root) ROOT=$(readlink -f "${2:?--root needs a directory}"); shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --no-start) NO_START=1; shift ;;
    --rollback) rollback=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) bundle=$1; shift ;;
  esac
done
[[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout takes a number of seconds"
[[ -n $bundle || $rollback -eq 1 ]] || { usage >&2; die "which bundle?"; }
if is_live && ((!DRY_RUN)) && [[ $(id -u) -ne 0 ]]; then die "run as root (sudo), or use --root DIR / --dry-run"; fi
[[ -d $(in_root "$APP_DIR/releases") ]] || die "digit-kiosk is not installed${ROOT:+ in $ROOT}: run install.sh first"

WORK_DIR=$(mktemp -d)
trap 'rm -rf "$WORK_DIR"' EXIT
take_lock
((DRY_RUN)) && log "dry run: nothing will be changed"

if ((rollback)); then
  previous=$(readlink "$(in_root "$APP_DIR/previous")" 2>/dev/null || true)
  [[ -n $previous && -d $(in_root "$APP_DIR/$previous") ]] || die "there is no previous release to roll back to"
  current_model=$(readlink "$(in_root "$STATE_DIR/models/current")" 2>/dev/null || true)
  activate_release "$(basename "$previous")" "$timeout_s" "$current_model"
  log "rolled back to $(basename "$previous")"
  exit 0
fi

open_bundle "$bundle"
install_release
prev_model=$(readlink "$(in_root "$STATE_DIR/models/current")" 2>/dev/null || true)
install_default_model
activate_release "$BUNDLE_VERSION" "$timeout_s" "$prev_model"
prune_releases
log "digit-kiosk $BUNDLE_VERSION is running"
