// ESLint rule enforcing DESIGN.md §2: imports point down the layer stack only, and another folder is
// entered through its index.ts, never through a file inside it.
import path from 'node:path';

/**
 * Which src/ folders each layer may import. A layer may always import itself. `base` (time and
 * cancellation) is the bottom layer: every layer may import it, and it imports nothing of ours.
 */
export const ALLOWED_IMPORTS = {
  main: [
    'cli',
    'operator',
    'controller',
    'runtime',
    'sync',
    'api',
    'kube',
    'etcd',
    'observability',
    'envtest',
    'base',
  ],
  cli: [
    'operator',
    'controller',
    'runtime',
    'sync',
    'api',
    'kube',
    'etcd',
    'observability',
    'envtest',
    'base',
  ],
  operator: ['controller', 'runtime', 'sync', 'api', 'kube', 'etcd', 'observability', 'base'],
  controller: ['runtime', 'sync', 'api', 'kube', 'etcd', 'observability', 'base'],
  runtime: ['kube', 'observability', 'base'],
  sync: ['api', 'base'],
  api: ['base'],
  kube: ['api', 'observability', 'base'],
  etcd: ['observability', 'base'],
  observability: ['base'],
  envtest: ['api', 'kube', 'etcd', 'sync', 'observability', 'base'],
  base: [],
};

function layerOf(srcRoot, file) {
  const rel = path.relative(srcRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first] = rel.split(path.sep);
  return first === 'main.ts' ? 'main' : first;
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports point down the layers of DESIGN.md §2, through index.ts' },
    schema: [],
    messages: {
      upward: "layer '{{from}}' may not import layer '{{to}}' (DESIGN.md §2)",
      deep: "import '{{to}}' through its index.ts, not '{{spec}}'",
    },
  },
  create(context) {
    const file = context.filename;
    const srcRoot = path.join(context.cwd, 'src');
    const from = layerOf(srcRoot, file);
    if (!from) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), spec);
      const to = layerOf(srcRoot, target);
      if (!to || to === from) return;
      const allowed = ALLOWED_IMPORTS[from] ?? [];
      if (!allowed.includes(to)) {
        context.report({ node, messageId: 'upward', data: { from, to } });
        return;
      }
      const inside = path.relative(path.join(srcRoot, to), target);
      if (inside !== 'index.js' && inside !== 'index.ts' && inside !== '') {
        context.report({ node, messageId: 'deep', data: { to, spec } });
      }
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
