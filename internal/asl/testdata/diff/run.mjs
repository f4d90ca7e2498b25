// run.mjs runs differential cases through aws-local-stepfunctions (the peer
// implementation parcours' ASL engine is checked against) and prints one JSON
// line per case:
//
//   {"file","case","status","output","error","cause","states","nested"}
//
// status is SUCCEEDED, FAILED, or INVALID (the peer's validator rejected the
// definition; error holds its message). states lists the top-level states
// entered, in order. nested lists every state entered inside Parallel
// branches and Map iterations, sorted (their interleaving is concurrent, so
// only the multiset is comparable).
//
// Usage: node run.mjs [case files or directories...]   (default: this directory)
// Case file format: see internal/asl/difftest/doc.go.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

const here = dirname(fileURLToPath(import.meta.url));

export function caseFiles(args) {
  const roots = args.length > 0 ? args : [here];
  const files = [];
  for (const root of roots) {
    if (statSync(root).isDirectory()) {
      for (const name of readdirSync(root).sort()) {
        if (name.endsWith('.json')) files.push(join(root, name));
      }
    } else {
      files.push(root);
    }
  }
  return files;
}

// walk calls fn(name, state) for every state of a definition, nested ones too.
export function walk(def, fn) {
  for (const [name, st] of Object.entries(def.States ?? {})) {
    fn(name, st);
    for (const b of st.Branches ?? []) walk(b, fn);
    if (st.ItemProcessor) walk(st.ItemProcessor, fn);
    if (st.Iterator) walk(st.Iterator, fn);
  }
}

// overrides builds the peer's run options from a case: a scripted handler for
// every Task state, a wait override for every Wait state (0 ms unless the case
// says otherwise; null in "waits" runs the state for real), and a 0 ms retry
// interval for every state with a Retry field (retry timing is checked in
// virtual time on the parcours side only).
export function overrides(def, c) {
  const calls = {};
  const taskResourceLocalHandlers = {};
  const waitTimeOverrides = {};
  const retryIntervalOverrides = {};
  const script = c.tasks ?? {};
  const waits = c.waits ?? {};
  walk(def, (name, st) => {
    if (st.Type === 'Task') {
      taskResourceLocalHandlers[name] = async (input) => {
        const entries = script[name];
        if (!entries || entries.length === 0) {
          const e = new Error(`no scripted result for task ${name}`);
          e.name = 'Harness.NoScript';
          throw e;
        }
        const i = calls[name] ?? 0;
        calls[name] = i + 1;
        const entry = entries[Math.min(i, entries.length - 1)];
        if ('error' in entry) {
          const e = new Error(entry.cause ?? '');
          e.name = entry.error;
          throw e;
        }
        if (entry.echo) return input;
        if (entry.large) return { s: 'a'.repeat(entry.large) };
        return structuredClone(entry.output);
      };
    }
    if (st.Type === 'Wait') {
      if (!(name in waits)) waitTimeOverrides[name] = 0;
      else if (waits[name] !== null) waitTimeOverrides[name] = waits[name];
    }
    if (st.Retry) retryIntervalOverrides[name] = 0;
  });
  return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides };
}

export const CONTEXT = { Execution: { Name: 'difftest' } };

const machines = new WeakMap();

export async function runCase(file, doc, c) {
  const out = { file: basename(file), case: c.name };
  const seen = new Set();
  let dup = '';
  walk(doc.definition, (name) => {
    if (seen.has(name)) dup = name;
    seen.add(name);
  });
  if (dup) {
    // Parallel branch events carry no branch marker, so top-level entries are
    // told apart by name: names must be unique across the whole definition.
    return { ...out, status: 'HARNESS_ERROR', error: `state name ${dup} is used twice` };
  }
  // Validating a definition costs more than running it: once per file.
  if (!machines.has(doc)) {
    try {
      machines.set(doc, new StateMachine(doc.definition, { validationOptions: doc.validation ?? {} }));
    } catch (err) {
      machines.set(doc, String(err.message ?? err));
    }
  }
  const sm = machines.get(doc);
  if (typeof sm === 'string') {
    return { ...out, status: 'INVALID', error: sm };
  }
  const exec = sm.run(c.input ?? {}, {
    overrides: overrides(doc.definition, c),
    // A file may add context fields the peer does not provide (it only sets
    // Execution.Input and Execution.StartTime), e.g. a fixed State object.
    context: { ...structuredClone(doc.context ?? {}), Execution: { ...CONTEXT.Execution } },
  });
  const states = [];
  const nested = [];
  const logs = (async () => {
    for await (const ev of exec.eventLogs) {
      if (ev.type !== 'StateEntered') continue;
      // Nested events are forwarded with the parent Map's iteration index;
      // Parallel branch events are forwarded as they are, so tell them apart
      // from top-level ones by the top-level state names.
      if (ev.index === undefined && Object.hasOwn(doc.definition.States, ev.state.name)) {
        states.push(ev.state.name);
      } else {
        nested.push(ev.state.name);
      }
    }
  })();
  try {
    const output = await exec.result;
    await logs;
    return { ...out, status: 'SUCCEEDED', output, states, nested: nested.sort() };
  } catch (err) {
    await logs;
    const cause = err.cause ?? err;
    return {
      ...out,
      status: 'FAILED',
      error: cause.name,
      cause: typeof cause.message === 'string' ? cause.message : String(cause),
      states,
      nested: nested.sort(),
    };
  }
}

async function main() {
  const files = caseFiles(process.argv.slice(2));
  for (const file of files) {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    for (const c of doc.cases ?? []) {
      const res = await runCase(file, doc, c);
      process.stdout.write(JSON.stringify(res) + '\n');
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
