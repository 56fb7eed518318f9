/** One instruction of a Dockerfile: `COPY --from=build /app/dist ./dist` → `{ keyword: 'COPY', args: '--from=build /app/dist ./dist' }`. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** A build stage: from its `FROM` to the next. */
export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

/**
 * The stages of a Dockerfile: comments and blank lines dropped, `\` continuations joined.
 * Enough of the format for the test to read what the image will run; not a full parser
 * (no heredocs, no escape directive).
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const instruction = { keyword: keyword!.toUpperCase(), args: args!, line: start };
    if (instruction.keyword === 'FROM') {
      const [, from, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      stages.push({ name, from: from!, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The last instruction of `keyword` in a stage. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.findLast((instruction) => instruction.keyword === keyword);
}

/** A `COPY --from=<stage> <source> <destination>` of one source. */
export interface CopyFromStage {
  stage: string;
  source: string;
  destination: string;
}

/** The stage's `COPY --from=...` instructions (other flags such as `--chown` ignored). */
export function copiesFromStages(stage: Stage): CopyFromStage[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY' && /--from=/.test(instruction.args))
    .map(({ args, line }) => {
      const words = args.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))!.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      if (paths.length !== 2) throw new Error(`Dockerfile line ${line}: expected one source and one destination in COPY ${args}`);
      return { stage: from, source: paths[0]!, destination: paths[1]! };
    });
}
