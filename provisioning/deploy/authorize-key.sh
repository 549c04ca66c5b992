#!/usr/bin/env bash
# Sets a kiosk up for remote model updates; run as root on the kiosk after install.sh. The runtime user
# digit-kiosk may then log in over ssh with the given keys only to run the model receiver: sshd forces the
# receiver for that user (ForceCommand) and reads its keys only from a root-owned file, each key line carries
# `restrict` (no shell, no pty, no forwarding). Optionally pins the public key packages must be signed with.
# Idempotent: keys already authorized are kept, nothing is written twice.
#
#   sudo bash authorize-key.sh --key operator.pub [--key ci.pub] [--signing-key model-signing.pub]
#
#   --key FILE          ssh public key(s), one per line, allowed to push, query and roll back models (repeatable)
#   --signing-key FILE  pin this Ed25519 public key (PEM): from now on only packages signed with it are accepted
#   --root DIR          write into a staging root (image building, tests): no user change, no sshd check or reload
set -euo pipefail

readonly USER_NAME=digit-kiosk
readonly CONF_DIR=/etc/digit-kiosk
readonly KEYS_FILE=$CONF_DIR/ssh/authorized_keys
readonly SSHD_DROPIN=/etc/ssh/sshd_config.d/digit-kiosk-deploy.conf
readonly RECEIVER="/opt/digit-kiosk/current/node/bin/node /opt/digit-kiosk/current/app/runtime/dist/deploy/main.js"

ROOT=""
keys=()
signing_key=""

log() { printf 'authorize-key: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

while (($# > 0)); do
  case $1 in
    --key) keys+=("${2:?--key needs a file}"); shift 2 ;;
    --signing-key) signing_key=${2:?--signing-key needs a file}; shift 2 ;;
    --root) ROOT=$(readlink -f "${2:?--root needs a directory}"); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
((${#keys[@]} > 0)) || [[ -n $signing_key ]] || die "give at least one --key or --signing-key"
if [[ -z $ROOT && $(id -u) -ne 0 ]]; then die "run as root (sudo), or use --root DIR"; fi
[[ -z $ROOT || -d $ROOT ]] || die "staging root $ROOT does not exist"

in_root() { printf '%s%s' "$ROOT" "$1"; }

# Writes stdin to a path (in the root) with a mode, atomically (temp file, fsync, rename), when it differs.
write_file() {
  local dest tmp
  dest=$(in_root "$1")
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")
  cat >"$tmp"
  chmod "$2" "$tmp"
  if [[ -f $dest ]] && cmp -s "$tmp" "$dest" && [[ $(stat -c %a "$dest") == "${2#0}" ]]; then
    rm -f "$tmp"
    return 0
  fi
  sync "$tmp"
  mv -f "$tmp" "$dest"
  log "wrote $1"
}

# --- the keys: restricted lines in a root-owned file --------------------------------------------------
if ((${#keys[@]} > 0)); then
  existing=$(cat "$(in_root "$KEYS_FILE")" 2>/dev/null || true)
  lines=$existing
  for file in "${keys[@]}"; do
    [[ -f $file ]] || die "no key file $file"
    while IFS= read -r key || [[ -n $key ]]; do
      [[ -z $key || $key == \#* ]] && continue
      [[ $key =~ ^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\ ([A-Za-z0-9+/=]+)(\ .*)?$ ]] ||
        die "$file: not an ssh public key line (options are added here, give the bare key): ${key:0:40}..."
      blob=${BASH_REMATCH[3]}
      if [[ $lines == *" $blob"* ]]; then
        log "already authorized: ${key:0:40}..."
        continue
      fi
      lines+="${lines:+$'\n'}restrict,command=\"$RECEIVER\" $key"
      log "authorizing: ${key:0:40}..."
    done <"$file"
  done
  printf '%s\n' "$lines" | write_file "$KEYS_FILE" 0644
  chmod 0755 "$(in_root "$CONF_DIR/ssh")"
fi

# --- sshd: this user's keys only from that file, and only the receiver -------------------------------------
write_file "$SSHD_DROPIN" 0644 <<EOF
# digit-kiosk: the runtime user may only run the model receiver over ssh (push | status | rollback).
# Written by provisioning/deploy/authorize-key.sh; keys in $KEYS_FILE.
Match User $USER_NAME
    AuthorizedKeysFile $KEYS_FILE
    ForceCommand $RECEIVER
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    AllowTcpForwarding no
    AllowStreamLocalForwarding no
    AllowAgentForwarding no
    X11Forwarding no
    PermitTunnel no
    PermitTTY no
    PermitUserRC no
EOF

# --- the pinned signing key ----------------------------------------------------------------------------------
if [[ -n $signing_key ]]; then
  [[ -f $signing_key ]] || die "no signing key file $signing_key"
  grep -q -- '-----BEGIN PUBLIC KEY-----' "$signing_key" || die "$signing_key is not a PEM public key (make one with: npm run deploy-model -- keygen --out DIR)"
  write_file "$CONF_DIR/model-signing.pub" 0644 <"$signing_key"
fi

if [[ -n $ROOT ]]; then exit 0; fi

# --- live system: sshd runs the forced command through the user's shell, which must not be nologin ------------
id "$USER_NAME" >/dev/null 2>&1 || die "no user $USER_NAME: run install.sh first"
shell=$(getent passwd "$USER_NAME" | cut -d: -f7)
if [[ $shell != /bin/sh ]]; then
  usermod -s /bin/sh "$USER_NAME"
  log "login shell of $USER_NAME: $shell -> /bin/sh (sshd starts the forced receiver with it; nothing else can run)"
fi
if ! sshd -t; then
  rm -f "$SSHD_DROPIN"
  die "sshd rejects the configuration; removed $SSHD_DROPIN again"
fi
if [[ -d /run/systemd/system ]]; then
  systemctl reload ssh 2>/dev/null || systemctl reload sshd || log "warning: could not reload sshd; restart it to apply"
fi
log "done: $USER_NAME@$(hostname) accepts model pushes from the authorized keys"
