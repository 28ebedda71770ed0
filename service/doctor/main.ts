import { ConfigError } from '../config.js';
import { readDoctorConfig } from './doctor-config.js';
import { DOCTOR_USAGE, parseDoctorArgs } from './options.js';
import { renderJson, renderText } from './render.js';
import { exitCodeOf, fail, type CheckResult } from './result.js';
import { runDoctor, type DoctorDeps } from './run.js';

// `claude-gitlab-flow doctor`: the environment and arguments in, the report out, an exit status back
// (0: nothing failed, 1: something did, 2: bad arguments). cli.ts passes process.env and stdout.

export interface DoctorIo extends DoctorDeps {
  write: (text: string) => void;
}

export async function doctorMain(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: DoctorIo,
): Promise<number> {
  const options = parseDoctorArgs(argv);
  if ('error' in options) {
    io.write(`claude-gitlab-flow doctor: ${options.error}\n${DOCTOR_USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.write(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  let results: CheckResult[];
  try {
    const { config, result } = readDoctorConfig(env);
    results = [result, ...(await runDoctor(config, options, io))];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    results = [
      fail('config', error.message, 'set or correct the variables named above, as for `serve` (README, Configuration)'),
    ];
  }
  io.write(options.json ? renderJson(results) : renderText(results));
  return exitCodeOf(results);
}
