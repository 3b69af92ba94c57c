import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

const ROOT = new URL('../../../', import.meta.url);

interface KrewPlugin {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    version: string;
    shortDescription: string;
    platforms: {
      selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
      uri: string;
      sha256: string;
      bin: string;
      files: { from: string; to: string }[];
    }[];
  };
}

describe('plugins/etcdconfig.yaml (krew manifest)', () => {
  const manifest = parse(readFileSync(new URL('plugins/etcdconfig.yaml', ROOT), 'utf8')) as KrewPlugin;
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    version: string;
    bin: Record<string, string>;
  };

  it('is a krew Plugin named as its file and as the kubectl-<name> bin of the package', () => {
    assert.equal(manifest.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2');
    assert.equal(manifest.kind, 'Plugin');
    assert.equal(manifest.metadata.name, 'etcdconfig');
    assert.equal(pkg.bin[`kubectl-${manifest.metadata.name}`], 'bin/kubectl-etcdconfig.js');
  });

  it('has the package version with the v krew requires', () => {
    assert.equal(manifest.spec.version, `v${pkg.version}`);
    assert.ok(manifest.spec.shortDescription.length > 0);
  });

  it('gives each platform a selector, an https uri, a sha256 and a bin the package holds', () => {
    assert.ok(manifest.spec.platforms.length > 0);
    for (const p of manifest.spec.platforms) {
      assert.ok(p.selector.matchLabels ?? p.selector.matchExpressions);
      assert.match(p.uri, /^https:\/\//);
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      // The archive is `npm pack`'s: every file under package/.
      assert.deepEqual(p.files, [{ from: 'package/*', to: '.' }]);
      assert.ok(existsSync(new URL(p.bin, ROOT)), `${p.bin} is in the package`);
      assert.equal(p.bin, pkg.bin['kubectl-etcdconfig']);
    }
  });
});
