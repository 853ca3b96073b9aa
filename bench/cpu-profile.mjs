// Preloaded into the agent by bench/agent.ts when LVQ_BENCH_CPU_PROF=<dir> is set
// (NODE_OPTIONS=--import=…: node refuses --cpu-prof there): profiles the whole process from
// its first module on and writes <dir>/agent-<pid>.cpuprofile when it exits.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.LVQ_BENCH_CPU_PROF;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  process.on("exit", () => {
    // A same-thread inspector session answers synchronously, so this runs before the exit.
    session.post("Profiler.stop", (err, res) => {
      if (!err)
        writeFileSync(join(dir, `agent-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
