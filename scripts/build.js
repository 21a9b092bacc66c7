'use strict';
// Builds the package (npm run build):
//   dist/loopguard.js     the preload's and the API's modules of src/, bundled by esbuild
//                         (src/bundle.ts); dependencies stay packages of their own. One file
//                         instead of some sixty: the preload starts about 20 ms sooner.
//   dist/loopguard-reporting.js
//                         reporting (src/runtime/reporting.ts: the dispatcher, the sinks, loopguard's
//                         thread, the watchdog), a bundle of its own that the preload reads only
//                         when reporting starts (a first handler, a warning, a report file)
//   dist/loopguard-otel.js
//                         OpenTelemetry export (loopguard/otel, and the settings' sink once an SDK
//                         registers), a bundle of its own that the preload reads only then
//                         Each bundle beside dist/loopguard.js takes every module of it that it
//                         uses from there (one instance of each), and the others' modules from them
//   dist/loopguard-testing.js, dist/loopguard-cli.js
//                         the emulator and the report command, bundles of their own: the preload
//                         never reads them (guardTests comes from dist/loopguard.js)
//   dist/index.js, register.js, otel.js, testing/index.js, cli/index.js
//                         the entry points: each asks its bundle for its part (the first three
//                         load dist/loopguard.js through dist/boot.js, with V8's code cache)
//   dist/boot.js          the bundle loader (src/boot.ts), a file of its own: it runs first
//   dist/thread/entry.js  loopguard's thread, a bundle of its own (a worker loads it by path)
//   dist/**/*.d.ts        the types, from tsc, which also type-checks
//   .tmp/build/           tsc's file-per-module build: what the dependency rule is checked on
//                         (npm run check:boundaries); never loaded
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const perModule = path.join(root, '.tmp', 'build');
const bundleFile = path.join(dist, 'loopguard.js');
const testingFile = path.join(dist, 'loopguard-testing.js');
const cliFile = path.join(dist, 'loopguard-cli.js');
const otelFile = path.join(dist, 'loopguard-otel.js');
const bootFile = path.join(dist, 'boot.js');

/** The file a relative import names, from the package root with `/` and no extension (`src/core/context`). */
const importedPath = (args) => path.relative(root, path.join(args.resolveDir, args.path)).split(path.sep).join('/');

/*
 * The OpenTelemetry bundle: in dist/loopguard.js, the entry `loopguard/otel` (src/otel.ts) and the
 * sink the settings make once an SDK registers (sinks/otel/sink.ts, required when it is) are
 * required from dist/loopguard-otel.js. V8 parses every line of a file it loads, about 3.4 ms per
 * 100 KB here, so code that most processes never run is read only by those that do.
 */
const otelModules = ['src/otel', 'src/sinks/otel/sink'];
const otelApart = {
  name: 'otel-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => (otelModules.includes(importedPath(args)) ? { path: './loopguard-otel.js', external: true } : undefined));
  },
};

/*
 * Bundles of the modules that only their entries reach (what neither the preload nor
 * loopguard/otel nor another of these does), read when first needed. Each import of one of their
 * modules from another bundle is a stand-in whose exports load the bundle when first read, so
 * that importing one at the top of a module (which the TypeScript sources do: tests run them as
 * they are) loads nothing until it is used.
 */
const apart = [
  // When reporting starts (runtime/runtime.ts' reports()).
  { file: 'loopguard-reporting.js', entries: ['src/runtime/reporting.ts'] },
];

/** The modules esbuild bundles from `entries`, leaving out the imports of `cut` (`src/x/y.ts`) and `others` (plugins). */
async function inputsOf(entries, cut, others = [otelApart]) {
  const cutting = { name: 'cut', setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => (cut.includes(`${importedPath(args)}.ts`) ? { path: args.path, external: true } : undefined));
  } };
  const stdin = { contents: entries.map((e) => `import ${JSON.stringify(`./${e}`)};`).join('\n'), resolveDir: root, loader: 'js' };
  const result = await esbuild.build({ ...bundled, plugins: [...bundled.plugins, ...others, cutting], stdin, outfile: 'dist/inputs.js', metafile: true, write: false });
  return new Set(Object.keys(result.metafile.inputs).filter((file) => file.startsWith('src/')));
}

/** `build`'s import `args` as a module of the source tree, when it is one of `files` (`src/x/y.ts`). */
function sourceFileOf(args, files) {
  const base = importedPath(args);
  return [`${base}.ts`, `${base}/index.ts`, base].find((f) => files.has(f));
}

/** The names `file` exports, from esbuild's reading of the module alone (its types are none). */
async function exportNames(file) {
  const read = await esbuild.build({ entryPoints: [file], absWorkingDir: root, format: 'esm', bundle: false, metafile: true, write: false, outdir: 'dist/exports', logLevel: 'error' });
  return Object.values(read.metafile.outputs).find((o) => o.entryPoint !== undefined).exports;
}

/** An import of one of `bundle.modules`: its exports, read from `bundle.file` when first asked for. */
function fromApart(bundle) {
  const namespace = `apart:${bundle.file}`;
  return {
    name: namespace,
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.namespace === namespace) return { path: args.path, external: true };
        const file = sourceFileOf(args, bundle.modules);
        return file === undefined ? undefined : { path: file, namespace };
      });
      build.onLoad({ filter: /.*/, namespace }, async (args) => {
        const names = await exportNames(args.path);
        return {
          contents: [
            'let loaded;',
            // Through dist/boot.js, as the entry points load dist/loopguard.js: with V8's code cache.
            `const load = () => loaded ??= require('./boot.js').loadBundle(__dirname + '/${bundle.file}').modules[${JSON.stringify(args.path)}]();`,
            "Object.defineProperty(exports, '__esModule', { value: true });",
            `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * A bundle beside dist/loopguard.js takes each module that one has from it, never a copy of its
 * own (the handler context's storage, the active runtime: one of each per process). `used`
 * collects them: dist/loopguard.js lists them in its `modules`, each required when first asked for.
 */
function fromMain(mainInputs, used) {
  return {
    name: 'from-main',
    setup(build) {
      build.onResolve({ filter: /^\.\/loopguard\.js$/, namespace: 'from-main' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.namespace === 'from-main') return undefined;
        const file = sourceFileOf(args, mainInputs);
        if (file === undefined) return undefined;
        used.add(file);
        return { path: file, namespace: 'from-main' };
      });
      // Each export a constant of this bundle, read once: its uses here are plain variables, not
      // getters of getters (a wrapped call's watchdog marks read protocol's Slot twice a call).
      build.onLoad({ filter: /.*/, namespace: 'from-main' }, async (args) => ({
        contents: [
          `const from = require('./loopguard.js').modules[${JSON.stringify(args.path)}]();`,
          ...(await exportNames(args.path)).map((name) => `export const ${name} = from.${name};`),
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}

/** `modules`: each module of `files`, required when first asked for (by the bundles beside it). */
function modulesList(files) {
  const lines = [...files].sort().map((file) => `  ${JSON.stringify(file)}: () => require(${JSON.stringify(`./${file}`)}),`);
  return `export const modules = {\n${lines.join('\n')}\n};\n`;
}

/** dist/loopguard.js' entry: src/bundle.ts' exports, and the modules the bundles beside it take from it. */
function mainEntry(shared) {
  return { contents: `export * from './src/bundle';\n${modulesList(shared)}`, resolveDir: root, sourcefile: 'src/bundle-modules.js', loader: 'js' };
}

/** A bundle apart's entry: its modules. */
function apartEntry(bundle) {
  return { contents: modulesList(bundle.modules), resolveDir: root, sourcefile: `src/${bundle.file.replace(/\.js$/, '')}-modules.js`, loader: 'js' };
}

/*
 * core/rethrow.ts' throw is the line Node prints above an uncaught error that loopguard passed on,
 * and its comment says so there; esbuild keeps no comments, so the bundle gets it back. (It was a
 * file of its own, dist/core/rethrow.js, read at every start: 0.7-0.9 ms.)
 */
const rethrowLine = /^(\s*)throw error;( \/\/ .*)$/m;
function keepRethrowComment(text, file) {
  const comment = rethrowLine.exec(fs.readFileSync(path.join(root, 'src', 'core', 'rethrow.ts'), 'utf8'))?.[2];
  if (comment === undefined) throw new Error('build: src/core/rethrow.ts has no `throw error; // ...` line');
  const inBundle = /^(function rethrow\d* ?\(error\) \{\n\s*throw error;)$/m;
  if (!inBundle.test(text)) throw new Error(`build: ${path.relative(root, file)} has no rethrow function to give its comment back to`);
  return text.replace(inBundle, `$1${comment}`);
}

/*
 * The package's package.json, as src/core/version.ts reads it: its version only. The whole file
 * (scripts, dependencies, keywords) was 3 KB of the preload and 11 KB made at every start.
 */
const versionOnly = {
  name: 'version-only',
  setup(build) {
    const file = path.join(root, 'package.json');
    build.onLoad({ filter: /[\\/]package\.json$/ }, (args) => (args.path !== file ? undefined : {
      contents: JSON.stringify({ version: JSON.parse(fs.readFileSync(file, 'utf8')).version }), loader: 'json',
    }));
  },
};

const bundled = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', plugins: [versionOnly],
  // The sources are modules, strict by definition (and so in the tests, which run them as they
  // are); a CommonJS bundle is not, unless it says so. Sloppy, a wrapper called on no object
  // handed the original globalThis instead (and a primitive boxed): another error than the app's.
  banner: { js: "'use strict';" },
  // Source maps that name src/. Not keepNames: it names every function as it is made, closures
  // made per event included (1 µs per event in the flood); checkPublicNames guards what shows.
  sourcemap: 'linked', sourcesContent: false, logLevel: 'warning', absWorkingDir: root,
};

/** `require(…)` of a bundle, from an entry point's file. */
function requireOf(file, bundlePath) {
  const relative = path.relative(path.dirname(path.join(dist, file)), bundlePath);
  return `require(${JSON.stringify(relative.startsWith('.') ? relative : `./${relative}`)})`;
}

/** dist/loopguard.js through dist/boot.js (core/bundle-loader.ts), from an entry point beside both. */
function loadMain(file) {
  if (path.dirname(path.join(dist, file)) !== dist) throw new Error(`build: ${file} is not beside dist/boot.js`);
  return `${requireOf(file, bootFile)}.loadBundle(__dirname + ${JSON.stringify(`/${path.basename(bundleFile)}`)}, module)`;
}

/** An entry point's text: it asks its bundle for its part. */
function entryText(file, name, exports) {
  if (name === 'cli') return `#!/usr/bin/env node\n'use strict';\n${requireOf(file, cliFile)};\n`;
  if (name === 'register') return `'use strict';\n${loadMain(file)}.entries.register();\n`;
  const value = name === 'testing' ? requireOf(file, testingFile) : `${loadMain(file)}.entries.${name}(module)`;
  // Node's ES module loader finds a CommonJS file's export names by reading it (cjs-module-lexer):
  // the entry lists them, in code that never runs, for `import { track } from 'loopguard'`.
  const names = Object.keys(exports).filter((n) => n !== '__esModule' && n !== 'default');
  return `'use strict';\nmodule.exports = ${value};\n0 && (module.exports = { ${names.join(', ')} });\n`;
}

/**
 * esbuild escapes non-ASCII text in code, but keeps the comments it keeps (on class fields) as
 * written: one `µ` or `—` there makes V8 hold the whole bundle as a two-byte string, which takes
 * longer to read and to parse at every start (about 1.3 ms for dist/loopguard.js) and twice the
 * memory. Those comments get `\\uXXXX` instead; anywhere else it is an error here, not a guess.
 */
function asciiOnly(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let changed = false;
  for (const [i, line] of lines.entries()) {
    if (!/[^\x00-\x7f]/.test(line)) continue;
    if (!/^\s*(\/\/|\/\*|\*)/.test(line)) throw new Error(`build: ${path.relative(root, file)}:${i + 1} has non-ASCII text outside a comment`);
    lines[i] = line.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    changed = true;
  }
  if (changed) fs.writeFileSync(file, lines.join('\n'));
}

/**
 * A bundle gives one of two functions of the same name another (`consoleSink2`): what the public
 * API exports must keep its own, which stack traces and `.name` show. Rename the internal one.
 */
function checkPublicNames(publicApis) {
  for (const [name, api] of Object.entries(publicApis)) {
    for (const [key, value] of Object.entries(api)) {
      if (typeof value === 'function' && value.name !== key) {
        throw new Error(`build: loopguard${name === 'index' ? '' : `/${name}`}'s ${key} is named ${value.name} in the bundle: another module declares a function ${key} too; rename that one`);
      }
    }
  }
}

async function main() {
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(perModule, { recursive: true, force: true });
  execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

  // Which modules each bundle apart holds; then what dist/loopguard.js holds, then the bundles
  // beside it (each says what it takes from it), then dist/loopguard.js again with those listed.
  const cutAll = apart.flatMap((b) => b.entries);
  const preloaded = await inputsOf(['src/register.ts'], cutAll);
  const otel = await inputsOf(['src/otel.ts'], cutAll, []);
  const reached = await Promise.all(apart.map((b) => inputsOf(b.entries, cutAll.filter((e) => !b.entries.includes(e)))));
  const uses = (file) => [otel, ...reached].filter((set) => set.has(file)).length;
  for (const [i, bundle] of apart.entries()) bundle.modules = new Set([...reached[i]].filter((file) => !preloaded.has(file) && uses(file) === 1));
  // What two of the bundles beside it use, dist/loopguard.js holds (though it may not use it itself).
  const both = [...new Set([...otel, ...reached.flatMap((set) => [...set])])].filter((file) => !preloaded.has(file) && uses(file) > 1);
  const takeApart = apart.map(fromApart);
  const main = { ...bundled, plugins: [...bundled.plugins, otelApart, ...takeApart], outfile: 'dist/loopguard.js' };
  const first = await esbuild.build({ ...main, stdin: mainEntry(both), metafile: true, write: false });
  const mainInputs = new Set(Object.keys(first.metafile.inputs));
  const shared = new Set();
  await esbuild.build({ ...bundled, plugins: [...bundled.plugins, ...takeApart, fromMain(mainInputs, shared)], entryPoints: ['src/otel.ts'], outfile: 'dist/loopguard-otel.js' });
  for (const [i, bundle] of apart.entries()) {
    await esbuild.build({ ...bundled, plugins: [...bundled.plugins, otelApart, ...takeApart.filter((_, j) => j !== i), fromMain(mainInputs, shared)], stdin: apartEntry(bundle), outfile: `dist/${bundle.file}` });
  }
  // The testing bundle's guardTests installs and reads the runtime of dist/loopguard.js.
  await esbuild.build({ ...bundled, plugins: [...bundled.plugins, otelApart, ...takeApart, fromMain(mainInputs, shared)], entryPoints: ['src/testing/index.ts'], outfile: 'dist/loopguard-testing.js' });
  await esbuild.build({ ...main, stdin: mainEntry(shared) });
  await esbuild.build({ ...bundled, entryPoints: ['src/cli/index.ts'], outfile: 'dist/loopguard-cli.js' });
  await esbuild.build({ ...bundled, entryPoints: ['src/thread/entry.ts'], outfile: 'dist/thread/entry.js' });
  await esbuild.build({ ...bundled, entryPoints: ['src/boot.ts'], outfile: 'dist/boot.js' });

  for (const file of [bundleFile, bootFile, otelFile, ...apart.map((b) => path.join(dist, b.file)), testingFile, cliFile, path.join(dist, 'thread', 'entry.js')]) asciiOnly(file);
  fs.writeFileSync(bundleFile, keepRethrowComment(fs.readFileSync(bundleFile, 'utf8'), bundleFile));

  const { entries } = require(bundleFile);
  const publicApis = { index: entries.index(), otel: entries.otel(), testing: require(testingFile) };
  checkPublicNames(publicApis);
  for (const [file, name] of [['index.js', 'index'], ['otel.js', 'otel'], ['testing/index.js', 'testing'], ['register.js', 'register'], ['cli/index.js', 'cli']]) {
    fs.mkdirSync(path.dirname(path.join(dist, file)), { recursive: true });
    fs.writeFileSync(path.join(dist, file), entryText(file, name, publicApis[name] ?? {}), { mode: name === 'cli' ? 0o755 : 0o644 });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
