// Real RabbitMQ users for the tests of who may do what: a private vhost, users with random
// passwords and full permissions there (guest too, for the agents), all deleted by `remove()`.
// RabbitMQ stamps each of their messages with the user's name (the `user_id` it checks).
import { randomBytes } from "node:crypto";
import { privateVhost, rabbitmqctl } from "./broker.js";

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
  const space = await privateVhost(tag);
  const vhost = space.name;
  const suffix = randomBytes(3).toString("hex");
  const names = Object.fromEntries(users.map((u) => [u, `${u}-${suffix}`]));
  const passwords = Object.fromEntries(users.map((u) => [u, randomBytes(12).toString("hex")]));
  const remove = async () => {
    await Promise.allSettled([
      ...users.map((u) => rabbitmqctl("delete_user", names[u]!)),
      space.remove(),
    ]);
  };
  try {
    await Promise.all(
      users.map(async (u) => {
        await rabbitmqctl("add_user", names[u]!, passwords[u]!);
        await rabbitmqctl("set_permissions", "-p", vhost, names[u]!, ".*", ".*", ".*");
      }),
    );
  } catch (e) {
    await remove();
    throw e;
  }
  return {
    vhost,
    names,
    passwords,
    url: (user) => {
      const u = new URL(space.url);
      if (user !== "guest") {
        u.username = names[user]!;
        u.password = passwords[user]!;
      }
      return u.toString();
    },
    remove,
  };
}
