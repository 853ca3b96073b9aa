// The broker the tests use (the real local RabbitMQ unless LVQ_TEST_BROKER names another), and
// private vhosts on it for tests that close connections or need an empty broker.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

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
