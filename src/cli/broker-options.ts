// The options that say how to reach the broker safely: TLS (CA, client certificate and key,
// the server name to verify, EXTERNAL login) and a password kept in a file. lvq takes them as
// global options; `lvq agent` reads the same ones (and declares them itself on a program
// that lacks them).
import { type Command, Option } from "commander";

/** The broker-access options as commander parses them. */
export interface BrokerAccessFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServername?: string;
  tlsExternalLogin?: boolean;
  brokerPasswordFile?: string;
}

/** Each option with its help; `[ENV]` names the environment variable. */
const OPTIONS: readonly [flags: string, help: string][] = [
  [
    "--tls-ca <file>",
    "PEM file of the CA that signs the broker's certificate (amqps://) [LVQ_TLS_CA]",
  ],
  ["--tls-cert <file>", "PEM file of a client certificate for the broker [LVQ_TLS_CERT]"],
  ["--tls-key <file>", "PEM file of the client certificate's key [LVQ_TLS_KEY]"],
  [
    "--tls-servername <name>",
    "the name the broker's certificate must carry, if not the URL's host [LVQ_TLS_SERVERNAME]",
  ],
  [
    "--tls-external-login",
    "log in with the client certificate (SASL EXTERNAL) instead of a password [LVQ_TLS_EXTERNAL_LOGIN]",
  ],
  [
    "--broker-password-file <file>",
    "file holding the broker password, kept off the command line [LVQ_BROKER_PASSWORD_FILE]",
  ],
];

/** Adds the broker-access options to `cmd`, but those `parent` has (its global options). */
export function addBrokerAccessOptions(cmd: Command, parent?: Command): Command {
  for (const [flags, help] of OPTIONS) {
    const long = flags.split(" ")[0]!;
    if (!parent?.options.some((o) => o.long === long)) cmd.addOption(new Option(flags, help));
  }
  return cmd;
}
