// The broker the tests use (the real local RabbitMQ unless LVQ_TEST_BROKER names another), and
// private vhosts on it for tests that close connections or need an empty broker.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { uniqueName } from "./names.js";

/** The test broker's URL. */
export const BROKER = process.env.LVQ_TEST_BROKER ?? "amqp://guest:guest@127.0.0.1:5672";

/** The test broker's URL with its vhost set to `vhost`. */
export function vhostUrl(vhost: string, broker = BROKER): string {
  const u = new URL(broker);
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
}

const run = promisify(execFile);

/** Runs rabbitmqctl (the broker of this machine) and returns its stdout. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run("rabbitmqctl", args, { timeout: 60_000 });
  return stdout;
}

/** A vhost of the test's own on the broker of this machine (guest may use it). */
export interface PrivateVhost {
  name: string;
  /** The test broker's URL on it. */
  url: string;
  /** Deletes it, with every queue and connection in it. */
  remove(): Promise<void>;
}

/** Makes a vhost named `lvqtest-<tag>-<random>`: its connections can be closed without harm. */
export async function privateVhost(tag: string): Promise<PrivateVhost> {
  const name = uniqueName(tag);
  await rabbitmqctl("add_vhost", name);
  await rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
  return {
    name,
    url: vhostUrl(name),
    remove: async () => {
      await rabbitmqctl("delete_vhost", name).catch(() => {});
    },
  };
}
