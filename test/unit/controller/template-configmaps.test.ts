import { strict as assert } from 'node:assert';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PrefixSync } from '../../../src/api/index.js';
import {
  requestsForTemplateConfigMap,
  templateConfigMapOf,
  TemplateRefs,
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

  it('knows which ConfigMaps the cached PrefixSyncs use as they are added, changed and deleted', () => {
    const refs = new TemplateRefs();
    // The PrefixSync informer is untyped (KubernetesObject), as in setup.ts.
    const on = refs.handlers();
    const h = {
      onAdd: (p: PrefixSync) => on.onAdd?.(p as unknown as KubernetesObject),
      onUpdate: (o: PrefixSync, c: PrefixSync) =>
        on.onUpdate?.(o as unknown as KubernetesObject, c as unknown as KubernetesObject),
      onDelete: (p: PrefixSync) => on.onDelete?.(p as unknown as KubernetesObject),
    };
    const tmpl = { metadata: { namespace: 'shop', name: 'tmpl' } };
    const other = { metadata: { namespace: 'other', name: 'tmpl' } };
    h.onAdd(notTemplate);
    h.onAdd(inline);
    assert.equal(refs.uses(tmpl), false, 'a plain target named like it is no use');
    h.onAdd(byRef);
    const twin = psync('shop', 'twin', {
      name: 'd',
      format: 'template',
      template: { configMapRef: { name: 'tmpl' } },
    });
    h.onAdd(twin);
    assert.equal(refs.uses(tmpl), true);
    assert.equal(refs.uses(other), false, 'only in its own namespace');
    h.onUpdate(byRef, notTemplate);
    assert.equal(refs.uses(tmpl), true, 'still used by the twin');
    h.onDelete(twin);
    assert.equal(refs.uses(tmpl), false);
    h.onUpdate(notTemplate, byRef);
    assert.equal(refs.uses(tmpl), true);
  });
});
