// `node typecheck.mjs <tsconfig.json>`: type-checks the project with the workspace's TypeScript and prints
// every diagnostic as JSON lines `{ file, line, code, message }` (file relative to the tsconfig's
// directory, line 1-based; no file for option errors). Unlike `tsc`, it reports each file's semantic
// errors even when another file has a syntax error.
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

const configPath = resolve(process.argv[2]);
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => print(d) });
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
const diagnostics = [...config.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
for (const file of program.getRootFileNames().map((name) => program.getSourceFile(name))) {
  if (file === undefined) continue;
  diagnostics.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
}
diagnostics.forEach(print);

function print(diagnostic) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const at = diagnostic.file === undefined ? {} : {
    file: relative(dirname(configPath), diagnostic.file.fileName),
    line: diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1,
  };
  process.stdout.write(`${JSON.stringify({ ...at, code: `TS${diagnostic.code}`, message })}\n`);
}
