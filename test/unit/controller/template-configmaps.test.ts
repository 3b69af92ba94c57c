import { strict as assert } from 'node:assert';
import type { PrefixSync } from '../../../src/api/index.js';
import {
  requestsForTemplateConfigMap,
  templateConfigMapOf,
} from '../../../src/controller/prefixsync/template-configmaps.js';

function psync(namespace: string, name: string, target: PrefixSync['spec']['target']): PrefixSync {
  return {
    apiVersion: 'etcdconfig.dev/v1alpha1',
    kind: 'PrefixSync',
    metadata: { namespace, name },
    spec: { sourceRef: { name: 'main' }, prefix: '/p/', target },
  };
}

describe('template ConfigMap triggers', () => {
  const byRef = psync('shop', 'edge', {
    name: 'c',
    format: 'template',
    template: { configMapRef: { name: 'tmpl' } },
  });
  const inline = psync('shop', 'inline', { name: 'c', format: 'template', template: { inline: { a: 'x' } } });
  const elsewhere = psync('other', 'edge', {
    name: 'c',
    format: 'template',
    template: { configMapRef: { name: 'tmpl' } },
  });
  const notTemplate = psync('shop', 'files', { name: 'tmpl' });

  it('names the ConfigMap only of a PrefixSync with format template and a configMapRef', () => {
    assert.equal(templateConfigMapOf(byRef), 'tmpl');
    assert.equal(templateConfigMapOf(inline), undefined);
    assert.equal(templateConfigMapOf(notTemplate), undefined);
  });

  it('re-renders the PrefixSyncs of the same namespace that use the ConfigMap, and no other', () => {
    const cm = { metadata: { namespace: 'shop', name: 'tmpl' } };
    assert.deepEqual(requestsForTemplateConfigMap(cm, [byRef, inline, elsewhere, notTemplate]), [
      { namespace: 'shop', name: 'edge' },
    ]);
    assert.deepEqual(
      requestsForTemplateConfigMap({ metadata: { namespace: 'shop', name: 'x' } }, [byRef]),
      [],
    );
  });
});
