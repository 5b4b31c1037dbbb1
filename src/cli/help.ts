// Help text. Usage grammar: <arg> is a value, [x] is optional, {a | b} is a choice,
// ... repeats. test/cli/help.test.ts checks that every command documents itself.

export const MAIN_HELP = `Connect to an EC2 instance with nothing but IAM

Usage:
  eic-ssh [<options>] [<user>@]<target> [<command>...]
  eic-ssh sandbox [--env | --demo] [<options>]
  eic-ssh known-hosts [--list | --remove <instance-id> | --pin <target>]
  eic-ssh openssh [<options>] [<user>@]<target> [<command>...]   (system ssh, key in a private agent)
  eic-ssh serial [--region <region>] [--profile <name>] <target>   (EC2 serial console)
  eic-ssh doctor [--json] [--from <ip>] <target>     (exit 0: a route can work; 1: none)
  eic-ssh ls [<selector>] [--json] [--all-states] [--filter Name=<n>,Values=<v>]
  eic-ssh run <selector> [--parallel <n>] [--group | --json] [<options>] -- <command>...
  eic-ssh cp [<options>] <source>... <target>     (also installed as eic-scp)
  eic-ssh tunnel [<options>] <target>             (see eic-ssh help tunnel)
  eic-ssh proxy [--push-key <file.pub>] [--via <route>] [-v] <user>@<host>:<port>
  eic-ssh config [--write] [--name-pattern <pattern>]... [--push-key <file.pub>]
  eic-ssh reuse [--list | --stop [<target>]]     (see eic-ssh help reuse)
  eic-ssh {--help | --version}
  eic-ssh help {ssh | cp | tunnel | proxy | config | known-hosts | openssh | serial | sandbox | reuse | ls | run | doctor}

eic-ssh makes an Ed25519 key in memory, pushes its public half with EC2 Instance
Connect SendSSHPublicKey (valid 60 seconds), and connects over SSH. Nothing is
written to disk except the host key of the instance, kept by instance id.

Target:
  <target> is an instance id (i-0abc...), a Name tag value or glob (web-*), a
  private or public IPv4 address, an EC2 DNS name, or tag:<key>=<value>; join
  conditions with '+' (tag:env=prod+web-*). Only one instance may match: a Name
  shared by several running instances lists them. --filter Name=<n>,Values=<v>
  (repeatable) adds any EC2 DescribeInstances filter. eic-ssh ls and eic-ssh run
  take a selector: '*' or such targets separated by ','.
  With no <target> on a terminal, a fuzzy picker lists the running instances.
  Without <user>@ or -l, the OS user is inferred from the instance's image
  (Ubuntu ubuntu, Debian admin, Amazon Linux ec2-user, ...; -v shows it).

Options (a subset of ssh(1), same meaning):
  -l <user>          OS user (default: inferred from the image, else ec2-user)
  -p <port>          remote SSH port (default: 22, or $EIC_SSH_PORT)
  -i <file>          use and push your own private key instead of an ephemeral one
  -o <Key=Value>     StrictHostKeyChecking {yes | accept-new | no}, UserKnownHostsFile,
                     ConnectTimeout, ServerAliveInterval, ServerAliveCountMax,
                     User, Port, IdentityFile, RequestTTY, and for connection reuse
                     ControlMaster (no: off), ControlPersist <time> (no: off),
                     ControlPath (none: off; masters live in ~/.eic-ssh/mux)
  -t, -tt            request a pseudo-terminal (-tt: even without a local terminal)
  -T                 never request a pseudo-terminal
  -e {<char> | none} escape character for ~. (default: ~)
  -q                 quiet: no warnings
  -v, -vv, -vvv      print each phase and its duration on stderr (never secrets)
  -L [<bind>:]<port>:<host>:<hostport>
                     forward a local port (bind default: 127.0.0.1) to host:hostport
                     as seen from the instance; may repeat
  -R [<bind>:]<port>:<host>:<hostport>
                     forward a port on the instance (default: its loopback; 0 = any,
                     printed) to host:hostport as seen from here; may repeat
  -D [<bind>:]<port> local SOCKS5 proxy (no auth, CONNECT) into the instance's network
  -N                 no command: only forward, until Ctrl-C
  -f                 go to the background once authenticated (with -N or a command)
  -C                 compress (zlib)
  -S <path | none>   like ControlPath (none: no connection reuse)
  -O {check | exit}  ask the target's reuse master: is it running / exit
  -F <file>          read User, Port, HostName, IdentityFile, Compression, *Forward and
                     the -o options from the file's Host blocks matching <target>
  --                 end of options

eic-ssh options:
  --via {auto | direct | eice | ssm}
                               route to the instance (default: auto): auto tries
                               direct (public address), then an EC2 Instance
                               Connect Endpoint of the VPC, then SSM, falling
                               through with one line saying why; direct (public
                               address, else the private address); eice; ssm
  --eice-id <eice-id>          EC2 Instance Connect Endpoint to use (default: one
                               in the instance's VPC, its own subnet first)
  --max-tunnel-duration <s>    ask the endpoint for a tunnel of at most <s>
                               seconds (1 to 3600; sent only when given)
  --key-type {ed25519 | rsa | rsa-4096}
                               ephemeral key type (default: ed25519)
  --filter Name=<n>,Values=<v>[,<v>...]
                               an EC2 DescribeInstances filter ANDed with <target>
                               (repeatable), e.g. Name=instance-type,Values=t3.micro
  --profile <name>             AWS profile (default: the SDK's default chain)
  --region <region>            AWS region (default: AWS_REGION or the profile's)
  --reuse, --no-reuse          keep the connection in a background master for
                               later invocations to the same target (no key
                               push, no SSH handshake), like ssh's ControlMaster;
                               on by default; --no-reuse, EIC_SSH_REUSE=0 or
                               'Reuse no' in ~/.eic-ssh/config turn it off
  --persist <time>             how long an idle master lives (30s, 10m, 1h;
                               default: $EIC_SSH_PERSIST, the config's Persist,
                               or 5m); implies --reuse
  --host-key-source {console | tofu}
                               console: pin the host keys the instance printed to
                               its console (GetConsoleOutput), refusing any other;
                               no keys there: trust on first use, with a notice.
                               tofu (default): trust the first key seen
  --audit <file>               append one JSON line per connection: time, caller
                               ARN, instance, OS user, route, endpoint or SSM
                               session id, key fingerprint, push request id, exit
                               status (never a secret)

Host keys:
  Kept in ~/.eic-ssh/known_hosts (or $EIC_SSH_KNOWN_HOSTS) by instance id, since
  addresses are reused. The first key is recorded; a changed key is refused.
  With --host-key-source console the console's keys are pinned instead;
  eic-ssh known-hosts --pin <target> re-pins them after a legitimate re-key.

Config file (<state dir>/config, i.e. ~/.eic-ssh/config; 'Keyword value' lines):
  HostKeySource {console | tofu}   default for --host-key-source
  Audit <file>                     default for --audit

Exit status:
  The remote command's exit status, or 255 when eic-ssh itself fails.

Environment:
  AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID, ...   the AWS SDK's usual variables
  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>      API endpoint overrides
  EIC_SSH_PORT          default remote SSH port
  EIC_SSH_KNOWN_HOSTS   host-key file
  EIC_SSH_HOME          eic-ssh's state directory (default: ~/.eic-ssh)
  EIC_SSH_HOST_KEY_SOURCE  console or tofu (overrides the config file)
  EIC_SSH_AUDIT         audit file (overrides the config file)
  EIC_SSH_SERIAL_HOST_KEYS  SHA256 fingerprints (comma-separated) the serial console
                        endpoint may present, instead of AWS's published ones (eic-ssh serial)
  EIC_SSH_SERIAL_ENDPOINT  host:port instead of the Region's published serial console endpoint:22
  EIC_SSH_REUSE         0 to turn connection reuse off, 1 on (see --reuse)
  EIC_SSH_PERSIST       default idle time of a reuse master (see --persist)
  EIC_SSH_EICE_ENDPOINT_URL  wss://host[:port] to reach instead of the endpoint's
                        DNS name on 443 (the signed Host follows it)
  EIC_SSH_CA_FILE       extra CA certificates (PEM) trusted for the EICE tunnel
  EIC_SSH_SSM_ENDPOINT_URL  scheme://host:port of a Session Manager data channel
                        to accept besides ssmmessages.<region>.amazonaws.com
  EIC_SSH_SSM_CHUNK_SIZE  bytes per SSM data message (default 1024, up to 65536)
  AWS_USE_FIPS_ENDPOINT=true  use the endpoint's FIPS DNS name
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY   HTTP CONNECT proxy for the EICE tunnel;
                        NO_PROXY entries match a domain and its subdomains

OpenSSH integration:
  eic-ssh config --write installs a ~/.ssh/config block (Host i-* mi-* and any
  --name-pattern) whose ProxyCommand is \`eic-ssh proxy %r@%h:%p\`: plain ssh, scp,
  sftp, rsync and git then reach instances by id or Name. The proxy pushes your
  OpenSSH public key (--push-key, else the first Ed25519/RSA key in ssh-agent, else
  ~/.ssh/id_ed25519.pub or id_rsa.pub) and writes only tunnel bytes to stdout.

Examples:
  eic-ssh ec2-user@i-0123456789abcdef0
  eic-ssh web-1 uname -a
  eic-ssh -l ubuntu 10.0.1.17 'sudo systemctl status nginx'
  eic-ssh sandbox --demo                   # try it without an AWS account
`;

export const CP_HELP = `Copy files to, from and between EC2 instances, like scp, with nothing but IAM

Usage:
  eic-scp [<options>] <source>... <target>
  eic-ssh cp [<options>] <source>... <target>

A remote file is [<user>@]<target>:<path> (a ':' before any '/'; ./a:b is local).
An empty <path> is the home directory; a relative one starts there. <target> is
anything eic-ssh accepts: an instance id, a Name tag, an address, a DNS name.
Remote sources may be globs, quoted from the local shell: 'web-1:/var/log/*.log'.
Remote-to-remote copies are relayed through this machine.

One key push and one SSH connection per instance serve the whole copy. Files go
over SFTP with many requests in flight. Each file is written under a hidden
temporary name next to its target and renamed when complete, so a failed copy
never leaves a partial file under the real name.

Options (scp(1)'s, same meaning):
  -r                 copy directories recursively
  -p                 preserve modes, access and modification times
  -q                 quiet: no progress meter, no warnings
  -v, -vv, -vvv      print each phase on stderr (never secrets)
  -P <port>          remote SSH port (default: 22, or $EIC_SSH_PORT)
  -i <file>          use and push your own private key instead of an ephemeral one
  -o <Key=Value>     StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout,
                     ServerAliveInterval, ServerAliveCountMax, User, Port, IdentityFile
  -3, -B, -s, -T     accepted for scp compatibility (eic-scp always relays
                     remote-to-remote copies, never prompts, and speaks SFTP)
  --                 end of options

eic-ssh options:
  --via {auto | direct | eice | ssm}   route to the instance
  --key-type {ed25519 | rsa | rsa-4096}
  --profile <name>, --region <region>  AWS profile and region
  --audit <file>                       append one JSON line per connection (docs/trust.md)
  --no-reuse                           never copy through a connection-reuse master

Progress:
  A meter per file (bytes, rate, ETA) on stderr when it is a terminal, unless -q.

Connection reuse:
  A copy goes through the live master that eic-ssh keeps for the same
  [user@]target (no key push, no SSH handshake); without one it connects by itself
  (cp never starts a master). --no-reuse or EIC_SSH_REUSE=0: always by itself.
  See eic-ssh help reuse.

Exit status:
  0 when every file was copied; 1 when some file failed (each is reported as
  "eic-scp: <path>: <reason>"); 255 when eic-scp cannot reach an instance.

Examples:
  eic-scp notes.txt web-1:/tmp/
  eic-scp -rp ec2-user@i-0123456789abcdef0:/etc/nginx ./nginx-backup
  eic-scp 'web-1:/var/log/*.log' logs/
  eic-scp web-1:/tmp/dump.sql db-1:/tmp/
`;

export const TUNNEL_HELP = `Open a bare EC2 Instance Connect Endpoint tunnel to an instance

Usage: eic-ssh tunnel [<options>] <target>

Carries bytes to port 22 (or 3389) of <target> through an EC2 Instance Connect
Endpoint of its VPC, like aws ec2-instance-connect open-tunnel. It pushes no key.
Without --local-port it bridges stdin and stdout, for an ssh ProxyCommand (it
refuses a terminal on stdin); with --local-port it listens and opens one freshly
signed websocket per accepted TCP connection.

Options:
  --remote-port {22 | 3389}    port on the instance (default: 22)
  --local-port <port>          listen on this port (0: any free one) instead of
                               using stdin/stdout
  --bind <address>             address to listen on (default: 127.0.0.1)
  --max-connections <n>        concurrent connections in listener mode (default: 10)
  --eice-id <eice-id>          endpoint to use (default: one in the instance's VPC)
  --max-tunnel-duration <s>    1 to 3600 seconds (sent only when given)
  --profile <name>, --region <region>
  -v                           print each phase on stderr (never secrets)
  -q                           no messages

Examples:
  ssh -o ProxyCommand='eic-ssh tunnel %h' ec2-user@i-0123456789abcdef0
  eic-ssh tunnel --local-port 2222 db-1 &  ssh -p 2222 ec2-user@127.0.0.1
`;
