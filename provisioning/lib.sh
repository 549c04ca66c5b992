# shellcheck shell=bash
# Shared by install.sh and upgrade.sh: logging, dry-run, staging root, bundle reading, releases,
# atomic links, health checks, activation with automatic rollback. Sourced, never run.

# Set by the sourcing script's options, never taken from the environment: ROOT ("" for the live
# system, or a staging directory), DRY_RUN (0|1), NO_START (0|1). PROG names the script in messages.
ROOT=""
DRY_RUN=0
NO_START=0

readonly APP_DIR=/opt/digit-kiosk
readonly STATE_DIR=/var/lib/digit-kiosk
readonly CONF_DIR=/etc/digit-kiosk
readonly UNIT_DIR=/etc/systemd/system
readonly RUNTIME_UNIT=digit-kiosk.service
readonly DISPLAY_UNIT=digit-kiosk-display.service
readonly RUNTIME_USER=digit-kiosk
readonly KEEP_RELEASES=3

log() { printf '%s: %s\n' "${PROG:-digit-kiosk}" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The path of an absolute system path inside the target root.
in_root() { printf '%s%s' "${ROOT%/}" "$1"; }

is_live() { [[ -z $ROOT ]]; }

# Runs a command that changes the system, or prints it under --dry-run.
run() {
  if ((DRY_RUN)); then
    log "would run: $*"
  else
    "$@"
  fi
}

# Writes stdin to a system path (inside the root) with a mode, only when the content differs, atomically
# (temp file in the same directory, fsync, rename: a power cut leaves the old file or the new one).
# Sets WROTE=1 when it changed (or would change) the file, else 0. Never call it as a condition:
# errexit does not apply there, and a failed write must stop the script.
write_file() {
  local dest=$1 mode=$2 target tmp staged
  target=$(in_root "$dest")
  tmp=$(mktemp)
  cat >"$tmp"
  WROTE=0
  if [[ -f $target ]] && cmp -s "$tmp" "$target" && [[ $(stat -c %a "$target") == "${mode#0}" ]]; then
    rm -f "$tmp"
    return 0
  fi
  WROTE=1
  if ((DRY_RUN)); then
    log "would write $dest (mode $mode)"
    rm -f "$tmp"
    return 0
  fi
  mkdir -p "$(dirname "$target")"
  staged=$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")
  cat "$tmp" >"$staged"
  rm -f "$tmp"
  chmod "$mode" "$staged"
  sync "$staged"
  mv -f "$staged" "$target"
  log "wrote $dest"
}

# Points the symlink $1 (system path) at $2 (relative target), atomically; no-op when already so.
switch_link() {
  local link target current tmp
  link=$(in_root "$1")
  target=$2
  current=$(readlink "$link" 2>/dev/null || true)
  [[ $current == "$target" ]] && return 0
  if ((DRY_RUN)); then
    log "would link $1 -> $target"
    return 0
  fi
  mkdir -p "$(dirname "$link")"
  tmp="$(dirname "$link")/.$(basename "$link").new"
  ln -sfn "$target" "$tmp"
  mv -T -f "$tmp" "$link"
  log "linked $1 -> $target"
}

ensure_dir() {
  local dir
  dir=$(in_root "$1")
  [[ -d $dir ]] && return 0
  run mkdir -p -m "${2:-0755}" "$dir"
}

# The id (3rd field) of a name in the target root's /etc/passwd or /etc/group; empty when unknown.
id_in() {
  local file name rest id
  file=$(in_root "$1")
  [[ -f $file ]] || return 0
  while IFS=: read -r name _ id rest; do
    if [[ $name == "$2" ]]; then
      printf '%s' "$id"
      return 0
    fi
  done <"$file"
}
uid_of() { id_in /etc/passwd "$1"; }
gid_of() { id_in /etc/group "$1"; }

# --- bundles ---------------------------------------------------------------------------------------

# The dpkg/uname name of this machine's architecture in the bundle's terms.
host_arch() {
  case $(uname -m) in
    aarch64 | arm64) echo arm64 ;;
    x86_64 | amd64) echo x64 ;;
    *) uname -m ;;
  esac
}

# Prints the value of KEY from a bundle.env read on stdin (KEY=value lines; never sourced).
bundle_value() {
  local key=$1 k v
  while IFS='=' read -r k v; do
    if [[ $k == "$key" ]]; then
      printf '%s' "$v"
      return 0
    fi
  done
  return 1
}

# Sets BUNDLE_DIR to an unpacked bundle (extracting a tarball into WORK_DIR), and BUNDLE_VERSION,
# BUNDLE_ARCH, BUNDLE_MODEL_SHA256 from its bundle.env.
open_bundle() {
  local src=$1 env_text top
  if [[ -d $src ]]; then
    BUNDLE_DIR=$(cd "$src" && pwd)
  elif [[ -f $src ]]; then
    log "unpacking $src"
    mkdir "$WORK_DIR/bundle"
    tar -xzf "$src" -C "$WORK_DIR/bundle"
    top=("$WORK_DIR"/bundle/*)
    [[ ${#top[@]} -eq 1 && -d ${top[0]} ]] || die "$src is not a digit-kiosk bundle (expected one top-level directory)"
    BUNDLE_DIR=${top[0]}
  else
    die "no bundle at $src"
  fi
  [[ -f $BUNDLE_DIR/bundle.env ]] || die "$src is not a digit-kiosk bundle (no bundle.env)"
  env_text=$(cat "$BUNDLE_DIR/bundle.env")
  BUNDLE_VERSION=$(bundle_value VERSION <<<"$env_text") || die "bundle.env has no VERSION"
  BUNDLE_ARCH=$(bundle_value ARCH <<<"$env_text") || die "bundle.env has no ARCH"
  BUNDLE_MODEL_SHA256=$(bundle_value MODEL_SHA256 <<<"$env_text") || die "bundle.env has no MODEL_SHA256"
  [[ $BUNDLE_VERSION =~ ^[A-Za-z0-9._+-]+$ ]] || die "bad bundle version: $BUNDLE_VERSION"
  [[ $BUNDLE_MODEL_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "bad model sha256 in bundle.env: $BUNDLE_MODEL_SHA256"
  if is_live && [[ $BUNDLE_ARCH != "$(host_arch)" ]]; then
    die "the bundle is for $BUNDLE_ARCH but this machine is $(host_arch)"
  fi
  log "bundle $BUNDLE_VERSION for linux-$BUNDLE_ARCH"
}

# Copies the open bundle into releases/<version> (once: a release is never modified in place).
install_release() {
  local releases dest incoming
  releases=$(in_root "$APP_DIR/releases")
  dest="$releases/$BUNDLE_VERSION"
  if [[ -d $dest ]]; then
    if cmp -s "$dest/bundle.env" "$BUNDLE_DIR/bundle.env"; then
      log "release $BUNDLE_VERSION is already installed"
      return 0
    fi
    die "$APP_DIR/releases/$BUNDLE_VERSION exists but holds a different bundle"
  fi
  if ((DRY_RUN)); then
    log "would install release $APP_DIR/releases/$BUNDLE_VERSION"
    return 0
  fi
  mkdir -p "$releases"
  incoming=$(mktemp -d "$releases/.incoming.XXXXXX")
  cp -a "$BUNDLE_DIR/." "$incoming/"
  chmod 0755 "$incoming"
  sync -f "$incoming"
  mv -T "$incoming" "$dest"
  log "installed release $APP_DIR/releases/$BUNDLE_VERSION"
}

# Installs the bundle's default model as models/<sha256>/; makes it current when there is no
# current model, or when the current one is the previous bundled default (not an operator's model).
install_default_model() {
  local models src dest uid gid current bundled
  models=$(in_root "$STATE_DIR/models")
  src="$BUNDLE_DIR/app/runtime/models/default"
  dest="$models/$BUNDLE_MODEL_SHA256"
  [[ -f $src/manifest.json && -f $src/model.onnx ]] || die "the bundle has no default model"
  if [[ ! -d $dest ]]; then
    if ((DRY_RUN)); then
      log "would install model $STATE_DIR/models/$BUNDLE_MODEL_SHA256"
    else
      mkdir -p "$models"
      local incoming
      incoming=$(mktemp -d "$models/.incoming.XXXXXX")
      cp "$src/manifest.json" "$src/model.onnx" "$incoming/"
      # the golden digits let the validator check the model on the device
      if [[ -f $src/golden.json ]]; then cp "$src/golden.json" "$incoming/"; fi
      chmod 0755 "$incoming"
      chmod 0644 "$incoming"/*
      uid=$(uid_of "$RUNTIME_USER")
      gid=$(gid_of "$RUNTIME_USER")
      if [[ -n $uid && -n $gid ]]; then chown -R "$uid:$gid" "$incoming"; fi
      sync -f "$incoming"
      mv -T "$incoming" "$dest"
      log "installed model $STATE_DIR/models/$BUNDLE_MODEL_SHA256"
    fi
  fi
  current=$(readlink "$models/current" 2>/dev/null || true)
  bundled=$(cat "$models/.bundled" 2>/dev/null || true)
  if [[ -z $current || ! -e $models/current || $current == "$bundled" ]]; then
    switch_link "$STATE_DIR/models/current" "$BUNDLE_MODEL_SHA256"
  else
    log "keeping the current model $current (not the bundled default)"
  fi
  printf '%s\n' "$BUNDLE_MODEL_SHA256" | write_file "$STATE_DIR/models/.bundled" 0644
}

# Where release $1's files are: its directory, or under --dry-run (not installed yet) the open bundle.
release_path() {
  local dir
  dir=$(in_root "$APP_DIR/releases/$1")
  if [[ ! -d $dir ]] && ((DRY_RUN)) && [[ ${BUNDLE_VERSION:-} == "$1" ]]; then dir=$BUNDLE_DIR; fi
  printf '%s' "$dir"
}

# Copies a release's unit files into /etc/systemd/system; sets UNITS_CHANGED=1 when any changed.
install_units() {
  local release_dir=$1 unit
  UNITS_CHANGED=0
  for unit in "$RUNTIME_UNIT" "$DISPLAY_UNIT"; do
    [[ -f $release_dir/systemd/$unit ]] || die "the release has no systemd/$unit"
    write_file "$UNIT_DIR/$unit" 0644 <"$release_dir/systemd/$unit"
    ((WROTE)) && UNITS_CHANGED=1
  done
  return 0
}

# Removes all but the newest KEEP_RELEASES releases, never current or the one before it.
prune_releases() {
  local releases keep_a keep_b dir name count=0
  releases=$(in_root "$APP_DIR/releases")
  keep_a=$(basename "$(readlink "$(in_root "$APP_DIR/current")" 2>/dev/null || echo none)")
  keep_b=$(basename "$(readlink "$(in_root "$APP_DIR/previous")" 2>/dev/null || echo none)")
  while IFS= read -r dir; do
    name=$(basename "$dir")
    count=$((count + 1))
    if ((count > KEEP_RELEASES)) && [[ $name != "$keep_a" && $name != "$keep_b" ]]; then
      run rm -rf "$dir"
      log "removed old release $name"
    fi
  done < <(find "$releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)
}

# --- health and activation ---------------------------------------------------------------------------

# 0 when GET of an http://host:port/path URL answers 200 (bash /dev/tcp: no curl needed). Meant
# for the local runtime: connecting to 127.0.0.1 is immediate, the answer is awaited 5 s at most.
http_ok() {
  local url=$1 hostport host port path
  [[ $url =~ ^http://([^/]+)(/.*)?$ ]] || die "not an http:// URL: $url"
  hostport=${BASH_REMATCH[1]}
  path=${BASH_REMATCH[2]:-/}
  host=${hostport%:*}
  port=80
  [[ $hostport == *:* ]] && port=${hostport##*:}
  (
    local status
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    # HTTP/1.1: uWebSockets.js does not answer HTTP/1.0 requests.
    printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
    IFS= read -r -t 5 status <&3 || exit 1
    [[ $status =~ ^HTTP/1\.[01]\ 200 ]]
  ) 2>/dev/null
}

unit_prop() { systemctl show -p "$2" --value "$1"; }

# 0 once the runtime unit runs a new invocation (not $1), is active (READY: its self-test passed),
# answers /healthz, and is still the same healthy invocation after a settle period.
wait_runtime_healthy() {
  local old_invocation=$1 timeout_s=$2 url=$3 settle_s=${4:-5} deadline inv state
  deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    inv=$(unit_prop "$RUNTIME_UNIT" InvocationID)
    state=$(unit_prop "$RUNTIME_UNIT" ActiveState)
    if [[ -n $inv && $inv != "$old_invocation" && $state == active ]] && http_ok "$url"; then
      sleep "$settle_s"
      if [[ $(unit_prop "$RUNTIME_UNIT" InvocationID) == "$inv" && $(unit_prop "$RUNTIME_UNIT" ActiveState) == active ]] && http_ok "$url"; then
        return 0
      fi
    fi
    sleep 1
  done
  return 1
}

# The runtime's port: PORT in runtime.env (the environment wins), else "port" in config.json, else 8080.
runtime_port() {
  local port=8080 line file
  file=$(in_root "$CONF_DIR/config.json")
  if [[ -f $file && $(<"$file") =~ \"port\"[[:space:]]*:[[:space:]]*([0-9]+) ]]; then port=${BASH_REMATCH[1]}; fi
  file=$(in_root "$CONF_DIR/runtime.env")
  if [[ -f $file ]]; then
    while IFS= read -r line; do
      if [[ $line =~ ^[[:space:]]*PORT=([0-9]+)[[:space:]]*$ ]]; then port=${BASH_REMATCH[1]}; fi
    done <"$file"
  fi
  printf '%s' "$port"
}

health_url() { printf 'http://127.0.0.1:%s/healthz' "$(runtime_port)"; }

systemd_running() { is_live && [[ -d /run/systemd/system ]]; }

# Restarts the runtime and waits until it is healthy; 1 when it is not within $1 seconds.
restart_runtime() {
  local timeout_s=$1 url inv started=$SECONDS
  url=$(health_url)
  inv=$(unit_prop "$RUNTIME_UNIT" InvocationID)
  log "restarting $RUNTIME_UNIT; waiting up to ${timeout_s}s for it to be healthy"
  if ! systemctl restart --no-block "$RUNTIME_UNIT"; then
    log "systemctl restart $RUNTIME_UNIT failed"
    return 1
  fi
  if wait_runtime_healthy "$inv" "$timeout_s" "$url"; then
    log "$RUNTIME_UNIT is healthy $((SECONDS - started))s after the restart"
    return 0
  fi
  log "$RUNTIME_UNIT is not healthy after ${timeout_s}s; its last log lines:"
  journalctl -u "$RUNTIME_UNIT" -n 20 --no-pager -o cat >&2 || true
  return 1
}

reload_units() {
  if systemd_running && ! ((DRY_RUN)); then systemctl daemon-reload; fi
}

# Makes releases/$1 current with its units, restarts the runtime and waits for it to be healthy
# ($2 seconds); on failure puts back the previous release and the model link $3, and restarts again.
activate_release() {
  local version=$1 timeout_s=$2 prev_model=$3 prev_release prev_previous
  prev_release=$(readlink "$(in_root "$APP_DIR/current")" 2>/dev/null || true)
  prev_previous=$(readlink "$(in_root "$APP_DIR/previous")" 2>/dev/null || true)
  if [[ $prev_release == "releases/$version" ]]; then
    install_units "$(in_root "$APP_DIR/$prev_release")"
    log "release $version is already current"
    if ! systemd_running || ((NO_START || DRY_RUN)); then return 0; fi
    reload_units
    if ((UNITS_CHANGED)) || [[ $(unit_prop "$RUNTIME_UNIT" ActiveState) != active ]]; then
      restart_runtime "$timeout_s" || die "release $version is not healthy"
    fi
    return 0
  fi
  if [[ -n $prev_release ]]; then switch_link "$APP_DIR/previous" "$prev_release"; fi
  switch_link "$APP_DIR/current" "releases/$version"
  install_units "$(release_path "$version")"
  if ! systemd_running || ((NO_START || DRY_RUN)); then
    log "release $version is current; not restarting anything (staging root, dry run, --no-start or no running systemd)"
    return 0
  fi
  reload_units
  restart_runtime "$timeout_s" && return 0
  [[ -n $prev_release ]] || die "release $version is not healthy, and there is no previous release to go back to"
  log "rolling back to $prev_release"
  switch_link "$APP_DIR/current" "$prev_release"
  if [[ -n $prev_previous ]]; then switch_link "$APP_DIR/previous" "$prev_previous"; fi
  if [[ -n $prev_model ]]; then switch_link "$STATE_DIR/models/current" "$prev_model"; fi
  install_units "$(in_root "$APP_DIR/$prev_release")"
  reload_units
  restart_runtime "$timeout_s" || die "release $version failed, and the rolled-back $prev_release is not healthy either"
  die "release $version failed; rolled back to $prev_release, which is healthy"
}

# One installer at a time (live system only).
take_lock() {
  is_live || return 0
  ((DRY_RUN)) && return 0
  mkdir -p /run/lock
  exec 9>/run/lock/digit-kiosk-provisioning.lock
  flock -n 9 || die "another digit-kiosk install or upgrade is running"
}
