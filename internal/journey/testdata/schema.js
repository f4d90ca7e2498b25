// Validates journey.yaml files against schema/journey.schema.json with ajv (a dependency of asl-validator).
// usage: node schema.js <repo root> <journey.yaml>...
const path = require('path');
const root = path.resolve(process.argv[2]);
const Ajv2020 = require(root+'/node_modules/ajv/dist/2020').default;
const YAML = require(root+'/node_modules/yaml');
const fs = require('fs');
const ajv = new Ajv2020({allErrors: true, strict: false});
const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2]+'/schema/journey.schema.json')));
let bad = 0;
for (const f of process.argv.slice(3)) {
  const ok = validate(YAML.parse(fs.readFileSync(f, 'utf8')));
  if (!ok) { bad++; console.log(f, JSON.stringify(validate.errors.slice(0,3))); } else console.log('ok', f);
}
process.exit(bad ? 1 : 0);
