// Help text. Usage grammar: <arg> is a value, [x] is optional, {a | b} is a choice,
// ... repeats. test/cli/help.test.ts checks that every command documents itself.

export const MAIN_HELP = `Connect to an EC2 instance with nothing but IAM

Usage:
  eic-ssh [<options>] [<user>@]<target> [<command>...]
  eic-ssh sandbox [--env | --demo] [<options>]
  eic-ssh known-hosts [--list | --remove <instance-id>]
  eic-ssh {--help | --version}
  eic-ssh help {ssh | sandbox}

eic-ssh makes an Ed25519 key in memory, pushes its public half with EC2 Instance
Connect SendSSHPublicKey (valid 60 seconds), and connects over SSH. Nothing is
written to disk except the host key of the instance, kept by instance id.

Target:
  <target> is an instance id (i-0abc...), a Name tag value, a private or public
  IPv4 address, or an EC2 DNS name. A Name shared by several instances lists them.

Options (a subset of ssh(1), same meaning):
  -l <user>          OS user to log in as (default: ec2-user)
  -p <port>          remote SSH port (default: 22, or $EIC_SSH_PORT)
  -i <file>          use and push your own private key instead of an ephemeral one
  -o <Key=Value>     StrictHostKeyChecking {yes | accept-new | no}, UserKnownHostsFile,
                     ConnectTimeout, ServerAliveInterval, ServerAliveCountMax,
                     User, Port, IdentityFile, RequestTTY
  -t, -tt            request a pseudo-terminal (-tt: even without a local terminal)
  -T                 never request a pseudo-terminal
  -e {<char> | none} escape character for ~. (default: ~)
  -q                 quiet: no warnings
  -v, -vv, -vvv      print each phase and its duration on stderr (never secrets)
  --                 end of options

eic-ssh options:
  --via {auto | direct}        route to the instance: auto (public address) or
                               direct (public address, else the private address)
  --key-type {ed25519 | rsa | rsa-4096}
                               ephemeral key type (default: ed25519)
  --profile <name>             AWS profile (default: the SDK's default chain)
  --region <region>            AWS region (default: AWS_REGION or the profile's)

Host keys:
  Kept in ~/.eic-ssh/known_hosts (or $EIC_SSH_KNOWN_HOSTS) by instance id, since
  addresses are reused. The first key is recorded; a changed key is refused.

Exit status:
  The remote command's exit status, or 255 when eic-ssh itself fails.

Environment:
  AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID, ...   the AWS SDK's usual variables
  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>      API endpoint overrides
  EIC_SSH_PORT          default remote SSH port
  EIC_SSH_KNOWN_HOSTS   host-key file
  EIC_SSH_HOME          eic-ssh's state directory (default: ~/.eic-ssh)

Examples:
  eic-ssh ec2-user@i-0123456789abcdef0
  eic-ssh web-1 uname -a
  eic-ssh -l ubuntu 10.0.1.17 'sudo systemctl status nginx'
  eval "$(eic-ssh sandbox --env)" & eic-ssh web-1 true   # try it without AWS
`;
