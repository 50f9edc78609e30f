// Compiles every schema of a spec the way Prism's validator does, and names the ones that fail.
//
// Prism wraps each schema compilation in a tryCatch and treats a schema that does not compile
// as "no errors", so a spec Prism cannot read looks, from the proxy, like one every answer
// satisfies. This reads the spec with Prism's own loader (getHttpOperationsFromSpec) and compiles
// each body, header and parameter schema with Prism's ajv settings (strict off, union types,
// ajv-formats), printing one line per failure and exiting 1 when there is any.
//
//   node scripts/spectools/prism_compile.cjs specs/crun.yaml [more specs...]
'use strict';
const path = require('node:path');

const prismHttp = path.dirname(require.resolve('@stoplight/prism-http/package.json'));
const fromPrism = (name) => require(require.resolve(name, { paths: [prismHttp] }));
const { getHttpOperationsFromSpec } = fromPrism('@stoplight/prism-http');
const Ajv = fromPrism('ajv').default;
const addFormats = fromPrism('ajv-formats').default;

// The options of prism-http's validator/validators/utils.js (baseAjvOptions).
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, allowMatchingProperties: true, strict: false, logger: false });
addFormats(ajv);

function* schemasOf(op) {
  const where = `${op.method.toUpperCase()} ${op.path}`;
  for (const content of op.request?.body?.contents ?? []) {
    if (content.schema) yield [`${where} request ${content.mediaType}`, content.schema];
  }
  for (const kind of ['query', 'headers', 'path', 'cookie']) {
    for (const param of op.request?.[kind] ?? []) {
      if (param.schema) yield [`${where} ${kind} parameter ${param.name}`, param.schema];
    }
  }
  for (const response of op.responses ?? []) {
    for (const content of response.contents ?? []) {
      if (content.schema) yield [`${where} ${response.code} ${content.mediaType}`, content.schema];
    }
    for (const header of response.headers ?? []) {
      if (header.schema) yield [`${where} ${response.code} header ${header.name}`, header.schema];
    }
  }
}

async function main(specs) {
  let failed = 0;
  let total = 0;
  for (const spec of specs) {
    const operations = await getHttpOperationsFromSpec(path.resolve(spec));
    for (const op of operations) {
      for (const [where, schema] of schemasOf(op)) {
        total += 1;
        try {
          ajv.compile({ ...schema, __bundled__: op.__bundled__ });
        } catch (error) {
          failed += 1;
          console.log(`${spec}: ${where}: ${error.message}`);
        }
      }
    }
  }
  console.log(`prism-compile: ${failed} of ${total} schemas fail to compile`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(2);
});
