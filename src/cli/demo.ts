// `etcd-config-operator demo` (`npm run demo`): the whole product on one machine, for a first look.
import { readFile } from 'node:fs/promises';
import { DEMO, DemoCluster, DemoInterrupted } from './demo-cluster.js';
import { DEMO_USAGE, DemoUsageError, parseDemoArgs, type DemoOptions } from './demo-options.js';
import { etcdMissingMessage, findDemoTools, type DemoTools } from './demo-tools.js';
import { DemoView } from './demo-view.js';

/** The value the non-interactive run writes to show a rollout. */
const SCRIPTED_VALUE = 'hello from the demo';
/** Lines of the operator's log shown when it dies. */
const LOG_TAIL_LINES = 20;

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function printInstructions(cluster: DemoCluster, tools: DemoTools, exitAfterSync: boolean): void {
  const etcdctl = `${tools.etcdctl} --endpoints=${cluster.etcdUrl}`;
  const kubectl = `${tools.kubectl} --kubeconfig ${cluster.kubeconfigPath}`;
  say();
  say('Try it in another terminal:');
  say();
  say('  Change a value — the ConfigMap follows within a second and the Deployment gets a rolling restart:');
  say(`    ${etcdctl} put ${DEMO.prefix}greeting ${quote('hello again')}`);
  say('  Add or delete keys (each key below the prefix becomes one ConfigMap key, "/" becoming "."):');
  say(`    ${etcdctl} put ${DEMO.prefix}log/format json`);
  say(`    ${etcdctl} del ${DEMO.prefix}feature/new-ui`);
  say('  See what the operator wrote, as kubectl shows it:');
  say(`    ${kubectl} get prefixsync ${DEMO.prefixSync}`);
  say(`    ${kubectl} get configmap ${DEMO.configMap} -o yaml`);
  say(`    ${kubectl} get deployment ${DEMO.deployment} -o jsonpath='{.spec.template.metadata.annotations}'`);
  say('  Break something on purpose (a space is not allowed in a ConfigMap key) and watch the condition:');
  say(`    ${etcdctl} put ${quote(`${DEMO.prefix}bad key`)} x`);
  say('  Delete the whole prefix: the guard holds it (Ready=False, ChangeHeld) and the ConfigMap stays:');
  say(`    ${etcdctl} del --prefix ${DEMO.prefix}`);
  say(
    `  Push a value the app cannot take (its simulated pods never become ready on ${DEMO.crashKey}=${DEMO.crashValue}):`,
  );
  say(
    `  the rollout fails within ${DEMO.progressDeadline} and the operator rolls back by itself (Ready=False, RolledBack):`,
  );
  say(`    ${etcdctl} put ${DEMO.prefix}log/level ${DEMO.crashValue}`);
  say();
  say(`Operator log: ${cluster.operatorLogPath}   metrics: ${cluster.metricsUrl}`);
  say();
  say(
    exitAfterSync
      ? 'Watching until the first sync and one scripted change have been applied:'
      : 'Watching (Ctrl-C stops everything and removes what the demo created):',
  );
  say();
}

async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
}

/** Resolves on the first SIGINT/SIGTERM; `dispose` removes the handlers. */
function onStopSignal(): { stopped: Promise<string>; dispose: () => void } {
  let dispose = (): void => undefined;
  const stopped = new Promise<string>((resolve) => {
    const handler = (signal: NodeJS.Signals): void => resolve(signal);
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    dispose = () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  });
  return { stopped, dispose };
}

/** The scripted run: first sync, one change, its rollout. Throws with what did not happen. */
async function scriptedRun(
  cluster: DemoCluster,
  view: DemoView,
  tools: DemoTools,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  await view.until(
    'the first sync (PrefixSync Ready=True and the ConfigMap written)',
    (s) =>
      s.syncedRevision !== undefined &&
      s.ready?.startsWith('Ready=True') === true &&
      s.configMapData !== undefined,
    left(),
  );
  const hashBefore = view.state.contentHash;
  say();
  say(
    `(demo) ${tools.etcdctl} --endpoints=${cluster.etcdUrl} put ${DEMO.prefix}greeting ${quote(SCRIPTED_VALUE)}`,
  );
  const put = await cluster.etcdClient.kv.put(`${DEMO.prefix}greeting`, SCRIPTED_VALUE);
  await view.until(
    `the ConfigMap and status at revision ${put.revision} and a rolling restart`,
    (s) =>
      s.configMapData?.['greeting'] === SCRIPTED_VALUE &&
      s.syncedRevision !== undefined &&
      BigInt(s.syncedRevision) >= put.revision &&
      s.contentHash !== hashBefore &&
      s.podTemplateHash === s.contentHash &&
      s.rollouts >= 1,
    left(),
  );
  await showGuard(cluster, view, tools, left);
  await showRollback(cluster, view, tools, left);
  say();
  say(`demo: synced revision ${view.state.syncedRevision}; ${view.state.rollouts} rollout(s); all good.`);
}

/**
 * One guard at work: deleting the whole prefix is held (the default `minKeys: 1`), the ConfigMap and
 * the Deployment stay as they are; then the keys are put back in one transaction.
 */
async function showGuard(
  cluster: DemoCluster,
  view: DemoView,
  tools: DemoTools,
  left: () => number,
): Promise<void> {
  const published = { ...view.state.configMapData };
  const rollouts = view.state.rollouts;
  say();
  say(`(demo) ${tools.etcdctl} --endpoints=${cluster.etcdUrl} del --prefix ${DEMO.prefix}   # an accident`);
  const deleted = await cluster.etcdClient.kv.delete({ prefix: DEMO.prefix }, { prevKv: true });
  await view.until(
    `the guard holding revision ${deleted.revision}: Ready=False (ChangeHeld), the ConfigMap and the Deployment unchanged`,
    (s) => s.ready === 'Ready=False (ChangeHeld)',
    left(),
  );
  const keys = Object.keys(view.state.configMapData ?? {}).length;
  if (
    JSON.stringify(view.state.configMapData) !== JSON.stringify(published) ||
    view.state.rollouts !== rollouts
  ) {
    throw new Error('the guard let the deletion through');
  }
  say(
    `demo: the guard held it; the ConfigMap still holds its ${keys} keys and nothing restarted. To publish`,
  );
  say(
    `      it anyway: kubectl annotate prefixsync ${DEMO.prefixSync} etcdconfig.dev/approve-revision=${deleted.revision}`,
  );
  say();
  say('(demo) putting the keys back in one etcd transaction');
  await cluster.etcdClient.kv.txn({
    success: deleted.prevKvs.map((kv) => ({ type: 'put' as const, key: kv.key, value: kv.value })),
  });
  await view.until(
    'Ready=True again (same content: nothing restarted)',
    (s) => s.ready === 'Ready=True (Synced)',
    left(),
  );
}

/**
 * A bad config push undone by the operator: a value the (simulated) app crashes on is published, its
 * rollout fails, the last good content goes back into the ConfigMap and the Deployment; then a fixed
 * value rolls forward.
 */
async function showRollback(
  cluster: DemoCluster,
  view: DemoView,
  tools: DemoTools,
  left: () => number,
): Promise<void> {
  const good = view.state.configMapData?.[DEMO.crashKey];
  const goodHash = view.state.contentHash;
  say();
  say(
    `(demo) ${tools.etcdctl} --endpoints=${cluster.etcdUrl} put ${DEMO.prefix}log/level ${DEMO.crashValue}   # a bad push`,
  );
  const bad = await cluster.etcdClient.kv.put(`${DEMO.prefix}log/level`, DEMO.crashValue);
  await view.until(
    `the rollout of revision ${bad.revision} failing and the operator rolling back: Ready=False (RolledBack), ConfigMap and pod template on the last good content`,
    (s) =>
      s.ready === 'Ready=False (RolledBack)' &&
      s.configMapData?.[DEMO.crashKey] === good &&
      s.podTemplateHash === goodHash,
    left(),
  );
  say(
    `demo: rolled back by itself; etcd still holds ${DEMO.crashValue} (revision ${bad.revision}), held until it changes.`,
  );
  say();
  say(`(demo) ${tools.etcdctl} --endpoints=${cluster.etcdUrl} put ${DEMO.prefix}log/level debug   # the fix`);
  await cluster.etcdClient.kv.put(`${DEMO.prefix}log/level`, 'debug');
  await view.until(
    'the fix rolled forward: Ready=True',
    (s) => s.ready === 'Ready=True (Synced)' && s.configMapData?.[DEMO.crashKey] === 'debug',
    left(),
  );
}

/** Runs the demo until Ctrl-C (or, with --exit-after-sync, until the scripted change rolled out). */
export async function demoMain(argv: string[]): Promise<number> {
  let options: DemoOptions | 'help';
  try {
    options = parseDemoArgs(argv);
  } catch (e) {
    if (!(e instanceof DemoUsageError)) throw e;
    process.stderr.write(`etcd-config-operator demo: ${e.message}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    say(DEMO_USAGE.trimEnd());
    return 0;
  }
  const tools = findDemoTools(process.env);
  if (tools.etcd === undefined) {
    process.stderr.write(etcdMissingMessage());
    return 1;
  }

  const signal = onStopSignal();
  say('etcd-config-operator demo: etcd → operator → ConfigMap → rolling restart, all on this machine.');
  say();
  const interrupt = new AbortController();
  void signal.stopped.then(() => interrupt.abort());
  let cluster: DemoCluster;
  try {
    cluster = await DemoCluster.start(
      options.dir,
      tools.etcd,
      (what, info) => {
        if (what === 'etcd') say(`  ✓ etcd on ${info.etcdUrl} (data in a temp dir, removed on exit)`);
        if (what === 'sim') say(`  ✓ Kubernetes API simulator on ${info.simUrl}`);
        if (what === 'objects') {
          say(`  ✓ keys under ${DEMO.prefix} in etcd: ${Object.keys(DEMO.seed).join(', ')}`);
          say(
            `  ✓ CRDs, ClusterEtcdSource "${DEMO.source}" (lets namespace ${DEMO.namespace} read ${DEMO.prefix}),`,
          );
          say(`    Deployment "${DEMO.deployment}" mounting ConfigMap "${DEMO.configMap}",`);
          say(
            `    PrefixSync "${DEMO.prefixSync}": ${DEMO.prefix} → ConfigMap ${DEMO.configMap}, rollout of Deployment ${DEMO.deployment}, debounce ${DEMO.debounce}`,
          );
        }
        if (what === 'operator') say('  ✓ the operator (etcd-config-operator run)');
      },
      interrupt.signal,
    );
  } catch (e) {
    signal.dispose();
    if (e instanceof DemoInterrupted) {
      say();
      say('Stopped while starting: everything the demo started is stopped and its files are removed.');
      return 0;
    }
    process.stderr.write(`demo: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  const view = new DemoView(cluster.kc, say);
  let code = 0;
  try {
    printInstructions(cluster, tools, options.exitAfterSync);
    await view.start();
    const operatorDied = cluster.operatorExited.then(async (c) => {
      throw new Error(
        `the operator exited (${c}). Its last log lines:\n${await logTail(cluster.operatorLogPath)}`,
      );
    });
    const work = options.exitAfterSync
      ? scriptedRun(cluster, view, tools, options.timeoutMs)
      : signal.stopped.then(() => undefined);
    await Promise.race([work, operatorDied, signal.stopped]);
  } catch (e) {
    process.stderr.write(`\ndemo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.stderr.write(`operator log (last lines):\n${await logTail(cluster.operatorLogPath)}\n`);
    code = 1;
  } finally {
    say();
    say('Stopping the operator, the simulator and etcd…');
    view.close();
    await cluster.close();
    signal.dispose();
    say('Done: everything the demo started is stopped and its files are removed.');
  }
  return code;
}
