import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/kube-call-sites.js';

const REPO_CRDS = join(REPO_ROOT, 'crds');
const CHART_CRDS = join(REPO_ROOT, 'charts/etcd-config-operator/crds');

describe("the chart's CRDs", () => {
  it("are the same files as the repository's crds/ (cp crds/*.yaml charts/etcd-config-operator/crds/)", () => {
    assert.deepEqual(readdirSync(CHART_CRDS).sort(), readdirSync(REPO_CRDS).sort());
    for (const file of readdirSync(REPO_CRDS)) {
      assert.equal(
        readFileSync(join(CHART_CRDS, file), 'utf8'),
        readFileSync(join(REPO_CRDS, file), 'utf8'),
        `charts/etcd-config-operator/crds/${file} differs from crds/${file}`,
      );
    }
  });
});
