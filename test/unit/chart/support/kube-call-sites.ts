// Finds, with the TypeScript type checker, every place in the operator's code where a request to the
// Kubernetes API can start: a call into a client-node API class or its Watch, a verb-named request of
// the kube layer's transport (KubeTransport.get, .listAll, .updateStatus, ...) or a watch it opens
// (WatchOpener.watch), a call through any port
// that takes the kube layer's CallOptions/ListOptions (ConfigMapApi, WorkloadApi, ResourceApi, LeaseStore,
// ListWatchSource, the Event sink, ...), and every informer made. "The operator's code" is what
// src/cli/run.ts imports, transitively.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const ENTRY = join(REPO_ROOT, 'src/cli/run.ts');

/** One place that can make a Kubernetes request. */
export interface KubeCallSite {
  /** `src/...#callee text`, e.g. `src/controller/prefixsync/reconciler.ts#this.options.configMaps.create`. */
  readonly key: string;
  /** For calls into client-node's generated API classes: the method name (e.g. `readNamespacedConfigMap`). */
  readonly clientNodeMethod?: string;
  /** The client-node API class, e.g. `CoreV1Api`. */
  readonly clientNodeClass?: string;
  /**
   * For requests of the kube layer's transport: its verb-named method (`get`, `list`, `listAll`,
   * `create`, `update`, `updateStatus`, `patchMerge`, `delete`), or `watch` for a WatchOpener's watch.
   */
  readonly transportMethod?: string;
}

/** The transport's own files: their calls are its plumbing, not requests of a client. */
const TRANSPORT_FILES = /\/src\/kube\/(transport|watch-client)\.ts$/;

/** Whether `decl` is a method of the kube layer's transport or its watch opener. */
function transportMethodOf(decl: ts.Node): boolean {
  const file = decl.getSourceFile().fileName;
  let node: ts.Node | undefined = decl;
  while (node && !ts.isClassDeclaration(node) && !ts.isInterfaceDeclaration(node)) node = node.parent;
  const owner = node?.name?.text;
  // KubeTransport.for only finds the transport of a kubeconfig.
  const isStatic =
    ts.canHaveModifiers(decl) && ts.getModifiers(decl)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
  return (
    (file.endsWith('/src/kube/transport.ts') && owner === 'KubeTransport' && !isStatic) ||
    (file.endsWith('/src/kube/watch-request.ts') && owner === 'WatchOpener')
  );
}

/** What an informer is typed as: the kube layer's Informer, or the KindInformer over several namespaces. */
const INFORMER_TYPES: ReadonlySet<string> = new Set(['Informer', 'KindInformer']);

function importClosure(program: ts.Program): Set<string> {
  const seen = new Set<string>();
  const queue = [ENTRY];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const sf = program.getSourceFile(file);
    if (!sf) throw new Error(`not in the program: ${file}`);
    for (const stmt of sf.statements) {
      const spec =
        (ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) && stmt.moduleSpecifier
          ? (stmt.moduleSpecifier as ts.StringLiteral).text
          : undefined;
      if (!spec?.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) queue.push(target);
      else if (existsSync(join(target, 'index.ts'))) queue.push(join(target, 'index.ts'));
      else throw new Error(`cannot resolve ${spec} from ${file}`);
    }
  }
  return seen;
}

/** Whether a parameter's type names the kube layer's CallOptions or ListOptions (the mark of a Kubernetes call). */
function takesKubeCallOptions(decl: ts.SignatureDeclaration, checker: ts.TypeChecker): boolean {
  const kubeOptions = (typeNode: ts.Node): boolean => {
    if (ts.isTypeReferenceNode(typeNode)) {
      let symbol = checker.getSymbolAtLocation(typeNode.typeName);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const file = symbol?.declarations?.[0]?.getSourceFile().fileName ?? '';
      if (/\/src\/kube\/(request-options|types)\.ts$/.test(file)) return true;
    }
    return ts.forEachChild(typeNode, kubeOptions) ?? false;
  };
  return decl.parameters.some((p) => p.type !== undefined && kubeOptions(p.type));
}

function fromClientNode(decl: ts.Node): boolean {
  return decl.getSourceFile().fileName.includes('/@kubernetes/client-node/');
}

function className(decl: ts.Node): string | undefined {
  let node: ts.Node | undefined = decl;
  while (node && !ts.isClassDeclaration(node)) node = node.parent;
  return node?.name?.text;
}

function compact(text: string): string {
  return text.replace(/\s+/g, '');
}

/** Every Kubernetes call site of the operator's code, deduplicated by key. Takes a few seconds. */
export function findKubeCallSites(): KubeCallSite[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO_ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('cannot read tsconfig.json');
  const program = ts.createProgram({ rootNames: [ENTRY], options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const sites = new Map<string, KubeCallSite>();
  for (const file of importClosure(program)) {
    const sf = program.getSourceFile(file) as ts.SourceFile;
    const rel = relative(REPO_ROOT, file);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        const signature = checker.getResolvedSignature(node);
        const decl = signature?.getDeclaration();
        const callee = compact(node.expression.getText(sf));
        const returned = signature ? checker.getReturnTypeOfSignature(signature) : undefined;
        if (INFORMER_TYPES.has(returned?.getSymbol()?.getName() ?? '') && ts.isCallExpression(node)) {
          // An informer lists and watches whatever source it is given: the source names the resource.
          const first = node.arguments[0];
          const key = `${rel}#${callee}(${first ? compact(first.getText(sf)) : ''})`;
          sites.set(key, { key });
        } else if (decl && fromClientNode(decl)) {
          const cls = className(decl);
          if (cls !== undefined && (cls.endsWith('Api') || cls === 'Watch') && ts.isCallExpression(node)) {
            const method = ts.isPropertyAccessExpression(node.expression)
              ? node.expression.name.text
              : callee;
            sites.set(`${rel}#${callee}`, {
              key: `${rel}#${callee}`,
              clientNodeMethod: method,
              clientNodeClass: cls,
            });
          }
        } else if (decl && ts.isCallExpression(node) && transportMethodOf(decl)) {
          if (!TRANSPORT_FILES.test(file)) {
            const method = ts.isPropertyAccessExpression(node.expression)
              ? node.expression.name.text
              : callee;
            sites.set(`${rel}#${callee}`, { key: `${rel}#${callee}`, transportMethod: method });
          }
        } else if (
          decl &&
          ts.isCallExpression(node) &&
          !ts.isJSDocSignature(decl) &&
          takesKubeCallOptions(decl, checker)
        ) {
          sites.set(`${rel}#${callee}`, { key: `${rel}#${callee}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...sites.values()].sort((a, b) => a.key.localeCompare(b.key));
}
