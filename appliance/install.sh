#!/bin/sh
# Installs rosterbox as a systemd service on a Linux server.
#
#   sudo sh appliance/install.sh [PATH/TO/rosterbox]     (default: dist/rosterbox)
#
# Copies the binary to /usr/local/bin, creates the rosterbox system user, writes
# /etc/rosterbox/rosterbox.yaml from the example (first install only) with generated
# passwords that are printed once and stored only as hashes, checks the config,
# installs the unit and starts it. Upgrading: run it again with the new binary; the
# config and /var/lib/rosterbox are kept, the service restarts and resumes its jobs.
# Uninstalling: see the README ("Install").
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$here/dist/rosterbox}
etc=/etc/rosterbox
config=$etc/rosterbox.yaml

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
[ -x "$binary" ] || { echo "install.sh: $binary is not an executable; build it with npm run build" >&2; exit 1; }

install -m 0755 "$binary" /usr/local/bin/rosterbox.new
mv -f /usr/local/bin/rosterbox.new /usr/local/bin/rosterbox

if ! id rosterbox >/dev/null 2>&1; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    install -m 0644 "$here/systemd/rosterbox.sysusers" /usr/lib/sysusers.d/rosterbox.conf
    systemd-sysusers /usr/lib/sysusers.d/rosterbox.conf
  else
    useradd --system --home-dir /var/lib/rosterbox --shell /usr/sbin/nologin rosterbox
  fi
fi

install -d -m 0750 -o root -g rosterbox "$etc"
if [ ! -e "$config" ]; then
  admin=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  sftp=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  admin_hash=$(printf '%s' "$admin" | /usr/local/bin/rosterbox hash-password)
  sftp_hash=$(printf '%s' "$sftp" | /usr/local/bin/rosterbox hash-password)
  tmp=$(mktemp "$etc/.rosterbox.yaml.XXXXXX")
  # The hashes hold $ and / but never |: safe as sed replacements.
  sed -e "s|@ADMIN_HASH@|$admin_hash|" -e "s|@SFTP_HASH@|$sftp_hash|" "$here/appliance/rosterbox.example.yaml" > "$tmp"
  chown root:rosterbox "$tmp"
  chmod 0640 "$tmp"
  mv "$tmp" "$config"
  printf '\nGenerated passwords (shown once; only their hashes are stored in %s):\n  web user   admin         %s\n  SFTP user  district-sis  %s\n\n' "$config" "$admin" "$sftp"
fi

/usr/local/bin/rosterbox config check --config "$config"

install -m 0644 "$here/systemd/rosterbox.service" /etc/systemd/system/rosterbox.service
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable rosterbox.service
  systemctl restart rosterbox.service
  systemctl --no-pager status rosterbox.service | head -n 5 || true
  echo "rosterbox is running: status page http://127.0.0.1:8080, SFTP on port 2222; logs: journalctl -u rosterbox"
else
  echo "systemd is not running here: start it with /usr/local/bin/rosterbox serve --config $config"
fi
