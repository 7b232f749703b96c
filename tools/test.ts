// `npm test`: lint, type-check and unit tests of every project; docker-compose.yml validated; then
// the integration tests against a real Kafka broker and a real Redis (given by KAFKA_BROKERS /
// REDIS_URL, or started here and stopped afterwards). Exits non-zero when any step fails.
import { startInfra } from './infra/index';
import { findComposeCommand } from './lib/compose-check';
import { printSummary, runCommand, type StepResult } from './lib/run-command';

const steps: StepResult[] = [];
const nx = ['nx', 'run-many', '--outputStyle=stream', '--parallel=2'];

steps.push(await runCommand('lint, typecheck, unit', 'npx', [...nx, '-t', 'lint', 'typecheck', 'test']));

const compose = findComposeCommand();
if (compose) {
  steps.push(await runCommand('docker-compose config', compose.command, [...compose.args, 'config', '-q']));
} else if (process.env.TRIBUTARY_REQUIRE_COMPOSE === '1') {
  process.stderr.write('docker-compose is not installed: install it (apt-get install docker-compose) to validate docker-compose.yml\n');
  steps.push({ name: 'docker-compose config', code: 1, seconds: 0 });
} else {
  process.stderr.write('\n▷ docker-compose config: skipped, neither docker-compose nor docker compose is installed\n');
}

const infraStarted = performance.now();
let infra: Awaited<ReturnType<typeof startInfra>> | undefined;
try {
  infra = await startInfra();
  steps.push({ name: 'infrastructure up', code: 0, seconds: (performance.now() - infraStarted) / 1000 });
} catch (err) {
  process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
  steps.push({ name: 'infrastructure up', code: 1, seconds: (performance.now() - infraStarted) / 1000 });
}

if (infra) {
  try {
    steps.push(
      await runCommand('integration', 'npx', [...nx.slice(0, 3), '--parallel=1', '-t', 'test-int'], {
        env: { ...process.env, ...infra.env },
      }),
    );
  } finally {
    await infra.stop();
  }
}

printSummary('npm test', steps);
process.exit(steps.every((s) => s.code === 0) ? 0 : 1);
