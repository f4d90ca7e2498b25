// bench.mjs runs one differential case N times, one execution after the
// other, through aws-local-stepfunctions' library API and prints
// {"executions","seconds","per_second","warmup_seconds"}. The state machine is built (and its
// definition validated) once, as parcours' benchmark parses it once, and N/3
// untimed executions run first so V8 has compiled the hot code (Go's side
// is compiled ahead of time and its benchmark also runs untimed rounds
// first); without them the peer measures 15–25 % slower. It prints how
// long they took (warmup_seconds): parcours warms up as long.
//
// Usage: node bench.mjs <case file> <case name> <N>
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { CONTEXT, overrides } from './run.mjs';

const [file, name, n] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(file, 'utf8'));
const c = doc.cases.find((x) => x.name === name);
if (!c) throw new Error(`no case ${name} in ${file}`);
const sm = new StateMachine(doc.definition, { validationOptions: doc.validation ?? {} });
const count = Number(n);

// once runs one execution as parcours' side does: the input and context
// copied (the peer may change them), a fresh set of task and wait
// overrides, and the result awaited.
async function once() {
  const exec = sm.run(structuredClone(c.input ?? {}), {
    overrides: overrides(doc.definition, c),
    context: { ...structuredClone(doc.context ?? {}), Execution: { ...CONTEXT.Execution } },
  });
  try {
    await exec.result;
  } catch {
    // a failed execution is still an execution
  }
}

const warm = process.hrtime.bigint();
for (let i = 0; i < Math.ceil(count / 3); i++) await once();
const start = process.hrtime.bigint();
for (let i = 0; i < count; i++) await once();
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const warmup_seconds = Number(start - warm) / 1e9;
process.stdout.write(JSON.stringify({ executions: count, seconds, per_second: count / seconds, warmup_seconds }) + '\n');
