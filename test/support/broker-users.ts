// Real RabbitMQ users for the tests of who may do what: a private vhost, users with random
// passwords and full permissions there (guest too, for the agents), all deleted by `remove()`.
// RabbitMQ stamps each of their messages with the user's name (the `user_id` it checks).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { uniqueName } from "./names.js";

const run = promisify(execFile);
const rabbitmqctl = (...a: string[]) => run("rabbitmqctl", ["-q", ...a], { timeout: 60_000 });

/** A private vhost and its users. */
export interface BrokerUsers {
  vhost: string;
  /** The broker name of each user asked for (`<short>-<random>`), by its short name. */
  names: Record<string, string>;
  /** The password of each user, by its short name. */
  passwords: Record<string, string>;
  /** The broker URL of a user (by short name), or of guest. */
  url(user: string | "guest"): string;
  /** Deletes the users and the vhost (with every queue and connection in it). */
  remove(): Promise<void>;
}

/** Creates a private vhost and the broker users `users` (short names) in it. */
export async function brokerUsers(tag: string, users: readonly string[]): Promise<BrokerUsers> {
  const vhost = uniqueName(tag);
  const suffix = randomBytes(3).toString("hex");
  const names = Object.fromEntries(users.map((u) => [u, `${u}-${suffix}`]));
  const passwords = Object.fromEntries(users.map((u) => [u, randomBytes(12).toString("hex")]));
  const remove = async () => {
    await Promise.allSettled([
      ...users.map((u) => rabbitmqctl("delete_user", names[u]!)),
      rabbitmqctl("delete_vhost", vhost),
    ]);
  };
  try {
    await rabbitmqctl("add_vhost", vhost);
    await Promise.all([
      rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"),
      ...users.map(async (u) => {
        await rabbitmqctl("add_user", names[u]!, passwords[u]!);
        await rabbitmqctl("set_permissions", "-p", vhost, names[u]!, ".*", ".*", ".*");
      }),
    ]);
  } catch (e) {
    await remove();
    throw e;
  }
  const path = encodeURIComponent(vhost);
  return {
    vhost,
    names,
    passwords,
    url: (user) =>
      user === "guest"
        ? `amqp://guest:guest@127.0.0.1:5672/${path}`
        : `amqp://${names[user]}:${passwords[user]}@127.0.0.1:5672/${path}`,
    remove,
  };
}
