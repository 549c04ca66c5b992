#!/usr/bin/env bash
# Turns a fresh 64-bit Raspberry Pi OS Lite (Bookworm) into a digit-kiosk, from an offline bundle.
# Idempotent: run it again with the same bundle and nothing changes; with a newer bundle it upgrades
# (with the same health check and rollback as upgrade.sh).
#
#   sudo ./install.sh [--bundle FILE.tar.gz|DIR] [options]
#
#   --bundle PATH       the bundle (default: the unpacked bundle this script belongs to)
#   --root DIR          install into a staging root instead of / (no packages, no services started)
#   --dry-run           print what would change, change nothing
#   --rotate DEG        screen rotation 0|90|180|270 (default: keep the current setting, else 0)
#   --read-only-root    turn on the overlay root file system (exhibits; takes effect after a reboot)
#   --debs DIR          install missing Debian packages from .deb files in DIR (no network)
#   --no-packages       do not install Debian packages
#   --no-start          do not (re)start services
#   --health-timeout S  seconds the runtime has to become healthy (default 180)
set -euo pipefail
PROG=install
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

readonly PACKAGES=(chromium cage fonts-dejavu-core socat libpam-systemd)
# The bundle holds provisioning/, so by default the bundle is the directory above this script.
bundle=$(dirname "$(dirname "$(readlink -f "$0")")")
rotate=""
read_only_root=0
debs=""
packages=1
health_timeout=180

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

while (($# > 0)); do
  case $1 in
    --bundle) bundle=${2:?--bundle needs a path}; shift 2 ;;
    --root) ROOT=$(readlink -f "${2:?--root needs a directory}"); shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --rotate) rotate=${2:?--rotate needs 0, 90, 180 or 270}; shift 2 ;;
    --read-only-root) read_only_root=1; shift ;;
    --debs) debs=${2:?--debs needs a directory}; shift 2 ;;
    --no-packages) packages=0; shift ;;
    --no-start) NO_START=1; shift ;;
    --health-timeout) health_timeout=${2:?--health-timeout needs seconds}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ -z $rotate || $rotate =~ ^(0|90|180|270)$ ]] || die "--rotate takes 0, 90, 180 or 270"
[[ $health_timeout =~ ^[0-9]+$ ]] || die "--health-timeout takes a number of seconds"
if is_live && ((!DRY_RUN)) && [[ $(id -u) -ne 0 ]]; then die "run as root (sudo), or use --root DIR / --dry-run"; fi
if ! is_live; then
  [[ -d $ROOT ]] || die "staging root $ROOT does not exist"
  [[ $ROOT != / ]] || ROOT=""
fi

WORK_DIR=$(mktemp -d)
trap 'rm -rf "$WORK_DIR"' EXIT
take_lock
((DRY_RUN)) && log "dry run: nothing will be changed"
is_live || log "staging root: $ROOT"

# --- Debian packages ---------------------------------------------------------------------------------
install_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "Debian packages present: ${PACKAGES[*]}"
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  if [[ -n $debs ]]; then
    local files=("$debs"/*.deb)
    [[ -e ${files[0]} ]] || die "no .deb files in $debs"
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends --no-download "${files[@]}"
  else
    run apt-get update -q || die "apt-get update failed: without network, pass --debs DIR with the packages (${missing[*]})"
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}
if ! is_live; then
  log "staging root: skipping Debian packages (${PACKAGES[*]})"
elif ((packages)); then
  install_packages
else
  log "--no-packages: not checking ${PACKAGES[*]}"
fi

# --- the bundle and users ----------------------------------------------------------------------------
open_bundle "$bundle"

write_file /etc/sysusers.d/digit-kiosk.conf 0644 <<'EOF'
# digit-kiosk users (systemd-sysusers). Written by provisioning/install.sh.
u digit-kiosk - "digit-kiosk runtime" /var/lib/digit-kiosk /usr/sbin/nologin
u digit-kiosk-display - "digit-kiosk display" /run/digit-kiosk-display /usr/sbin/nologin
m digit-kiosk-display video
m digit-kiosk-display render
m digit-kiosk-display input
EOF
if ((DRY_RUN)); then
  log "would run: systemd-sysusers ${ROOT:+--root=$ROOT} /etc/sysusers.d/digit-kiosk.conf"
else
  # An explicit file is not looked up under --root: give its path in the root.
  systemd-sysusers ${ROOT:+"--root=$ROOT"} "$(in_root /etc/sysusers.d/digit-kiosk.conf)"
fi

# --- the release, the model, configuration -----------------------------------------------------------
ensure_dir "$APP_DIR/releases"
ensure_dir "$STATE_DIR" 0750
ensure_dir "$STATE_DIR/models"
ensure_dir "$CONF_DIR"
install_release
prev_model=$(readlink "$(in_root "$STATE_DIR/models/current")" 2>/dev/null || true)
install_default_model

# config.json belongs to the operator once written: never overwritten. Every key has a default.
if [[ ! -e $(in_root "$CONF_DIR/config.json") ]]; then
  printf '{}\n' | write_file "$CONF_DIR/config.json" 0644
fi

# display.env is ours: the rotation given now, else the one set before, else none.
if [[ -z $rotate ]]; then
  rotate=0
  if [[ -f $(in_root "$CONF_DIR/display.env") ]]; then
    rotate=$(bundle_value ROTATION <"$(in_root "$CONF_DIR/display.env")" || echo 0)
  fi
fi
cage_flags=""
for ((quarter = 0; quarter < rotate / 90; quarter++)); do cage_flags+="${cage_flags:+ }-r"; done
write_file "$CONF_DIR/display.env" 0644 <<EOF
# digit-kiosk display settings, managed by provisioning/install.sh (use --rotate to change them).
ROTATION=$rotate
CAGE_ROTATE=$cage_flags
KIOSK_URL=http://127.0.0.1:$(runtime_port)/
EOF

# --- the display session's PAM service (the hidden cursor theme ships in the release) ---------------------------------------------
write_file /etc/pam.d/digit-kiosk-display 0644 <<'EOF'
# PAM for digit-kiosk-display.service: a logind session on tty1 (seat devices for cage). No password.
account  required pam_unix.so
session  required pam_unix.so
session  required pam_systemd.so
EOF

# --- units, boot ---------------------------------------------------------------------------------------
install_units "$(release_path "$BUNDLE_VERSION")"
if ((DRY_RUN)); then
  log "would run: systemctl ${ROOT:+--root=$ROOT} enable $RUNTIME_UNIT $DISPLAY_UNIT"
else
  systemctl ${ROOT:+"--root=$ROOT"} --quiet enable "$RUNTIME_UNIT" "$DISPLAY_UNIT"
fi
# Boot into graphical.target, which pulls in the display unit.
switch_link /etc/systemd/system/default.target /lib/systemd/system/graphical.target

# Kernel command line: no console blanking, no blinking console cursor before cage starts.
for cmdline in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
  [[ -f $(in_root "$cmdline") && ! -L $(in_root "$cmdline") ]] || continue
  line=$(head -n 1 "$(in_root "$cmdline")")
  new=$line
  for token in consoleblank=0 vt.global_cursor_default=0; do
    [[ " $new " == *" $token "* ]] || new+=" $token"
  done
  # Keep the file's mode: /boot/firmware is FAT, where chmod to another mode fails.
  if [[ $new != "$line" ]]; then printf '%s\n' "$new" | write_file "$cmdline" "$(stat -c %a "$(in_root "$cmdline")")"; fi
  break
done

if ((read_only_root)); then
  if ! is_live || ((DRY_RUN)); then
    log "would run: raspi-config nonint do_overlayfs 0 (overlay root; reboot needed)"
  elif command -v raspi-config >/dev/null; then
    raspi-config nonint do_overlayfs 0
    log "overlay root enabled from the next boot: changes to / (models, samples, config) will not survive a reboot; disable with raspi-config nonint do_overlayfs 1"
  else
    die "--read-only-root needs raspi-config (Raspberry Pi OS)"
  fi
fi

# --- go live -------------------------------------------------------------------------------------------
activate_release "$BUNDLE_VERSION" "$health_timeout" "$prev_model"
prune_releases
if systemd_running && ((!NO_START && !DRY_RUN)); then
  systemctl start "$DISPLAY_UNIT" || log "warning: $DISPLAY_UNIT did not start; see journalctl -u $DISPLAY_UNIT"
fi
log "done: digit-kiosk $BUNDLE_VERSION${ROOT:+ staged in $ROOT}"
