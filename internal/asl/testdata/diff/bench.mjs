// bench.mjs runs one differential case N times, one execution after the
// other, through aws-local-stepfunctions' library API and prints
// {"executions","seconds","per_second"}. The state machine is built (and its
// definition validated) once, as parcours' benchmark parses it once.
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
const start = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
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
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(JSON.stringify({ executions: count, seconds, per_second: count / seconds }) + '\n');
