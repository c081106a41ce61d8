/** Reads `--name value` from the command line, else an environment variable, else a default. */
export function option(name: string, env: string, fallback: string): string {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  if (at >= 0 && args[at + 1] !== undefined) return args[at + 1]!;
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  return process.env[env] ?? fallback;
}

/**
 * Every value of a repeatable option, `--name a,b --name c` (or `--name=a,b`), else the
 * environment variable's comma list; empty when neither is given.
 */
export function optionList(name: string, env: string): string[] {
  const args = process.argv.slice(2);
  const values: string[] = [];
  args.forEach((arg, at) => {
    if (arg === `--${name}` && args[at + 1] !== undefined) values.push(args[at + 1]!);
    else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
  });
  if (values.length === 0 && process.env[env]) values.push(process.env[env]!);
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
