#!/usr/bin/env bash
# Prepares a fresh Debian machine (as root) for the test suite: the real OpenSSH
# server that plays the sandbox's instances, the client tools the interop tests drive,
# the OS users the instances log in as, and the unprivileged user that runs the
# sandbox's AuthorizedKeysCommand (like the real `ec2-instance-connect` user).
set -euo pipefail

need_apt=()
command -v /usr/sbin/sshd >/dev/null 2>&1 || need_apt+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
command -v rsync >/dev/null 2>&1 || need_apt+=(rsync)
command -v script >/dev/null 2>&1 || need_apt+=(bsdutils)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# The interop tests: git over ssh through eic-ssh proxy, and curl through -D/-R forwards.
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v curl >/dev/null 2>&1 || need_apt+=(curl ca-certificates)
# GNU time: `npm run bench` reads eic-scp's peak memory with /usr/bin/time -f %M.
[ -x /usr/bin/time ] || need_apt+=(time)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need_apt[*]}; run this script as root (it installs Debian packages)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
  # sshd refuses to start without its privilege-separation directory.
  mkdir -p /run/sshd && chmod 0755 /run/sshd
  # The sandbox's AuthorizedKeysCommandUser, locked and without a shell.
  id -u ec2-instance-connect >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin ec2-instance-connect
  # The OS users of the images the sandbox emulates (Amazon Linux, Ubuntu, Debian).
  for user in ec2-user ubuntu admin; do
    id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
    # A locked password ("!") would make sshd refuse public-key logins without PAM.
    usermod -p '*' "$user"
  done
fi
echo "setup: sshd $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
